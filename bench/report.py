"""Turn the wrk runs into one table: medians over rounds, ratios, round trips."""

import json
import statistics
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.config import POOL_TIMEOUT_S, budget
from bench.wrk import Result

README_START = "<!-- bench:start -->"
README_END = "<!-- bench:end -->"


@dataclass(frozen=True)
class Measurement:
    database: str
    scenario: str
    app: str
    connections: int
    round: int
    result: Result


@dataclass(frozen=True)
class Row:
    database: str
    scenario: str
    connections: int
    app: str
    rounds: int
    rps: float  # medians over the rounds
    p50_ms: float
    p99_ms: float
    max_ms: float  # the worst over all rounds
    errors: int  # all rounds together
    round_trips: float | None
    service_over_limit: float | None = None
    async_over_sync: float | None = None
    logged_over_unlogged: float | None = None

    @property
    def past_pool_timeout(self) -> bool:
        return self.max_ms > POOL_TIMEOUT_S * 1000


def rows(
    measurements: list[Measurement], round_trips: Mapping[tuple[str, str, str], float]
) -> list[Row]:
    """One row per database, scenario, connection count and app, in the order measured."""
    groups: dict[tuple[str, str, int, str], list[Result]] = defaultdict(list)
    for m in measurements:
        groups[(m.database, m.scenario, m.connections, m.app)].append(m.result)
    table = []
    for (database, scenario, connections, app), results in groups.items():
        table.append(
            Row(
                database=database,
                scenario=scenario,
                connections=connections,
                app=app,
                rounds=len(results),
                rps=statistics.median(r.rps for r in results),
                p50_ms=statistics.median(r.p50_ms for r in results),
                p99_ms=statistics.median(r.p99_ms for r in results),
                max_ms=max(r.max_ms for r in results),
                errors=sum(r.error_count for r in results),
                round_trips=round_trips.get((database, app, scenario)),
            )
        )
    return [_with_ratios(row, table) for row in table]


def _with_ratios(row: Row, table: list[Row]) -> Row:
    """On the service's rows: its median RPS over the limit app's, the sync app's and its own
    without access lines (what logging costs)."""
    if row.app != "service":
        return row
    rps = {
        other.app: other.rps
        for other in table
        if (other.database, other.scenario, other.connections)
        == (row.database, row.scenario, row.connections)
    }

    def ratio(app: str) -> float | None:
        return row.rps / rps[app] if rps.get(app) else None

    return Row(
        **{
            **asdict(row),
            "service_over_limit": ratio("limit"),
            "async_over_sync": ratio("sync"),
            "logged_over_unlogged": ratio("no-access-log"),
        }
    )


def _number(value: float | None, digits: int = 0) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


# (heading, right-aligned)
COLUMNS = [
    ("db", False),
    ("scenario", False),
    ("conns", True),
    ("app", False),
    ("RPS", True),
    ("p50 ms", True),
    ("p99 ms", True),
    ("p99/p50", True),
    ("max ms", True),
    ("errors", True),
    ("DB round trips/req", True),
    ("service/limit", True),
    ("async/sync", True),
    ("logged/unlogged", True),
]


def markdown_table(table: list[Row]) -> str:
    lines = [
        "| " + " | ".join(name for name, _ in COLUMNS) + " |",
        "|" + "|".join("--:" if numeric else "---" for _, numeric in COLUMNS) + "|",
    ]
    for r in table:
        # A ratio only where the other app ran too (SQLite rows have the service alone).
        ratios = [
            "" if value is None else f"{value:.2f}"
            for value in (r.service_over_limit, r.async_over_sync, r.logged_over_unlogged)
        ]
        cells = [
            r.database,
            r.scenario,
            str(r.connections),
            r.app,
            _number(r.rps),
            _number(r.p50_ms, 1),
            _number(r.p99_ms, 1),
            f"{r.p99_ms / r.p50_ms:.1f}" if r.p50_ms else "",
            _number(r.max_ms, 0) + (" ⚠" if r.past_pool_timeout else ""),
            str(r.errors),
            _number(r.round_trips, 1),
            *ratios,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def measured_on(machine: dict[str, Any]) -> str:
    """The sentence that opens a result: when, on what, with which versions."""
    versions = ", ".join(f"{name} {v}" for name, v in machine["versions"].items())
    return (
        f"Measured {machine['date']} on {machine['cpu']}, {machine['cores']} cores;"
        f" PostgreSQL {machine['postgresql']}; {versions}; {machine['wrk']}."
    )


def markdown(table: list[Row], machine: dict[str, Any], notes: list[str]) -> str:
    header = [
        measured_on(machine),
        "",
        f"Budget for every app: {budget()}.",
        "",
    ]
    body = [markdown_table(table), ""]
    footer = [f"- {note}" for note in notes]
    return "\n".join([*header, *body, *footer]) + "\n"


def write(
    directory: Path,
    table: list[Row],
    measurements: list[Measurement],
    machine: dict[str, Any],
    notes: list[str],
    settings: dict[str, Any],
) -> str:
    """Write latest.json and latest.md into `directory`; return the Markdown."""
    directory.mkdir(parents=True, exist_ok=True)
    text = markdown(table, machine, notes)
    (directory / "latest.md").write_text(text)
    data = {
        "machine": machine,
        "settings": settings,
        "notes": notes,
        "rows": [{**asdict(row), "past_pool_timeout": row.past_pool_timeout} for row in table],
        "runs": [{**asdict(m), "result": m.result.as_dict()} for m in measurements],
    }
    (directory / "latest.json").write_text(json.dumps(data, indent=2) + "\n")
    return text


def update_readme(readme: Path, text: str) -> None:
    """Replace what lies between the bench markers in `readme` with `text`."""
    content = readme.read_text()
    start, end = content.find(README_START), content.find(README_END)
    if start < 0 or end < start:
        raise ValueError(f"{readme} has no {README_START} ... {README_END} block")
    before = content[: start + len(README_START)]
    readme.write_text(f"{before}\n{text}{content[end:]}")
