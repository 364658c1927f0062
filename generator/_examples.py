"""The example requests and compose commands a generated README shows, read back as data.

The container checks send exactly these through the front door (a service pattern) or run
exactly these compose commands (a job pattern), so a README whose examples drift from the
project fails Kata's tests instead of misleading a user.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

_CODE_BLOCK = re.compile(r"```(?:bash|sh|console)\n(.*?)```", re.DOTALL)


@dataclass(frozen=True)
class ExampleRequest:
    method: str
    path: str
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "body": self.body,
            "headers": self.headers,
        }


def readme_examples(project_dir: Path) -> list[ExampleRequest]:
    """Every ``curl`` command in the README's shell blocks, in order."""
    readme = (project_dir / "README.md").read_text(encoding="utf-8")
    commands = []
    for block in _CODE_BLOCK.findall(readme):
        joined = block.replace("\\\n", " ")
        commands += [line for line in _logical_lines(joined) if line.startswith("curl ")]
    return [_parse_curl(command) for command in commands]


def _logical_lines(block: str) -> list[str]:
    """Lines, with a quoted argument that spans lines kept whole."""
    lines: list[str] = []
    pending = ""
    for line in block.splitlines():
        pending = f"{pending}\n{line}" if pending else line.strip()
        try:
            shlex.split(pending)
        except ValueError:  # an open quote: the argument goes on on the next line
            continue
        lines.append(pending)
        pending = ""
    return lines


def _parse_curl(command: str) -> ExampleRequest:
    words = shlex.split(command)[1:]
    url, method, body, headers = "", "", None, {}
    while words:
        word = words.pop(0)
        if word in {"-X", "--request"}:
            method = words.pop(0)
        elif word in {"-H", "--header"}:
            name, _, value = words.pop(0).partition(":")
            headers[name.strip()] = value.strip()
        elif word in {"-d", "--data", "--data-raw"}:
            body = json.loads(words.pop(0))
        elif not word.startswith("-"):
            url = word
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return ExampleRequest(method or ("POST" if body is not None else "GET"), path, body, headers)


def readme_compose_commands(project_dir: Path) -> list[list[str]]:
    """Every ``docker compose ...`` command in the README's shell blocks, in order, as the
    arguments that follow ``docker compose`` (comments dropped)."""
    readme = (project_dir / "README.md").read_text(encoding="utf-8")
    commands = []
    for block in _CODE_BLOCK.findall(readme):
        joined = block.replace("\\\n", " ")
        for line in _logical_lines(joined):
            words = shlex.split(line, comments=True)
            if words[:2] == ["docker", "compose"]:
                commands.append(words[2:])
    return commands
