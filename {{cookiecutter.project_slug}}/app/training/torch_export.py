"""The pytorch format: a small network trained with torch, exported to ONNX.

The server runs the ONNX graph with ONNX Runtime, as for the onnx format, so torch is a
training dependency only (see docs/decisions in Kata: 0021).
"""

import itertools
import warnings
from typing import cast

import numpy as np
import numpy.typing as npt
import torch
from torch import nn

from app.model.signature import InferenceSession
from app.training.artefacts import Exported, Fits
from app.training.data import RANDOM_STATE
from app.training.onnx_export import INPUT_NAME, open_session

MODEL_FILE_NAME = "model.onnx"
ONNX_OPSET = 18
"""The oldest opset torch's exporter writes natively; ONNX Runtime 1.32 runs up to 23."""
HYPERPARAMETERS: dict[str, object] = {
    "network": "MLP",
    # Two layers of 128: about 17k weights, enough that int8 makes the device bundle smaller
    # (a 4-32-3 network's few hundred weights cost less than the quantization nodes).
    "hidden_units": [128, 128],
    "activation": "ReLU",
    "optimizer": "Adam",
    "learning_rate": 0.01,
    "epochs": 300,
    "standardised_inputs": True,
}
SUMMARY = "PyTorch MLP (4-128-128-3, inputs standardised inside the graph) on the four measurements"


class IrisNetwork(nn.Module):
    """Standardise, hidden ReLU layers, class scores; the scaling is part of the graph."""

    mean: torch.Tensor
    scale: torch.Tensor

    def __init__(self, mean: torch.Tensor, scale: torch.Tensor, classes: int) -> None:
        super().__init__()
        self.register_buffer("mean", mean)
        self.register_buffer("scale", scale)
        widths = [mean.shape[0], *cast("list[int]", HYPERPARAMETERS["hidden_units"])]
        layers: list[nn.Module] = []
        for width_in, width_out in itertools.pairwise(widths):
            layers += [nn.Linear(width_in, width_out), nn.ReLU()]
        self.layers = nn.Sequential(*layers, nn.Linear(widths[-1], classes))

    def forward(self, rows: torch.Tensor) -> torch.Tensor:
        """Class scores (logits) per row."""
        return cast("torch.Tensor", self.layers((rows - self.mean) / self.scale))


class ServedNetwork(nn.Module):
    """What the server runs: the `label` and `probabilities` outputs of the onnx format."""

    def __init__(self, network: IrisNetwork) -> None:
        super().__init__()
        self.network = network

    def forward(self, rows: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The most probable class index and every class's probability, per row."""
        probabilities = torch.softmax(self.network(rows), dim=1)
        return probabilities.argmax(dim=1), probabilities


def library_versions() -> dict[str, str]:
    """The libraries this format adds to the run's identity."""
    return {"torch": torch.__version__}


def train_network(
    train_x: npt.NDArray[np.float64], train_y: npt.NDArray[np.int64], classes: int
) -> IrisNetwork:
    """Full-batch training from a fixed seed on one thread: the same weights on every run."""
    torch.manual_seed(RANDOM_STATE)
    torch.set_num_threads(1)
    rows = torch.from_numpy(train_x.astype(np.float32))
    targets = torch.from_numpy(train_y.astype(np.int64))
    network = IrisNetwork(rows.mean(dim=0), rows.std(dim=0), classes)
    learning_rate = float(cast("float", HYPERPARAMETERS["learning_rate"]))
    optimizer = torch.optim.Adam(network.parameters(), lr=learning_rate)
    loss_function = nn.CrossEntropyLoss()
    for _ in range(int(cast("int", HYPERPARAMETERS["epochs"]))):
        optimizer.zero_grad()
        loss = loss_function(network(rows), targets)
        loss.backward()
        optimizer.step()
    return network.eval()


def export_to_onnx(network: IrisNetwork, n_features: int) -> bytes:
    """ONNX with input FP32 [-1, n], outputs `label` INT64 [-1], `probabilities` FP32 [-1, k]."""
    with warnings.catch_warnings():
        # torch 2.13's exporter trips over its own deprecated pytree API; nothing to act on.
        warnings.filterwarnings("ignore", message=".*LeafSpec.*", category=FutureWarning)
        program = torch.onnx.export(
            ServedNetwork(network).eval(),
            (torch.zeros(1, n_features),),
            input_names=[INPUT_NAME],
            output_names=["label", "probabilities"],
            dynamic_shapes=({0: torch.export.Dim("batch")},),
            opset_version=ONNX_OPSET,
            # torch.export-based exporter: the TorchScript-based one is deprecated upstream.
            dynamo=True,
            external_data=False,  # the weights inside the one file the server verifies
        )
    if program is None:
        raise RuntimeError("torch.onnx.export returned no program")
    model = program.model_proto
    # The exporter annotates each node with the Python stack that produced it, file paths
    # included: dropped, so the same training gives the same bytes wherever it runs.
    for node in model.graph.node:
        del node.metadata_props[:]
    return bytes(model.SerializeToString())


def check_export(
    session: InferenceSession, network: IrisNetwork, sample: npt.NDArray[np.float64]
) -> None:
    """Refuse an export whose answers differ from torch's on held-out rows."""
    rows = sample.astype(np.float32)
    with torch.no_grad():
        expected_labels, expected = ServedNetwork(network)(torch.from_numpy(rows))
    labels, probabilities = session.run(["label", "probabilities"], {INPUT_NAME: rows})
    if not np.array_equal(labels, expected_labels.numpy()):
        raise RuntimeError("the ONNX export disagrees with torch on held-out labels")
    if not np.allclose(probabilities, expected.numpy(), atol=1e-5):
        raise RuntimeError("the ONNX export's probabilities stray from torch's")


def export_primary(fits: Fits) -> Exported:
    """Train the network, export it, check the export, and measure held-out accuracy."""
    split, labels = fits.split, fits.dataset.labels
    network = train_network(split.train_x, split.train_y, len(labels))
    onnx_bytes = export_to_onnx(network, split.train_x.shape[1])
    session = open_session(onnx_bytes)
    check_export(session, network, split.test_x)
    (predicted,) = session.run(["label"], {INPUT_NAME: split.test_x.astype(np.float32)})
    accuracy = float(np.mean(predicted == split.test_y))
    return Exported(
        {MODEL_FILE_NAME: onnx_bytes},
        {
            "summary": SUMMARY,
            "framework": "pytorch",
            "task": "classification",
            "labels": labels,
            "feature_names": fits.dataset.feature_names,
            "metrics": {"accuracy": round(accuracy, 4)},
        },
    )
