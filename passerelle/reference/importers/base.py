"""Read, check and write reference files: the plumbing every importer shares, and its report."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Executable, insert, inspect, select, update
from sqlalchemy.orm import Session

from passerelle.formatting import number
from passerelle.models import Commune
from passerelle.models.reference import search_key

Progress = Callable[[int, int], None]
Row = dict[str, Any]
R = TypeVar("R")

BATCH_SIZE = 2000
TICK_EVERY = 500

INSEE_CODE = re.compile(r"\d{5}|2[AB]\d{3}")
DEPARTEMENT_CODE = re.compile(r"\d{2,3}|2[AB]")
REGION_CODE = re.compile(r"\d{1,3}")


class FatalImportError(Exception):
    """The file cannot be imported at all: unreadable, not UTF-8, empty, missing columns."""


class InvalidLine(ValueError):
    """One line is rejected; the message names the column and the bad value."""


@dataclass
class Rejection:
    """A line left out of an import and why."""

    line: int  # physical line in the file, the header being line 1
    message: str


@dataclass
class ImportReport:
    """What one import did: rows created, updated, unchanged, and the lines it rejected."""

    kind: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    imported: bool = False
    lines: int = 0  # data lines read
    skip_option: bool = True  # whether the command offers --skip-invalid

    def summary(self) -> str:
        rejected = number(len(self.rejected), 0)
        if not self.imported:
            advice = " ou relancez avec --skip-invalid" if self.skip_option else ""
            return (
                f"{self.kind} : {rejected} ligne(s) rejetée(s) sur {number(self.lines, 0)} lue(s). "
                f"Rien n'a été importé : corrigez les lignes rejetées{advice}."
            )
        valid = number(self.created + self.updated + self.unchanged, 0)
        return (
            f"{self.kind} : {valid} lignes valides — {number(self.created, 0)} créées, "
            f"{number(self.updated, 0)} modifiées, {number(self.unchanged, 0)} inchangées ; "
            f"{rejected} rejetée(s)."
        )


# --- reading ----------------------------------------------------------------------------------------


def read_text(path: Path) -> str:
    """Return the file's text (UTF-8, BOM dropped) or raise FatalImportError."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FatalImportError(f"Fichier illisible : {path} ({exc.strerror or exc}).") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FatalImportError(
            f"{path.name} n'est pas encodé en UTF-8 (octet invalide à la position {exc.start}) : "
            "réenregistrez-le en UTF-8."
        ) from exc
    if not text.strip():
        raise FatalImportError(f"{path.name} est vide.")
    return text


def csv_lines(text: str, delimiter: str, name: str) -> list[tuple[int, list[str]]]:
    """Split CSV text into (physical line number, fields), skipping blank lines."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    lines, start = [], 1
    try:
        for fields in reader:
            if any(value.strip() for value in fields):
                lines.append((start, fields))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise FatalImportError(f"{name}, ligne {reader.line_num} : CSV illisible ({exc}).") from exc
    return lines


def read_table(path: Path, *, delimiter: str, required: Sequence[str]) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Read a CSV file with a header line; check the required columns are there."""
    lines = csv_lines(read_text(path), delimiter, path.name)
    if not lines:
        raise FatalImportError(f"{path.name} est vide.")
    header = [column.strip() for column in lines[0][1]]
    missing = [column for column in required if column not in header]
    if missing:
        raise FatalImportError(
            f"{path.name} : colonne(s) manquante(s) : {', '.join(missing)} (en-tête lu : {', '.join(header)})."
        )
    if len(lines) < 2:
        raise FatalImportError(f"{path.name} ne contient aucune ligne de données.")
    return header, lines[1:]


class Fields:
    """The raw text of one line by column; each typed getter records the line's problems."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self.values = values
        self.problems: list[str] = []

    @classmethod
    def of(cls, header: Sequence[str], raw: Sequence[str]) -> Fields:
        if len(raw) != len(header):
            raise InvalidLine(f"nombre de champs incorrect : {len(raw)} au lieu de {len(header)}")
        return cls(dict(zip(header, raw, strict=True)))

    def raw(self, column: str) -> str:
        return self.values.get(column, "").strip()

    def fail(self, column: str, message: str) -> None:
        self.problems.append(f"{column} : {message}")

    def check(self) -> None:
        if self.problems:
            raise InvalidLine(" ; ".join(self.problems))

    def _missing(self, column: str, value: str, required: bool, *, na: bool = False) -> bool:
        if value and not (na and value.upper() == "NA"):
            return False
        if required and not any(problem.startswith(f"{column} :") for problem in self.problems):
            self.fail(column, "valeur manquante")
        return True

    def text(
        self,
        column: str,
        *,
        required: bool = True,
        max_length: int = 200,
        pattern: re.Pattern[str] | None = None,
        what: str = "valeur",
    ) -> str | None:
        value = self.raw(column)
        if self._missing(column, value, required):
            return None
        if len(value) > max_length or (pattern is not None and not pattern.fullmatch(value)):
            self.fail(column, f"{what} invalide « {value} »")
            return None
        return value

    def choice(self, column: str, options: Mapping[str, str], *, fold: bool = False) -> str | None:
        value = self.raw(column)
        if self._missing(column, value, True):
            return None
        stored = options.get(value.lower() if fold else value)
        if stored is None:
            self.fail(column, f"valeur inconnue « {value} » (attendu : {', '.join(dict.fromkeys(options))})")
        return stored

    def decimal(
        self,
        column: str,
        *,
        places: int,
        digits: int,
        required: bool = True,
        positive: bool = False,
        exact: bool = False,
    ) -> Decimal | None:
        """A decimal (comma or point) quantized to the column's scale, within Numeric(digits, places)."""
        value = self.raw(column)
        if self._missing(column, value, required, na=True):
            return None
        try:
            parsed = Decimal(value.replace(",", "."))
        except InvalidOperation:
            parsed = Decimal("NaN")
        if not parsed.is_finite():
            self.fail(column, f"nombre invalide « {value} »")
            return None
        if positive and parsed <= 0:
            self.fail(column, f"doit être positif (lu « {value} »)")
            return None
        if abs(parsed) >= Decimal(10) ** (digits - places):
            self.fail(column, f"valeur hors limites « {value} »")
            return None
        quantized = parsed.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        if exact and quantized != parsed:
            self.fail(column, f"plus de {places} décimales « {value} »")
            return None
        return quantized

    def integer(self, column: str, *, required: bool = True, minimum: int = 0, maximum: int = 2**31 - 1) -> int | None:
        value = self.raw(column)
        if self._missing(column, value, required, na=True):
            return None
        if not re.fullmatch(r"[+-]?\d{1,10}", value):
            self.fail(column, f"nombre entier invalide « {value} »")
            return None
        if not minimum <= int(value) <= maximum:
            self.fail(column, f"« {value} » hors limites (attendu entre {minimum} et {maximum})")
            return None
        return int(value)

    def date(self, column: str, *, required: bool = True) -> date | None:
        value = self.raw(column)
        if self._missing(column, value, required):
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.fail(column, f"date invalide « {value} » (attendu AAAA-MM-JJ)")
            return None


# --- validating and writing -------------------------------------------------------------------------


class Ticker:
    """Report progress: validated lines count for the first half, written rows for the second."""

    def __init__(self, callback: Progress | None, lines: int) -> None:
        self.callback, self.lines, self.total = callback, lines, max(2 * lines, 1)

    def validated(self, done: int) -> None:
        if self.callback and (done % TICK_EVERY == 0 or done == self.lines):
            self.callback(done, self.total)

    def written(self, done: int, total: int) -> None:
        if self.callback:
            self.callback(self.lines + (self.lines * done // total if total else self.lines), self.total)


def validate(
    report: ImportReport,
    items: Sequence[tuple[int, Any]],
    check: Callable[[Any], R | None],
    *,
    key: Callable[[R], Hashable],
    duplicate: str,
    progress: Progress | None,
    skip_invalid: bool,
) -> tuple[Ticker, list[tuple[int, R]]]:
    """Check every line, collect every rejection; return the valid rows with their line numbers.

    ``check`` returns None for a line that carries nothing to import (not a rejection); ``duplicate`` is
    the message for a repeated key, formatted with ``key`` and ``first`` (the line that had it first).
    Afterwards ``report.imported`` says whether the caller may write.
    """
    ticker = Ticker(progress, len(items))
    valid: list[tuple[int, R]] = []
    seen: dict[Hashable, int] = {}
    report.lines = len(items)
    for done, (line, raw) in enumerate(items, 1):
        try:
            row = check(raw)
            if row is not None:
                first = seen.setdefault(key(row), line)
                if first != line:
                    raise InvalidLine(duplicate.format(key=key(row), first=first))
                valid.append((line, row))
        except InvalidLine as exc:
            report.rejected.append(Rejection(line, str(exc)))
        ticker.validated(done)
    report.rejected.sort(key=lambda rejection: rejection.line)
    report.imported = skip_invalid or not report.rejected
    return ticker, valid


def upsert(
    session: Session,
    model: type[Any],
    key: Sequence[str],
    rows: Sequence[Row],
    *,
    scope: ColumnElement[bool] | None = None,
    progress: Progress | None = None,
) -> tuple[int, int, int]:
    """Insert new rows and update changed ones, matched on a natural key; return the three counts.

    Existing rows (within ``scope``) are loaded once; values are compared after the caller has quantized
    them to the column scale, so an identical re-run is reported unchanged.
    """
    if not rows:
        return 0, 0, 0
    pk = inspect(model).primary_key[0].key
    names = list(dict.fromkeys([pk, *rows[0]]))
    query = select(*(getattr(model, name) for name in names))
    if scope is not None:
        query = query.where(scope)
    existing = {tuple(found[n] for n in key): found for found in session.execute(query).mappings()}
    new: list[Row] = []
    changed: list[Row] = []
    for values in rows:
        current = existing.get(tuple(values[n] for n in key))
        if current is None:
            new.append(values)
        elif any(current[n] != value for n, value in values.items()):
            changed.append({**values, pk: current[pk]})
    work: list[tuple[Executable, list[Row]]] = [
        (insert(model), new[i : i + BATCH_SIZE]) for i in range(0, len(new), BATCH_SIZE)
    ]
    work += [(update(model), changed[i : i + BATCH_SIZE]) for i in range(0, len(changed), BATCH_SIZE)]
    done = 0
    for statement, batch in work:
        session.execute(statement, batch)
        done += len(batch)
        if progress:
            progress(done, len(new) + len(changed))
    # Bulk statements bypass the identity map: reload any instance of this table already in the session.
    for instance in list(session.identity_map.values()):
        if isinstance(instance, model):
            session.expire(instance)
    return len(new), len(changed), len(rows) - len(new) - len(changed)


def write(
    session: Session,
    report: ImportReport,
    ticker: Ticker,
    model: type[Any],
    key: Sequence[str],
    rows: Sequence[Row],
    *,
    scope: ColumnElement[bool] | None = None,
) -> ImportReport:
    """Upsert the main table of an import and record the counts on the report."""
    report.created, report.updated, report.unchanged = upsert(
        session, model, key, rows, scope=scope, progress=ticker.written
    )
    ticker.written(1, 1)
    return report


def upsert_communes(session: Session, rows: Sequence[Row]) -> None:
    """Create missing communes and refresh the given columns of known ones (others are kept)."""
    unique = list({row["insee"]: row for row in rows}.values())
    for row in unique:
        if "name" in row:
            row["search_name"] = search_key(row["name"])
    upsert(session, Commune, ("insee",), unique)
