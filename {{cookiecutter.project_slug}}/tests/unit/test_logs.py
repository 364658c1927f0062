"""JSON log lines carry the request id; configuring twice does not duplicate lines."""

import json
import logging

import pytest

from app.logs import JsonFormatter, configure_logging, request_id_var


def _record(**extra: object) -> logging.LogRecord:
    record = logging.LogRecord("app.test", logging.WARNING, __file__, 1, "hello %s", ("you",), None)
    record.__dict__.update(extra)
    return record


def test_line_holds_message_level_and_extras():
    line = json.loads(JsonFormatter().format(_record(status=200)))

    assert line["message"] == "hello you"
    assert line["level"] == "WARNING"
    assert line["logger"] == "app.test"
    assert line["status"] == 200
    assert line["time"].endswith("Z")
    assert "request_id" not in line


def test_line_carries_the_current_request_id():
    token = request_id_var.set("req-42")
    try:
        line = json.loads(JsonFormatter().format(_record()))
    finally:
        request_id_var.reset(token)

    assert line["request_id"] == "req-42"


def test_configuring_twice_writes_each_line_once(capsys: pytest.CaptureFixture[str]):
    configure_logging("INFO")
    configure_logging("INFO")

    logging.getLogger("app.test").info("once")

    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["message"] for line in lines] == ["once"]
