"""Render a project with cookiecutter's own API: Kata has no second renderer."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cookiecutter.exceptions import CookiecutterException, FailedHookException
from cookiecutter.main import cookiecutter

from generator._catalogue import Catalogue, load_catalogue
from generator._errors import AnswerError, KataError


@dataclass(frozen=True)
class RenderResult:
    """Where the project went, which files it holds, and how long rendering took."""

    project_dir: Path
    files: tuple[Path, ...]
    seconds: float
    dry_run: bool


def render_project(
    answers: dict[str, str],
    output_dir: Path,
    *,
    force: bool = False,
    dry_run: bool = False,
    catalogue: Catalogue | None = None,
) -> RenderResult:
    """Render validated ``answers`` (see ``resolve_answers``) into ``output_dir/<slug>``.

    With ``dry_run`` the project is rendered into a scratch folder that is then removed, so
    the listed files are exactly those a real run would write.
    """
    catalogue = catalogue or load_catalogue()
    target = output_dir / answers["project_slug"]
    if target.exists() and not force and not dry_run:
        raise AnswerError("output", f"{target} already exists; pass --force to overwrite it")
    started = time.perf_counter()
    if dry_run:
        with tempfile.TemporaryDirectory(prefix="kata-dry-run-") as scratch:
            rendered = _cookiecutter(catalogue, answers, Path(scratch), overwrite=False)
            files = _files_under(rendered)
    else:
        files = _files_under(_cookiecutter(catalogue, answers, output_dir, overwrite=force))
    return RenderResult(target, files, time.perf_counter() - started, dry_run)


def _cookiecutter(
    catalogue: Catalogue, answers: dict[str, str], output_dir: Path, *, overwrite: bool
) -> Path:
    try:
        with _hooks_run_by_kata():
            project_dir = cookiecutter(
                str(catalogue.source),
                no_input=True,
                extra_context=dict(answers),
                output_dir=str(output_dir),
                overwrite_if_exists=overwrite,
                default_config=True,
            )
    except FailedHookException as error:
        raise KataError(f"the template's hook refused to render: {error}") from error
    except UnicodeDecodeError as error:
        # Every template file is text; a binary one is usually a tool's cache left behind.
        raise KataError(
            f"the template holds a file that is not UTF-8 text ({error.reason}); remove caches "
            f"such as .ruff_cache or __pycache__ from {catalogue.source}"
        ) from error
    except CookiecutterException as error:
        # cookiecutter appends the whole context to the message; the cause is what helps.
        cause = str(error).split(". Context: ", 1)[0]
        raise KataError(f"rendering failed: {cause}") from error
    return Path(project_dir)


@contextmanager
def _hooks_run_by_kata() -> Iterator[None]:
    """Tell the post-generation hook that the CLI prints the next steps itself."""
    previous = os.environ.get("KATA_CLI")
    os.environ["KATA_CLI"] = "1"
    try:
        yield
    finally:
        if previous is None:
            del os.environ["KATA_CLI"]
        else:
            os.environ["KATA_CLI"] = previous


def _files_under(folder: Path) -> tuple[Path, ...]:
    return tuple(sorted(p.relative_to(folder) for p in folder.rglob("*") if p.is_file()))
