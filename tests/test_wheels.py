"""A folder of wheels served as a package index for image builds (KATA_TORCH_WHEELS)."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest

from generator._wheels import (
    TORCH_WHEELS_VARIABLE,
    declares_torch_index,
    preferred_port,
    project_name,
    simple_index,
    torch_build_args,
)

WHEEL = "torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl"


def wheels(tmp_path: Path) -> Path:
    folder = tmp_path / "wheels"
    folder.mkdir()
    (folder / WHEEL).write_bytes(b"not really a wheel")
    (folder / "Typing_Extensions-4.0.0-py3-none-any.whl").write_bytes(b"another")
    return folder


def project(tmp_path: Path, dockerfile: str) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "Dockerfile").write_text(dockerfile, encoding="utf-8")
    return tmp_path


def read(url: str) -> bytes:
    with urllib.request.urlopen(url) as response:  # noqa: S310 - the loopback index made here
        return bytes(response.read())


def test_names_are_normalised_as_pep_503_says() -> None:
    assert project_name(Path(WHEEL)) == "torch"
    assert project_name(Path("Typing_Extensions-4.0.0-py3-none-any.whl")) == "typing-extensions"


def test_the_index_lists_and_serves_each_wheel(tmp_path: Path) -> None:
    with simple_index(wheels(tmp_path)) as url:
        page = read(f"{url}/torch/").decode()
        assert 'href="torch-2.13.0%2Bcpu-cp311' in page
        wheel_url = f"{url}/torch/{WHEEL.replace('+', '%2B')}"
        assert read(wheel_url) == b"not really a wheel"
        assert b"typing-extensions" in read(f"{url}/")


def test_builds_after_one_another_get_the_same_url_and_overlapping_ones_another(
    tmp_path: Path,
) -> None:
    """The URL is a build argument, part of the cache key of the layer installing torch."""
    folder = wheels(tmp_path)
    with simple_index(folder) as first:
        assert first.endswith(f":{preferred_port(folder)}/simple")
        with simple_index(folder) as overlapping:  # the preferred port is taken
            assert overlapping != first
            assert b"torch" in read(f"{overlapping}/")
    with simple_index(folder) as later:
        assert later == first


def test_an_empty_folder_is_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="holds no wheels"), simple_index(tmp_path):
        pass


def test_only_a_dockerfile_declaring_the_argument_gets_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TORCH_WHEELS_VARIABLE, str(wheels(tmp_path)))
    torch_project = project(tmp_path / "a", "FROM x\nARG TORCH_INDEX_URL=https://example\n")
    other = project(tmp_path / "b", "FROM x\nRUN pip install torch\n")
    assert declares_torch_index(torch_project)
    assert not declares_torch_index(other)
    with torch_build_args(torch_project) as args:
        assert args[0] == "--build-arg"
        assert args[1].startswith("TORCH_INDEX_URL=http://127.0.0.1:")
    with torch_build_args(other) as args:
        assert args == []


def test_without_the_variable_the_projects_default_index_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(TORCH_WHEELS_VARIABLE, raising=False)
    torch_project = project(tmp_path, "FROM x\nARG TORCH_INDEX_URL=https://example\n")
    with torch_build_args(torch_project) as args:
        assert args == []
