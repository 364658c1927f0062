"""Train the sample model: `python -m app.training --out models` (needs the `train` extra)."""
