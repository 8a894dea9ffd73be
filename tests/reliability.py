"""The reliability proof's report: tests marked `reliability(group, case)` are tallied per case.

`@pytest.mark.reliability("concurrency", "10 parallel approvals of one statement")` labels a
test (every parametrised item of it counts once); a test may add the figure it measured with
`record_property("figure", "...")`, printed under the table. At the end of a run that collected
any such test, the outcome per case is written as JSON to `var/reliability.json` (or to
`PRM_RELIABILITY_REPORT`), and `bin/reliability` prints it as one table.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from pathlib import Path

import pytest

GROUPS = ("fault", "concurrency", "bad input", "attack", "history", "backup")

_results: dict[tuple[str, str], dict] = defaultdict(
    lambda: {"passed": 0, "failed": 0, "skipped": 0, "figures": []}
)
_labels: dict[str, tuple[str, str]] = {}


def report_path() -> Path:
    default = Path(__file__).resolve().parent.parent / "var" / "reliability.json"
    return Path(os.environ.get("PRM_RELIABILITY_REPORT", default))


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "reliability(group, case): part of the reliability proof, tallied by bin/reliability",
    )


def pytest_collection_modifyitems(items):
    for item in items:
        marker = item.get_closest_marker("reliability")
        if marker is None:
            continue
        group, case = marker.args
        if group not in GROUPS:
            raise pytest.UsageError(f"{item.nodeid}: unknown reliability group {group!r}")
        _labels[item.nodeid] = (group, case)


def pytest_runtest_logreport(report):
    label = _labels.get(report.nodeid)
    if label is None:
        return
    tally = _results[label]
    tally["figures"].extend(
        value
        for name, value in report.user_properties
        if name == "figure" and report.when == "call"
    )
    if report.when == "call":
        tally["passed" if report.passed else "failed" if report.failed else "skipped"] += 1
    elif report.failed:
        tally["failed"] += 1
    elif report.skipped:
        tally["skipped"] += 1


def pytest_sessionfinish(session):
    if not _results:
        return
    rows = [
        {"group": group, "case": case, **tally}
        for (group, case), tally in sorted(
            _results.items(), key=lambda kv: (GROUPS.index(kv[0][0]), kv[0][1])
        )
    ]
    path = report_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rows, indent=2, ensure_ascii=False))
