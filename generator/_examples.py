"""The example requests and compose commands a generated README shows, read back as data.

The container checks send exactly these through the front door (a service pattern) or run
exactly these compose commands (a job pattern), so a README whose examples drift from the
project fails Kata's tests instead of misleading a user.

Standard library only: Kata's tests also load this file by path inside a generated
project's virtual environment (tests/local_answers.py), where Kata is not installed.
"""

from __future__ import annotations

import json
import re
import shlex
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

_CODE_BLOCK = re.compile(r"```(?:bash|sh|console)\n(.*?)```", re.DOTALL)

JOB_PLACEHOLDER = "JOB_ID"
"""In an example's URL: the id of the job the examples before it created (queue patterns)."""
FINAL_JOB_STATES = frozenset({"done", "failed", "expired"})


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


def send_examples(
    base_url: str, requests: list[dict[str, Any]], job_timeout_s: float = 60.0
) -> list[dict[str, Any]]:
    """Send the examples in order; returns each one's status and JSON body.

    A request whose path holds ``JOB_ID`` asks about the job the examples before it created:
    it is sent with that id, again until the job reaches a final state, as a user polling
    its ``status_url`` would.
    """
    answers: list[dict[str, Any]] = []
    job_id: str | None = None
    for request in requests:
        if JOB_PLACEHOLDER in request["path"]:
            if job_id is None:
                raise ValueError(f"{request['path']}: no example before it created a job")
            path = request["path"].replace(JOB_PLACEHOLDER, job_id)
            answer = _poll_job(base_url, {**request, "path": path}, job_timeout_s)
        else:
            answer = send(base_url, request)
        job_id = _created_job(answer["body"]) or job_id
        answers.append(answer)
    return answers


def send(base_url: str, request: dict[str, Any]) -> dict[str, Any]:
    """One JSON request; returns its status and decoded JSON body."""
    body = None if request["body"] is None else json.dumps(request["body"]).encode()
    prepared = urllib.request.Request(  # noqa: S310 - a local URL built by the caller
        base_url + request["path"], data=body, headers=request["headers"], method=request["method"]
    )
    try:
        with urllib.request.urlopen(prepared, timeout=10) as response:  # noqa: S310
            return {"status": response.status, "body": _json_or_none(response.read())}
    except urllib.error.HTTPError as error:
        return {"status": error.code, "body": _json_or_none(error.read())}


def _json_or_none(raw: bytes) -> object:
    """A JSON body; None for an empty one (204 No Content, 304 Not Modified); for any other
    body (a model file a device downloads) its size in bytes, the part two servers of one
    release must agree on."""
    if not raw:
        return None
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return {"non_json_body_bytes": len(raw)}


def _poll_job(base_url: str, request: dict[str, Any], timeout_s: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        answer = send(base_url, request)
        body = answer["body"]
        final = isinstance(body, dict) and body.get("status") in FINAL_JOB_STATES
        if final or answer["status"] >= HTTPStatus.BAD_REQUEST or time.monotonic() > deadline:
            return answer
        time.sleep(0.1)


def _created_job(body: object) -> str | None:
    """The job id a POST /jobs (top level) or a time-lag /predict (under "job") answered."""
    if not isinstance(body, dict):
        return None
    job = body.get("job", body)
    found = job.get("job_id") if isinstance(job, dict) else None
    return found if isinstance(found, str) else None
