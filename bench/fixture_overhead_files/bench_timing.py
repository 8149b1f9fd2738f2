"""Loaded into the project's pytest with -p: writes each test's phase durations to a file."""

import json
import os

import pytest

_phases: dict[str, dict[str, float]] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _phases.setdefault(report.nodeid, {})[report.when] = report.duration


def pytest_sessionfinish(session: pytest.Session) -> None:
    with open(os.environ["BENCH_PHASES_FILE"], "w") as output:
        json.dump(_phases, output)
