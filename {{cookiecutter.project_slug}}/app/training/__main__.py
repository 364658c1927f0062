"""Entry point of `python -m app.training`."""

from app.training.train import main

raise SystemExit(main())
