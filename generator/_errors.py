"""One exception root; the CLI alone turns these into messages and exit codes."""

from __future__ import annotations


class KataError(Exception):
    """Anything Kata refuses or fails to do, with a message meant for the user."""

    exit_code = 1


class AnswerError(KataError):
    """An answer Kata cannot render: names the field and what is allowed."""

    exit_code = 2

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
