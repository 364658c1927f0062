"""The JSON documents the model core reads: metadata.json, an edge bundle's manifest.json."""

from typing import TypeVar

from pydantic import BaseModel, ValidationError

from app.model.errors import ModelLoadError

Document = TypeVar("Document", bound=BaseModel)


def parse_document(schema: type[Document], raw: bytes, source: str, kind: str) -> Document:
    """Parse `raw` as `schema`; on failure, a ModelLoadError naming `source`, what it should
    have been (`kind`, e.g. "valid model metadata") and every offending field."""
    try:
        return schema.model_validate_json(raw)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in item['loc']) or 'document'}: {item['msg']}"
            for item in error.errors()
        )
        raise ModelLoadError(f"{source} is not {kind}: {problems}") from error
