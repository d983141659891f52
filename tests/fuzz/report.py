"""Count the fuzzers' generated cases per route and write test-artifacts/fuzz-report.json at the end of the run.

Loaded as a plugin by tests/conftest.py so that it also runs in the pytest-xdist controller: each worker sends its
counts to the controller, which merges them. The report keeps one section per database (SQLite, PostgreSQL), so
the two runs of the suite add up to one file. No assertion here (PYTEST_DONT_REWRITE): test modules import it.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

REPORT_PATH = Path(__file__).resolve().parents[2] / "test-artifacts" / "fuzz-report.json"

# case (route or endpoint) -> {"examples": n, "statuses": {"200": n, ...}}
_cases: dict[str, dict[str, Any]] = {}
_merged: dict[str, dict[str, Any]] = {}


def record_case(case: str, status: int | str) -> None:
    """Count one generated example of a route and the answer it got."""
    entry = _cases.setdefault(case, {"examples": 0, "statuses": {}})
    entry["examples"] += 1
    entry["statuses"][str(status)] = entry["statuses"].get(str(status), 0) + 1


def _merge(into: dict[str, dict[str, Any]], cases: dict[str, dict[str, Any]]) -> None:
    for case, entry in cases.items():
        target = into.setdefault(case, {"examples": 0, "statuses": {}})
        target["examples"] += entry["examples"]
        statuses = Counter(target["statuses"])
        statuses.update(entry["statuses"])
        target["statuses"] = dict(sorted(statuses.items()))


def _backend() -> str:
    url = os.environ.get("PASSERELLE_TEST_DATABASE_URL", "")
    return "postgresql" if url.startswith("postgresql") else "sqlite"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: hand the counts to the controller
        workeroutput["fuzz_cases"] = json.dumps(_cases)
        return
    _merge(_merged, _cases)
    if not _merged:
        return
    report: dict[str, Any] = {}
    if REPORT_PATH.exists():
        try:
            report = json.loads(REPORT_PATH.read_text(encoding="utf-8"))
        except ValueError:
            report = {}
    report[_backend()] = {
        "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "max_examples_per_case": int(os.environ.get("FUZZ_MAX_EXAMPLES", "15")),
        "cases": dict(sorted(_merged.items())),
        "total_examples": sum(entry["examples"] for entry in _merged.values()),
    }
    REPORT_PATH.parent.mkdir(parents=True, exist_ok=True)
    REPORT_PATH.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    output = getattr(node, "workeroutput", {}) or {}
    if "fuzz_cases" in output:
        _merge(_merged, json.loads(output["fuzz_cases"]))


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if getattr(config, "workeroutput", None) is not None or not _merged:
        return
    total = sum(entry["examples"] for entry in _merged.values())
    terminalreporter.write_sep("-", f"fuzzing : {total} cas générés sur {len(_merged)} routes ({_backend()})")
    for case, entry in sorted(_merged.items()):
        statuses = ", ".join(f"{status}×{count}" for status, count in entry["statuses"].items())
        terminalreporter.write_line(f"  {case:<60} {entry['examples']:>4}  {statuses}")
    terminalreporter.write_line(f"  rapport : {REPORT_PATH}")
