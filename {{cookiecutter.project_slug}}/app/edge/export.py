"""Export the device bundle from the trained model.

`python -m app.edge.export --model models/model.onnx` (needs the `train` extra) writes
`models/edge/`: `model.ort` and `manifest.json` (version, sha256, signature, sizes, and the
bundle's held-out accuracy next to the float model's). What happens to the weights depends
on what produced the model, as metadata.json records it:

- a network (PyTorch): int8, static QDQ quantization per channel, calibrated on the
  training rows, where it helps: shipped only when the int8 bundle is smaller than the fp32
  one (a network of a few hundred weights is not), at about the same accuracy;
- a scikit-learn graph (skl2onnx): shipped fp32. Its few hundred bytes of weights gain
  nothing from int8, and ONNX Runtime's quantizer cannot read the graph as exported
  (skl2onnx lists the ai.onnx domain twice); the manifest says so.

Either way the graph is then converted to the ORT format, which onnxruntime (Python, mobile)
and onnxruntime-web load without the ONNX protobuf parser. The export refuses to write a
bundle that loses more than MAX_ACCURACY_DROP of held-out accuracy.
"""

import argparse
import json
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import onnxruntime as ort
from onnxruntime.quantization import (
    CalibrationDataReader,
    QuantFormat,
    QuantType,
    quantize_static,
)
from onnxruntime.quantization.shape_inference import quant_pre_process

from app.edge.bundle import (
    BUNDLE_DIR_NAME,
    BUNDLE_MODEL_FILE_NAME,
    MANIFEST_FILE_NAME,
    MANIFEST_FORMAT,
    Accuracy,
    BundleManifest,
    FileFacts,
    Quantization,
)
from app.model.source import METADATA_FILE_NAME, sha256_hex
from app.training.data import load_dataset, split

MAX_ACCURACY_DROP = 0.03
"""The most held-out accuracy a bundle may lose to its float model: 3 points, i.e. at most one
of the 38 held-out rows (each is 2.6 points) answered differently."""
NETWORK_LIBRARIES = ("torch", "pytorch")
"""A model whose metadata lists one of these libraries is a network: it gets int8."""
LABEL_OUTPUT = "label"


@dataclass(frozen=True)
class HeldOut:
    """Rows the model never trained on, with their classes; and training rows to calibrate."""

    rows: npt.NDArray[np.float32]
    classes: npt.NDArray[np.int64]
    calibration_rows: npt.NDArray[np.float32]


class ExportError(Exception):
    """The bundle cannot be made, or would be worse than allowed."""


def held_out_data() -> HeldOut:
    """The training run's own split (app/training/data.py), so the numbers compare."""
    data = split(load_dataset())
    return HeldOut(
        rows=data.test_x.astype(np.float32),
        classes=data.test_y,
        calibration_rows=data.train_x.astype(np.float32),
    )


def is_network(metadata: dict[str, Any]) -> bool:
    """Whether the model is a neural network (int8 pays) rather than a scikit-learn graph:
    metadata.json says `"architecture": "network"`, or lists PyTorch among its libraries."""
    libraries = metadata.get("libraries", {})
    return metadata.get("architecture") == "network" or any(
        name in libraries for name in NETWORK_LIBRARIES
    )


def producer(metadata: dict[str, Any]) -> str:
    """What made the float graph, in words, for the manifest."""
    libraries = metadata.get("libraries", {})
    torch = libraries.get("torch") or libraries.get("pytorch")
    if torch:
        return f"PyTorch {torch} network exported to ONNX"
    kind = "network" if is_network(metadata) else "graph"
    return f"scikit-learn {libraries.get('scikit-learn', '?')} {kind} exported to ONNX"


class RowCalibration(CalibrationDataReader):  # type: ignore[misc]  # untyped base class
    """Feeds training rows to the static quantizer, one row per call as devices will run."""

    def __init__(self, input_name: str, rows: npt.NDArray[np.float32]) -> None:
        self._batches: Iterator[dict[str, npt.NDArray[np.float32]]] = iter(
            [{input_name: row[np.newaxis, :]} for row in rows]
        )

    def get_next(self) -> dict[str, npt.NDArray[np.float32]] | None:
        """The next row as the model's input, or None when every row was seen."""
        return next(self._batches, None)


def quantize_network(
    float_model: Path, work_dir: Path, calibration_rows: npt.NDArray[np.float32]
) -> Path:
    """int8 weights and activations (QDQ), per-channel weights, calibrated on `calibration_rows`."""
    prepared = work_dir / "prepared.onnx"
    quantized = work_dir / "quantized.onnx"
    # Shape inference and graph clean-up first, as ONNX Runtime's quantization guide asks.
    quant_pre_process(str(float_model), str(prepared), skip_symbolic_shape=True)
    quantize_static(
        str(prepared),
        str(quantized),
        RowCalibration(_input_name(prepared.read_bytes()), calibration_rows),
        quant_format=QuantFormat.QDQ,
        per_channel=True,
        activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
    )
    return quantized


def to_ort_format(onnx_model: Path, work_dir: Path) -> bytes:
    """The model in the ORT format, as ONNX Runtime's own converter makes it (the `Fixed`
    style): every optimization but the x86-only NCHWc layout, so the one file runs on x86,
    ARM and WebAssembly alike."""
    work_dir.mkdir(parents=True, exist_ok=True)
    target = work_dir / BUNDLE_MODEL_FILE_NAME
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.optimized_model_filepath = str(target)
    options.add_session_config_entry("session.save_model_format", "ORT")
    ort.InferenceSession(
        str(onnx_model),
        options,
        providers=["CPUExecutionProvider"],
        disabled_optimizers=["NchwcTransformer"],
    )
    return target.read_bytes()


def cpu_session(model: bytes) -> ort.InferenceSession:
    """An ONNX Runtime session of `model` (.onnx or .ort bytes) on the CPU, as devices run it."""
    return ort.InferenceSession(model, providers=["CPUExecutionProvider"])


def predicted_classes(model: bytes, rows: npt.NDArray[np.float32]) -> npt.NDArray[np.int64]:
    """Class indices the model gives `rows`: its `label` output, else the arg-max of its first."""
    session = cpu_session(model)
    names = [output.name for output in session.get_outputs()]
    outputs = session.run(None, {session.get_inputs()[0].name: rows})
    if LABEL_OUTPUT in names:
        return np.asarray(outputs[names.index(LABEL_OUTPUT)], dtype=np.int64).reshape(-1)
    return np.asarray(np.argmax(outputs[0], axis=1), dtype=np.int64)


def accuracy_of(model: bytes, data: HeldOut) -> float:
    """Share of held-out rows whose class the model gets right."""
    return float(np.mean(predicted_classes(model, data.rows) == data.classes))


def export_bundle(
    model_path: Path,
    out_dir: Path | None = None,
    *,
    data: HeldOut | None = None,
    max_drop: float = MAX_ACCURACY_DROP,
    log: Callable[[str], None] = print,
) -> BundleManifest:
    """Write the bundle of `model_path` (metadata.json beside it) to `out_dir` (default:
    edge/ beside the model); returns its manifest."""
    out_dir = out_dir or model_path.parent / BUNDLE_DIR_NAME
    data = data or held_out_data()
    metadata = json.loads((model_path.parent / METADATA_FILE_NAME).read_text())
    float_bytes = model_path.read_bytes()
    if sha256_hex(float_bytes) != metadata["model_sha256"]:
        raise ExportError(f"{model_path} does not match the model_sha256 of its metadata.json")
    with tempfile.TemporaryDirectory() as scratch:
        work_dir = Path(scratch)
        source = work_dir / "model.onnx"
        source.write_bytes(float_bytes)
        quantization = _quantization(metadata, len(data.calibration_rows))
        float_ort = to_ort_format(source, work_dir / "float")
        sizes = {"float_onnx": len(float_bytes), "float_ort": len(float_ort)}
        bundle_bytes = float_ort
        if quantization.precision == "int8":
            int8_onnx = quantize_network(source, work_dir, data.calibration_rows)
            sizes["int8_onnx"] = int8_onnx.stat().st_size
            int8_ort = to_ort_format(int8_onnx, work_dir / "int8")
            sizes["int8_ort"] = len(int8_ort)
            if len(int8_ort) < len(float_ort):
                bundle_bytes = int8_ort
            else:
                quantization = _no_smaller(len(int8_ort), len(float_ort))
        sizes["bundle"] = len(bundle_bytes)
    accuracy = compare_accuracy(float_bytes, bundle_bytes, data, max_drop)
    manifest = _manifest(metadata, float_bytes, bundle_bytes, quantization, accuracy, sizes)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / BUNDLE_MODEL_FILE_NAME).write_bytes(bundle_bytes)
    (out_dir / MANIFEST_FILE_NAME).write_text(manifest.model_dump_json(indent=2) + "\n")
    log(_summary(manifest, out_dir))
    return manifest


def _quantization(metadata: dict[str, Any], calibration_rows: int) -> Quantization:
    if is_network(metadata):
        return Quantization(
            precision="int8",
            method="static QDQ, per-channel int8 weights, uint8 activations",
            reason="a network's weights dominate its size; int8 shrinks them about 4x",
            calibration_rows=calibration_rows,
        )
    return Quantization(
        precision="fp32",
        method="none",
        reason=(
            "a scikit-learn graph ships fp32: its weights are a few hundred bytes, so int8 "
            "saves nothing, and ONNX Runtime's quantizer cannot read skl2onnx graphs as "
            "exported (the ai.onnx domain is listed twice)"
        ),
    )


def _no_smaller(int8_bytes: int, float_bytes: int) -> Quantization:
    """int8 only where it helps: a network too small for its weights to outweigh the
    quantization nodes ships fp32, and the manifest says why."""
    return Quantization(
        precision="fp32",
        method="none",
        reason=(
            f"int8 made the bundle no smaller ({int8_bytes} bytes against {float_bytes} fp32): "
            "the network's weights cost less than the quantization nodes"
        ),
    )


def compare_accuracy(
    float_bytes: bytes, bundle_bytes: bytes, data: HeldOut, max_drop: float
) -> Accuracy:
    """Both models' held-out accuracy; raises ExportError when the bundle loses too much."""
    float_accuracy = accuracy_of(float_bytes, data)
    bundle_accuracy = accuracy_of(bundle_bytes, data)
    change = round(bundle_accuracy - float_accuracy, 6)
    if -change > max_drop:
        raise ExportError(
            f"the bundle's held-out accuracy {bundle_accuracy:.4f} is {-change:.4f} below the "
            f"float model's {float_accuracy:.4f}, more than the {max_drop:.4f} allowed"
        )
    return Accuracy(
        held_out_rows=len(data.classes),
        float_model=round(float_accuracy, 6),
        bundle=round(bundle_accuracy, 6),
        change=change,
        max_drop=max_drop,
    )


def _manifest(
    metadata: dict[str, Any],
    float_bytes: bytes,
    bundle_bytes: bytes,
    quantization: Quantization,
    accuracy: Accuracy,
    sizes: dict[str, int],
) -> BundleManifest:
    return BundleManifest(
        format=MANIFEST_FORMAT,
        name=metadata["name"],
        version=metadata["version"],
        producer=producer(metadata),
        model=_facts(BUNDLE_MODEL_FILE_NAME, bundle_bytes),
        source_model=_facts("model.onnx", float_bytes),
        quantization=quantization,
        accuracy=accuracy,
        size_ratio=round(len(bundle_bytes) / len(float_bytes), 4),
        sizes=sizes,
        signature=metadata.get("signature") or {},
        labels=metadata.get("labels"),
        feature_names=metadata.get("feature_names"),
        onnxruntime=ort.__version__,
    )


def _facts(name: str, content: bytes) -> FileFacts:
    return FileFacts(file=name, sha256=sha256_hex(content), bytes=len(content))


def _input_name(model: bytes) -> str:
    return str(cpu_session(model).get_inputs()[0].name)


def _summary(manifest: BundleManifest, out_dir: Path) -> str:
    accuracy = manifest.accuracy
    sizes = ", ".join(f"{name} {size} B" for name, size in manifest.sizes.items())
    return (
        f"wrote {out_dir / BUNDLE_MODEL_FILE_NAME}: {manifest.name} {manifest.version}, "
        f"{manifest.quantization.precision}, {manifest.model.bytes} bytes "
        f"(x{manifest.size_ratio} of the float model.onnx; {sizes}); "
        f"held-out accuracy {accuracy.bundle:.4f} vs float {accuracy.float_model:.4f} "
        f"(change {accuracy.change:+.4f} on {accuracy.held_out_rows} rows)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: `python -m app.edge.export --model models/model.onnx [--out DIR]`."""
    parser = argparse.ArgumentParser(prog="python -m app.edge.export", description=__doc__)
    parser.add_argument("--model", type=Path, default=Path("models/model.onnx"))
    parser.add_argument("--out", type=Path, default=None, help="default: edge/ beside the model")
    arguments = parser.parse_args(argv)
    try:
        export_bundle(arguments.model, arguments.out)
    except (ExportError, OSError) as error:
        parser.exit(1, f"export failed: {error}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
