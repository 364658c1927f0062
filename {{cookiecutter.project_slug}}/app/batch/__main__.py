"""Entry point of `python -m app.batch`."""

from app.batch.cli import main

raise SystemExit(main())
