"""Settings of the edge server (the `PREDICTOR_` prefix): the predictor's, plus the bundle's.

`app.edge.app` reads `EdgeServerSettings`; every predictor setting still applies.
"""

from pydantic_settings import SettingsConfigDict

from app.settings import PredictorSettings


class EdgeServerSettings(PredictorSettings):
    """The predictor serving the device bundle: every field is read from `PREDICTOR_<FIELD>`."""

    model_config = SettingsConfigDict(env_prefix="PREDICTOR_")

    edge_bundle_uri: str | None = None
    """Where the bundle's manifest.json is (a path or http(s):// URL); the model file it names
    is read from beside it. None: edge/manifest.json beside the model (`make bundle` puts it
    there)."""

    edge_web_dir: str = "web"
    """Folder of the browser page (index.html, edge.js) served at /edge/."""

    edge_runtime_dir: str = "node_modules/onnxruntime-web/dist"
    """Folder holding onnxruntime-web's files (`npm ci` installs them), served at /edge/runtime/."""
