"""Model files come from a path, a file:// URL, or a real HTTP server."""

from pathlib import Path

import pytest

from app.model.errors import ChecksumMismatchError, ModelLoadError
from app.model.source import display_location, fetch_model_files, sha256_hex, verify_sha256
from tests.support import PRIMARY_MODEL_FILE, free_port, serving_directory


def test_reads_model_and_sibling_metadata_from_a_path(model_dir: Path):
    files = fetch_model_files(str(model_dir / PRIMARY_MODEL_FILE), timeout_s=5)

    assert files.model == (model_dir / PRIMARY_MODEL_FILE).read_bytes()
    assert files.metadata == (model_dir / "metadata.json").read_bytes()
    assert files.metadata_location == str(model_dir / "metadata.json")


def test_reads_a_file_url(model_dir: Path):
    files = fetch_model_files((model_dir / PRIMARY_MODEL_FILE).as_uri(), timeout_s=5)

    assert files.model == (model_dir / PRIMARY_MODEL_FILE).read_bytes()


def test_downloads_model_and_metadata_over_http(model_dir: Path):
    with serving_directory(model_dir) as base_url:
        files = fetch_model_files(f"{base_url}/{PRIMARY_MODEL_FILE}", timeout_s=5)

    assert files.model == (model_dir / PRIMARY_MODEL_FILE).read_bytes()
    assert files.metadata == (model_dir / "metadata.json").read_bytes()
    assert files.metadata_location == f"{base_url}/metadata.json"


def test_missing_file_is_named(tmp_path: Path):
    with pytest.raises(ModelLoadError, match=r"cannot read .*model\.onnx"):
        fetch_model_files(str(tmp_path / "model.onnx"), timeout_s=5)


def test_missing_metadata_is_named(model_copy: Path):
    (model_copy / "metadata.json").unlink()

    with pytest.raises(ModelLoadError, match=r"cannot read .*metadata\.json"):
        fetch_model_files(str(model_copy / PRIMARY_MODEL_FILE), timeout_s=5)


def test_http_errors_are_named(model_copy: Path):
    (model_copy / "metadata.json").unlink()

    with serving_directory(model_copy) as base_url, pytest.raises(ModelLoadError, match="HTTP 404"):
        fetch_model_files(f"{base_url}/{PRIMARY_MODEL_FILE}", timeout_s=5)


def test_unreachable_host_is_a_load_error():
    with pytest.raises(ModelLoadError, match=r"cannot download http://127\.0\.0\.1:.*ConnectError"):
        fetch_model_files(f"http://127.0.0.1:{free_port()}/model.onnx", timeout_s=5)


def test_unsupported_scheme_is_refused():
    with pytest.raises(ModelLoadError, match="unsupported scheme 's3'"):
        fetch_model_files("s3://bucket/model.onnx", timeout_s=5)


def test_checksum_mismatch_names_both_digests():
    expected = "0" * 64

    with pytest.raises(ChecksumMismatchError) as caught:
        verify_sha256(b"model", expected, "model.onnx", "metadata.json (model_sha256)")

    assert sha256_hex(b"model") in str(caught.value)
    assert f"metadata.json (model_sha256) expects {expected}" in str(caught.value)


def test_checksum_comparison_ignores_case():
    verify_sha256(b"model", sha256_hex(b"model").upper(), "model.onnx", "pin")


def test_locations_are_logged_without_credentials_or_tokens():
    uri = "https://user:secret@models.example.com:8443/iris/model.onnx?X-Amz-Signature=abc"

    assert display_location(uri) == "https://models.example.com:8443/iris/model.onnx"
    assert display_location("models/model.onnx") == "models/model.onnx"


def test_a_missing_model_file_names_the_other_formats_file_beside_it(tmp_path: Path):
    (tmp_path / "model.skops").write_bytes(b"a model of the sklearn format")

    with pytest.raises(ModelLoadError, match=r"model\.skops exists: point the \*_MODEL_URI"):
        fetch_model_files(str(tmp_path / "model.onnx"), timeout_s=5)
