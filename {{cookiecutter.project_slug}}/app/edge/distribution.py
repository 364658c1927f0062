"""The bundle the server distributes: fetched and verified at start-up, held in memory.

The bundle is read from a path or an http(s) URL like the model. Its model file must hash
to the sha256 its manifest states, and the manifest must name the model this server runs
(same model.onnx checksum): devices and the server then give the same answers, and a
bundle from another training run keeps the server unready instead of shipping quietly.
"""

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from app.edge.bundle import BUNDLE_DIR_NAME, MANIFEST_FILE_NAME, BundleManifest, parse_manifest
from app.model.errors import ModelLoadError
from app.model.metadata import ModelMetadata
from app.model.source import display_location, fetch_file, sha256_hex, verify_sha256

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DistributedBundle:
    """The manifest and model file as served, with their entity tags."""

    manifest: BundleManifest
    manifest_bytes: bytes
    model_bytes: bytes

    @property
    def model_etag(self) -> str:
        """The model file's strong ETag: its sha256, so a device's copy names its version."""
        return f'"{self.manifest.model.sha256}"'

    @property
    def manifest_etag(self) -> str:
        """The manifest's strong ETag: the sha256 of its bytes."""
        return f'"{sha256_hex(self.manifest_bytes)}"'


def sibling_uri(uri: str, name: str) -> str:
    """The file called `name` in the same folder as `uri` (a path or a URL)."""
    scheme = urlsplit(uri).scheme.lower()
    if scheme in ("http", "https"):
        return urljoin(uri, name)
    path = Path(unquote(urlsplit(uri).path)) if scheme == "file" else Path(uri)
    return str(path.parent / name)


def default_bundle_uri(model_uri: str) -> str:
    """edge/manifest.json beside the model: where `make bundle` writes it."""
    return sibling_uri(model_uri, f"{BUNDLE_DIR_NAME}/{MANIFEST_FILE_NAME}")


def fetch_bundle(manifest_uri: str, timeout_s: float) -> DistributedBundle:
    """Read the manifest and the model file it names; raises ModelLoadError on any failure."""
    manifest_bytes, manifest_location = fetch_file(manifest_uri, timeout_s)
    manifest = parse_manifest(manifest_bytes, manifest_location)
    model_bytes, model_location = fetch_file(
        sibling_uri(manifest_uri, manifest.model.file), timeout_s
    )
    verify_sha256(model_bytes, manifest.model.sha256, model_location, manifest_location)
    return DistributedBundle(manifest, manifest_bytes, model_bytes)


class BundleSlot:
    """Holds the bundle once loaded; says whether it fits the model the server runs."""

    def __init__(self, manifest_uri: str) -> None:
        self.manifest_uri = manifest_uri
        self.bundle: DistributedBundle | None = None
        self._reported_mismatch = False

    def ready_for(self, metadata: ModelMetadata) -> bool:
        """True when a bundle is loaded and was exported from the model `metadata` describes."""
        if self.bundle is None:
            return False
        source = self.bundle.manifest.source_model
        if source.sha256 == metadata.model_sha256:
            return True
        if not self._reported_mismatch:
            self._reported_mismatch = True
            logger.error(
                "the device bundle was exported from model.onnx %s, but this server runs %s "
                "(version %s): run `make bundle` for this model; the server stays not ready",
                source.sha256[:12],
                metadata.model_sha256[:12],
                metadata.version,
            )
        return False

    async def load(self, timeout_s: float) -> None:
        """Fetch the bundle off the event loop; log, never raise, on failure."""
        location = display_location(self.manifest_uri)
        try:
            self.bundle = await asyncio.to_thread(fetch_bundle, self.manifest_uri, timeout_s)
        except ModelLoadError as error:
            logger.error("device bundle load failed, the server stays not ready: %s", error)
            return
        manifest = self.bundle.manifest
        logger.info(
            "device bundle %s loaded: %s version %s, %s, %d bytes",
            location,
            manifest.name,
            manifest.version,
            manifest.quantization.precision,
            manifest.model.bytes,
        )
