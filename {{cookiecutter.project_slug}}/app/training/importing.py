"""Import a model of your own: `python -m app.training --import model/model.onnx --out models`.

The import takes the place of training for a project generated with `kata new --model`:
it writes models/model.onnx (the same bytes) and the metadata.json the server, the image
and the tests read, so loading, delivery and the v2 metadata work as for a trained model.
"""

import json
from collections.abc import Callable
from pathlib import Path

from app.model.signature import signature_from_session
from app.model.source import METADATA_FILE_NAME, sha256_hex
from app.training.onnx_export import open_session
from app.training.onnx_graph import UnservableModelError, read_model_facts

MODEL_FILE_NAME = "model.onnx"
VERSION_DIGITS = 12
"""The version is the file's sha256, shortened: the same bytes always give the same one."""


def import_model(
    model_file: Path, out_dir: Path, name: str, log: Callable[[str], None] = print
) -> Path:
    """Check `model_file`, then write it and its metadata.json into `out_dir`."""
    try:
        facts = read_model_facts(model_file)
    except UnservableModelError as error:
        raise SystemExit(f"cannot import {model_file}: {error}") from None
    content = model_file.read_bytes()
    sha256 = sha256_hex(content)
    metadata = {
        "name": name,
        "version": sha256[:VERSION_DIGITS],
        "summary": f"imported from {model_file.as_posix()} (produced by {facts.producer})",
        "source": {"file": model_file.as_posix(), "producer": facts.producer},
        "task": facts.task,
        "labels": facts.labels,
        "feature_names": facts.feature_names,
        "predict_output": facts.predict_output,
        "model_sha256": sha256,
        # As ONNX Runtime reads the graph: the server compares it with this record on load.
        "signature": signature_from_session(open_session(content)).as_dict(),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / MODEL_FILE_NAME).write_bytes(content)
    (out_dir / METADATA_FILE_NAME).write_text(json.dumps(metadata, indent=2) + "\n")
    log(f"imported {model_file} as {name} to {out_dir} ({facts.task}, version {sha256[:12]})")
    return out_dir / MODEL_FILE_NAME
