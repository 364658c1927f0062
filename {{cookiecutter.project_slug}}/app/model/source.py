"""Fetch model.onnx and its sibling metadata.json from a path or an http(s) URL."""

import hashlib
import hmac
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

import httpx

from app.model.errors import ChecksumMismatchError, ModelLoadError

METADATA_FILE_NAME = "metadata.json"


@dataclass(frozen=True)
class ModelFiles:
    """The raw bytes of a model and of its metadata, with where they came from."""

    model: bytes
    metadata: bytes
    model_location: str
    metadata_location: str


def fetch_model_files(uri: str, timeout_s: float) -> ModelFiles:
    """Read model.onnx at `uri` and metadata.json beside it.

    `uri` is a filesystem path, a file:// URL, or an http:// or https:// URL.
    """
    scheme = urlsplit(uri).scheme.lower()
    if scheme in ("http", "https"):
        return _download_pair(uri, timeout_s)
    if scheme == "file":
        return _read_pair(Path(unquote(urlsplit(uri).path)))
    # A one-letter "scheme" is a Windows drive such as C:\models.
    if scheme and len(scheme) > 1:
        raise ModelLoadError(
            f"model URI {uri!r} has unsupported scheme {scheme!r}; use a path, file://, "
            "http:// or https://"
        )
    return _read_pair(Path(uri))


def fetch_file(uri: str, timeout_s: float) -> tuple[bytes, str]:
    """Read one file at a path, file:// or http(s):// URL; returns its bytes and where."""
    scheme = urlsplit(uri).scheme.lower()
    if scheme in ("http", "https"):
        with httpx.Client(timeout=timeout_s, follow_redirects=True) as client:
            return _download(client, uri), display_location(uri)
    path = Path(unquote(urlsplit(uri).path)) if scheme == "file" else Path(uri)
    if scheme and scheme != "file" and len(scheme) > 1:
        raise ModelLoadError(f"{uri!r} has unsupported scheme {scheme!r}; use a path or a URL")
    return _read_file(path), str(path)


def display_location(uri: str) -> str:
    """`uri` safe to log: credentials and query strings (signed URLs carry tokens) removed."""
    parts = urlsplit(uri)
    if parts.scheme.lower() not in ("http", "https"):
        return uri
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def sha256_hex(data: bytes) -> str:
    """Lower-case hex sha256 of `data`."""
    return hashlib.sha256(data).hexdigest()


def verify_sha256(data: bytes, expected: str, location: str, expected_from: str) -> None:
    """Raise ChecksumMismatchError unless `data` hashes to `expected`."""
    actual = sha256_hex(data)
    if not hmac.compare_digest(actual, expected.lower()):
        raise ChecksumMismatchError(
            f"checksum mismatch for {location}: sha256 is {actual} but {expected_from} "
            f"expects {expected.lower()}"
        )


def _read_pair(model_path: Path) -> ModelFiles:
    metadata_path = model_path.with_name(METADATA_FILE_NAME)
    return ModelFiles(
        model=_read_file(model_path),
        metadata=_read_file(metadata_path),
        model_location=str(model_path),
        metadata_location=str(metadata_path),
    )


MODEL_SUFFIXES = (".onnx", ".skops")
"""The model files training writes: ONNX graphs, and scikit-learn pipelines saved by skops."""


def _read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        reason = f"cannot read {path}: {error.strerror or error}"
        raise ModelLoadError(reason + _sibling_hint(path)) from error


def _sibling_hint(path: Path) -> str:
    # The settings default to models/model.onnx; a sklearn project trains models/model.skops.
    siblings = [path.with_suffix(suffix) for suffix in MODEL_SUFFIXES if suffix != path.suffix]
    found = [sibling for sibling in siblings if path.suffix in MODEL_SUFFIXES and sibling.is_file()]
    return f" ({found[0]} exists: point the *_MODEL_URI setting at it)" if found else ""


def _download_pair(model_url: str, timeout_s: float) -> ModelFiles:
    metadata_url = urljoin(model_url, METADATA_FILE_NAME)
    with httpx.Client(timeout=timeout_s, follow_redirects=True) as client:
        return ModelFiles(
            model=_download(client, model_url),
            metadata=_download(client, metadata_url),
            model_location=display_location(model_url),
            metadata_location=display_location(metadata_url),
        )


def _download(client: httpx.Client, url: str) -> bytes:
    try:
        response = client.get(url)
    except httpx.HTTPError as error:
        raise ModelLoadError(
            f"cannot download {display_location(url)}: {type(error).__name__}: {error}"
        ) from error
    if response.status_code != httpx.codes.OK:
        raise ModelLoadError(
            f"cannot download {display_location(url)}: HTTP {response.status_code}"
        )
    return response.content
