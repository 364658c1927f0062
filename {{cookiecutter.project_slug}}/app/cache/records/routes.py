"""DELETE /records/{record_id}/cache: drop one record's cached row after it changed."""

from fastapi import APIRouter, Response, status

from app.cache.records.cache import CachedRecords
from app.http.errors import documented_errors

_ERRORS = documented_errors(
    {
        404: "The id cannot name a record (record ids are whole numbers).",
        503: "Redis did not answer: the cached row may be served until its TTL ends.",
    }
)


def build_records_router(records: CachedRecords) -> APIRouter:
    """The cache's invalidation route."""
    router = APIRouter(tags=["records"])

    @router.delete(
        "/records/{record_id}/cache", status_code=status.HTTP_204_NO_CONTENT, responses=_ERRORS
    )
    async def invalidate(record_id: str) -> Response:
        """Forget the cached row: the next request reads the record from the data store."""
        await records.invalidate(record_id)
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    return router
