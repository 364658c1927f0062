"""The pattern catalogue: `cookiecutter.json` read as typed data.

`cookiecutter.json` is the single source: its `_patterns`, `_model_formats` and
`_model_deliveries` entries feed the CLI, cookiecutter's prompts, the hooks and the test
matrix alike.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator._template import template_root


@dataclass(frozen=True)
class Service:
    name: str
    role: str
    port: int | None
    model: str | None = None
    """The file under models/ the service serves, when not its role's default."""
    backends: tuple[str, ...] = ()
    """The services it calls, in order (proxies)."""


@dataclass(frozen=True)
class Pattern:
    id: str
    title: str
    section: str | None
    implemented: bool
    summary: str
    when_to_use: str
    services: tuple[Service, ...]
    flow: tuple[tuple[str, str], ...]

    @property
    def cli_name(self) -> str:
        """The spelling used on the command line: ``web-single``."""
        return self.id.replace("_", "-")


@dataclass(frozen=True)
class Option:
    id: str
    title: str
    summary: str
    implemented: bool


@dataclass(frozen=True)
class Catalogue:
    """Everything Kata can render, and the questions cookiecutter asks."""

    source: Path
    context: dict[str, Any]
    patterns: dict[str, Pattern]
    model_formats: dict[str, Option]
    model_deliveries: dict[str, Option]

    @property
    def questions(self) -> dict[str, Any]:
        """Public cookiecutter variables with their defaults or choice lists."""
        return {k: v for k, v in self.context.items() if not k.startswith("_")}

    @property
    def kata_version(self) -> str:
        return str(self.context["_kata_version"])

    def implemented_patterns(self) -> list[Pattern]:
        return [pattern for pattern in self.patterns.values() if pattern.implemented]

    def choices(self, field: str) -> list[str]:
        """The allowed values of a choice question, or ``[]`` for free text."""
        value = self.questions.get(field)
        return [str(choice) for choice in value] if isinstance(value, list) else []


def load_catalogue(root: Path | None = None) -> Catalogue:
    """Read the catalogue from ``root/cookiecutter.json`` (the bundled template by default)."""
    source = root or template_root()
    context: dict[str, Any] = json.loads((source / "cookiecutter.json").read_text("utf-8"))
    return Catalogue(
        source=source,
        context=context,
        patterns={key: _pattern(key, spec) for key, spec in context["_patterns"].items()},
        model_formats=_options(context["_model_formats"]),
        model_deliveries=_options(context["_model_deliveries"]),
    )


def _pattern(pattern_id: str, spec: dict[str, Any]) -> Pattern:
    return Pattern(
        id=pattern_id,
        title=spec["title"],
        section=spec.get("section"),
        implemented=bool(spec["implemented"]),
        summary=spec["summary"],
        when_to_use=spec["when_to_use"],
        services=tuple(_service(service) for service in spec["services"]),
        flow=tuple((source, target) for source, target in spec["flow"]),
    )


def _service(spec: dict[str, Any]) -> Service:
    return Service(
        spec["name"],
        spec["role"],
        spec.get("port"),
        spec.get("model"),
        tuple(spec.get("backends", ())),
    )


def _options(specs: dict[str, Any]) -> dict[str, Option]:
    return {
        key: Option(key, spec["title"], spec["summary"], bool(spec.get("implemented", True)))
        for key, spec in specs.items()
    }
