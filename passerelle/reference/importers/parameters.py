"""Import the versioned rule parameters from a TOML file of ``[[parameter]]`` entries."""

from __future__ import annotations

import re
import tomllib
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from passerelle.models import Parameter
from passerelle.reference.importers.base import (
    FatalImportError,
    Fields,
    ImportReport,
    InvalidLine,
    Progress,
    Rejection,
    Row,
    read_text,
    validate,
    write,
)
from passerelle.reference.queries import convert

DEFAULT_PARAMETERS_FILE = Path(__file__).parents[1] / "parameters.toml"
PARAMETER_KEY = re.compile(r"[a-z][a-z0-9_]*(\.[A-Za-z0-9_]+)+")
PARAMETER_KINDS = ("decimal", "integer", "date", "text")
PARAMETER_FIELDS = ("key", "valid_from", "valid_to", "kind", "value", "unit", "label", "source", "verified")


def import_parameters(session: Session, path: Path | str, *, progress: Progress | None = None) -> ImportReport:
    """Import versioned rule parameters from a TOML file of ``[[parameter]]`` entries."""
    path = Path(path)
    text = read_text(path)
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise FatalImportError(f"{path.name} : TOML invalide ({exc}).") from exc
    entries = document.get("parameter")
    if set(document) != {"parameter"} or not isinstance(entries, list) or not entries:
        raise FatalImportError(f"{path.name} : attendu uniquement des entrées [[parameter]].")
    headers = [n for n, line in enumerate(text.splitlines(), 1) if re.match(r"\s*\[\[\s*parameter\s*\]\]", line)]
    if len(headers) != len(entries):
        raise FatalImportError(f"{path.name} : écrivez chaque entrée sous son propre en-tête [[parameter]].")
    report = ImportReport("Paramètres", skip_option=False)
    ticker, valid = validate(
        report,
        list(zip(headers, entries, strict=True)),
        parameter_row,
        key=lambda row: (row["key"], row["valid_from"]),
        duplicate="key : « {key[0]} » à partir du {key[1]:%d/%m/%Y} déjà présent ligne {first}",
        progress=progress,
        skip_invalid=False,
    )
    valid = reject_overlaps(session, report, valid)
    if not report.imported:
        return report
    return write(session, report, ticker, Parameter, ("key", "valid_from"), [row for _, row in valid])


def parameter_row(entry: Any) -> Row:
    """Check one ``[[parameter]]`` entry: known fields, types, key, period, value readable for its kind."""
    if not isinstance(entry, dict):
        raise InvalidLine("entrée [[parameter]] invalide")
    # TOML gives native dates; the getters below read text, so dates are turned back into ISO strings.
    values = {
        name: value.isoformat() if isinstance(value, date) and not isinstance(value, datetime) else value
        for name, value in entry.items()
        if name != "verified"
    }
    f = Fields({name: value for name, value in values.items() if isinstance(value, str)})
    for name, value in values.items():
        if name not in PARAMETER_FIELDS:
            f.fail(name, "champ inconnu")
        elif not isinstance(value, str):
            f.fail(name, f"attendu une chaîne entre guillemets ou une date (lu {value!r})")
    row = {
        "key": f.text("key", max_length=120, pattern=PARAMETER_KEY, what="clé"),
        "valid_from": f.date("valid_from"),
        "valid_to": f.date("valid_to", required=False),
        "kind": f.choice("kind", {kind: kind for kind in PARAMETER_KINDS}),
        "value": f.text("value", max_length=300),
        "unit": f.text("unit", required=False, max_length=40),
        "label": f.text("label", max_length=300),
        "source": f.text("source", max_length=5000),
        "verified": entry.get("verified", True),
    }
    if not isinstance(row["verified"], bool):
        f.fail("verified", f"attendu true ou false (lu {row['verified']!r})")
    if row["valid_from"] and row["valid_to"] and row["valid_to"] < row["valid_from"]:
        f.fail("valid_to", f"{row['valid_to']:%d/%m/%Y} antérieure à valid_from {row['valid_from']:%d/%m/%Y}")
    if row["kind"] and row["value"]:
        try:
            converted = convert(row["kind"], row["value"])
        except (ValueError, ArithmeticError):
            converted = None
        if converted is None or (isinstance(converted, Decimal) and not converted.is_finite()):
            f.fail("value", f"« {row['value']} » n'est pas une valeur de type {row['kind']}")
    f.check()
    return row


def reject_overlaps(session: Session, report: ImportReport, rows: list[tuple[int, Row]]) -> list[tuple[int, Row]]:
    """Reject entries whose period overlaps another period of the same key, in the file or in the base."""
    in_file = {(row["key"], row["valid_from"]) for _, row in rows}
    periods: dict[str, list[tuple[date, date | None, int | None]]] = defaultdict(list)
    for key, start, end in session.execute(select(Parameter.key, Parameter.valid_from, Parameter.valid_to)):
        if (key, start) not in in_file:
            periods[key].append((start, end, None))
    for line, row in rows:
        periods[row["key"]].append((row["valid_from"], row["valid_to"], line))
    rejected: set[int] = set()

    def describe(start: date, end: date | None, line: int | None) -> str:
        where = f"ligne {line}" if line is not None else "déjà en base"
        return f"du {start:%d/%m/%Y} au {f'{end:%d/%m/%Y}' if end else '…'} ({where})"

    for key, items in periods.items():
        kept: list[tuple[date, date | None, int | None]] = []
        for item in sorted(items, key=lambda period: period[0]):
            clash = next((k for k in kept if k[1] is None or k[1] >= item[0]), None)
            if clash is None or (clash[2] is None and item[2] is None):
                kept.append(item)
                continue
            # Reject the entry from the file; rows already in the base cannot be rejected.
            loser, winner = (item, clash) if item[2] is not None else (clash, item)
            if loser in kept:
                kept.remove(loser)
                kept.append(winner)
            line = loser[2] or 0  # never 0: a loser always comes from the file
            rejected.add(line)
            message = f"valid_from : la période {describe(*loser)} de « {key} » chevauche celle {describe(*winner)}"
            report.rejected.append(Rejection(line, message))
    report.rejected.sort(key=lambda rejection: rejection.line)
    report.imported = not report.rejected
    return [(line, row) for line, row in rows if line not in rejected]
