"""What the device bundle costs per prediction: raw ONNX Runtime on the float model.onnx,
the same model in the ORT format, and the bundle devices get (int8 for networks).

    python bench/edge.py [--model models/model.onnx] [--bundle models/edge] [--seconds 2]

One thread, one row per call, as a device predicts. Also prints the sizes and held-out
accuracies the export recorded in the manifest. Numbers depend on the machine; compare
runs on the same one.
"""

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort

from app.edge.export import to_ort_format


def session(model: Path) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])


def per_call_us(model: Path, row: np.ndarray, seconds: float) -> tuple[float, float]:
    """Median and p99 latency of one-row calls, in microseconds."""
    runner = session(model)
    feed = {runner.get_inputs()[0].name: row}
    for _ in range(200):  # warm-up: first calls allocate
        runner.run(None, feed)
    latencies = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        before = time.perf_counter()
        runner.run(None, feed)
        latencies.append(time.perf_counter() - before)
    latencies.sort()
    return statistics.median(latencies) * 1e6, latencies[int(len(latencies) * 0.99)] * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, default=Path("models/model.onnx"))
    parser.add_argument("--bundle", type=Path, default=Path("models/edge"))
    parser.add_argument("--seconds", type=float, default=2.0)
    arguments = parser.parse_args()
    manifest = json.loads((arguments.bundle / "manifest.json").read_text())
    bundle = arguments.bundle / manifest["model"]["file"]
    row = np.array([[6.7, 3.0, 5.2, 2.3]], dtype=np.float32)
    with tempfile.TemporaryDirectory() as scratch:
        float_ort = Path(scratch) / "model.ort"
        float_ort.write_bytes(to_ort_format(arguments.model, Path(scratch) / "float"))
        variants = [("float .onnx (raw ONNX Runtime)", arguments.model), ("float .ort", float_ort)]
        if manifest["quantization"]["precision"] != "fp32":
            variants.append((f"bundle .ort ({manifest['quantization']['precision']})", bundle))
        results = [
            (name, path.stat().st_size, *per_call_us(path, row, arguments.seconds))
            for name, path in variants
        ]
    baseline = results[0][2]
    print(f"{manifest['name']} {manifest['version']}: one thread, one row per call")
    print(f"{'variant':34} {'bytes':>8} {'p50 us':>8} {'p99 us':>8} {'vs raw':>7}")
    for name, size, p50, p99 in results:
        print(f"{name:34} {size:8d} {p50:8.1f} {p99:8.1f} {p50 / baseline:6.2f}x")
    accuracy = manifest["accuracy"]
    print(
        f"bundle: {manifest['quantization']['precision']}, {manifest['model']['bytes']} bytes; "
        f"held-out accuracy {accuracy['bundle']:.4f} vs float {accuracy['float_model']:.4f} "
        f"({accuracy['change']:+.4f}, {accuracy['held_out_rows']} rows)"
    )
    if manifest["quantization"]["precision"] == "fp32":
        print(f"not quantized: {manifest['quantization']['reason']}")


if __name__ == "__main__":
    main()
