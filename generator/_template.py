"""Where the cookiecutter template lives: inside the wheel, or the source checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def template_root() -> Path:
    """The folder holding ``cookiecutter.json``, ``hooks/`` and ``templates/``.

    A wheel carries the template under ``generator/_template`` (see pyproject.toml); an
    editable install or a checkout uses the repository root directly, so edits to the
    template take effect without reinstalling.
    """
    bundled = _PACKAGE_DIR / "_template"
    if (bundled / "cookiecutter.json").is_file():
        return bundled
    return _PACKAGE_DIR.parent
