"""The batch job: predicts one run's range of stored records and writes results back.

A thin adapter over `app.model.runner.ModelRunner`: records are read page by page from a
database chosen by URL (SQLite or PostgreSQL, one code path through SQLAlchemy Core),
predicted in chunks, and written idempotently, keyed by record id and model version.
Run it with `python -m app.batch run --pending` (see `python -m app.batch --help`).
"""
