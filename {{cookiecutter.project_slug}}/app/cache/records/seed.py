"""`python -m app.cache.records.seed`: create the records table and fill it with samples.

Reads the record predictor's settings (PREDICTOR_DATABASE_URL, PREDICTOR_DATABASE_PASSWORD)
and adds sample records until the table holds `--count`, so running it again (each
`docker compose up`) adds nothing.
"""

import argparse
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from pydantic import ValidationError
from sqlalchemy import func, select

from app.cache.records.settings import RecordPredictorSettings
from app.logs import configure_logging
from app.store.database import DatabaseError, ensure_schema, open_engine, wait_for_database
from app.store.schema import metadata, records
from app.store.seed import seed_records

logger = logging.getLogger(__name__)


def main(argv: Sequence[str] | None = None) -> int:
    """Seed the data store; exit status 2 names a bad setting or an unreachable database."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=1000, help="records the table should hold")
    parser.add_argument("--wait-s", type=float, default=30.0, help="wait for the database")
    arguments = parser.parse_args(argv)
    try:
        settings = RecordPredictorSettings()
    except ValidationError as error:
        print(f"invalid settings: {error}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    try:
        added = seed(settings, arguments.count, arguments.wait_s)
    except DatabaseError as error:
        logger.error("%s", error)
        return 2
    logger.info("added %d sample records; the table holds at least %d", added, arguments.count)
    return 0


def seed(settings: RecordPredictorSettings, count: int, wait_s: float) -> int:
    """Create the table if needed and add records until it holds `count`; returns how many."""
    engine = open_engine(settings.database_url, settings.password(), "PREDICTOR_DATABASE_URL")
    try:
        wait_for_database(engine, wait_s)
        ensure_schema(engine, metadata)
        with engine.connect() as connection:
            held = int(connection.execute(select(func.count()).select_from(records)).scalar_one())
        if held >= count:
            return 0
        end = datetime.now(UTC)
        return seed_records(engine, count - held, end - timedelta(days=1), end)
    finally:
        engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
