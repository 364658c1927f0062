"""Where the suite's time went: a summary at the end of every run, per tier and per
combination of the project tier, so the next change to the matrix can be weighed.

Times are the sum of each test's setup, call and teardown as its worker measured them: with
several workers the tiers add up to more than the wall time, which the summary gives too.
A combination's install runs in the setup of the first of its project-tier tests to run
(in a whole run, ``make lint``'s), its local run of the README's examples in the setup of
the smoke test.
"""

from __future__ import annotations

import time
from collections import defaultdict

import pytest

TIERS = {
    "containers": "containers",
    "own_suite": "own suites",
    "project": "install, lint, smoke",
}
"""Markers naming a tier, most specific first, and the tier's name in the summary; a test
with none of them is in the static tier."""
COLUMNS = {
    "test_generated_project_passes_its_own_lint": "install+lint",
    "test_services_answer_the_readme_examples_locally": "smoke",
    "test_generated_project_passes_its_own_tests": "own suite",
    "test_images_build_and_compose_serves_the_readme_examples": "containers",
}
"""The project tier's tests, as columns of the per-combination table."""


class TimingSummary:
    """A pytest plugin, registered on the controller: it sees every worker's reports."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.tier_seconds: dict[str, float] = defaultdict(float)
        self.tier_tests: dict[str, set[str]] = defaultdict(set)
        self.combinations: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        tier = next((name for name in TIERS if name in report.keywords), "static")
        self.tier_seconds[tier] += report.duration
        self.tier_tests[tier].add(report.nodeid)
        function, _, param = report.nodeid.rpartition("::")[2].partition("[")
        if function in COLUMNS and param:
            self.combinations[param.rstrip("]")][COLUMNS[function]] += report.duration

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        write = terminalreporter.write_line
        terminalreporter.section("time per tier and per combination")
        write(f"wall time {time.monotonic() - self.started:.0f} s")
        for tier, name in [*TIERS.items(), ("static", "static")]:
            if self.tier_tests[tier]:
                count = len(self.tier_tests[tier])
                write(f"  {name:<20} {count:>4} tests {self.tier_seconds[tier]:>8.0f} s")
        if not self.combinations:
            return
        columns = list(COLUMNS.values())
        width = max(len(name) for name in self.combinations)
        write("")
        write(f"{'combination':<{width}} " + " ".join(f"{c:>12}" for c in columns) + "   total")
        rows = sorted(self.combinations.items(), key=lambda item: -sum(item[1].values()))
        for name, seconds in rows:
            cells = " ".join(
                f"{seconds[c]:>12.1f}" if c in seconds else f"{'-':>12}" for c in columns
            )
            write(f"{name:<{width}} {cells} {sum(seconds.values()):>7.1f}")
