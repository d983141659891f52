"""Import official reference files: carte des loyers, IRL, income ceilings, zonage ABC, parameters.

Every importer reads the whole file and checks every line before writing anything. A rejected line stops
the import (nothing is written) unless ``skip_invalid`` is set. Writes are bulk upserts on the natural key,
so running an import twice changes nothing the second time. Importers flush, never commit.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import re
import tomllib
from collections import defaultdict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Executable, insert, inspect, select, update
from sqlalchemy.orm import Session

from passerelle.formatting import number
from passerelle.models import Commune, CommuneZone, IncomeCeiling, IrlIndex, Parameter, RentReference
from passerelle.models.reference import search_key
from passerelle.reference.queries import MissingParameter, convert, parameter_at

Progress = Callable[[int, int], None]
Row = dict[str, Any]
R = TypeVar("R")

DEFAULT_PARAMETERS_FILE = Path(__file__).with_name("parameters.toml")
BATCH_SIZE = 2000
TICK_EVERY = 500

INSEE_CODE = re.compile(r"\d{5}|2[AB]\d{3}")
DEPARTEMENT_CODE = re.compile(r"\d{2,3}|2[AB]")
REGION_CODE = re.compile(r"\d{1,3}")
EPCI_CODE = re.compile(r"\d{9}|Z{9}")  # ZZZZZZZZZ: commune outside any EPCI (islands)
PERIOD_CODE = re.compile(r"(\d{4})-T([1-4])")
BDM_HEADER_ROWS = ("libellé", "idbank", "dernière mise à jour", "période")
PARAMETER_KEY = re.compile(r"[a-z][a-z0-9_]*(\.[A-Za-z0-9_]+)+")
MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
FRENCH_MONTHS = {name: n for n, name in enumerate(MONTHS, 1)} | {"fevrier": 2, "aout": 8, "decembre": 12}

RENT_MAP_COLUMNS = (
    "id_zone",
    "INSEE_C",
    "LIBGEO",
    "EPCI",
    "DEP",
    "REG",
    "loypredm2",
    "lwr.IPm2",
    "upr.IPm2",
    "TYPPRED",
    "nbobs_com",
    "nbobs_mail",
    "R2_adj",
)
PREDICTION_LEVELS = {"commune": "commune", "maille": "maille", "epci": "EPCI"}
IRL_COLUMNS = ("year", "quarter", "irl")
CEILING_COLUMNS = ("grid", "year", "area", "household_category", "annual_ceiling_eur")
CEILING_AREAS = {
    "PLUS": ("paris_adjacent", "idf_other", "other_regions"),
    "PLAI": ("paris_adjacent", "idf_other", "other_regions"),
    "INTERMEDIAIRE": ("zone_Abis", "zone_A", "zone_B1", "zone_B2_C"),
}
HOUSEHOLD_CATEGORIES = ("1", "2", "3", "4", "5", "6", "extra_person")
ZONAGE_COLUMNS = ("CODGEO", "REG", "DEP", "LIBGEO")
ZONES = {"A": "A", "Abis": "A bis", "A bis": "A bis", "B1": "B1", "B2": "B2", "C": "C"}
PARAMETER_KINDS = ("decimal", "integer", "date", "text")
PARAMETER_FIELDS = ("key", "valid_from", "valid_to", "kind", "value", "unit", "label", "source", "verified")


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


# --- carte des loyers -------------------------------------------------------------------------------


def import_rent_map(
    session: Session,
    path: Path | str,
    *,
    edition: int | None = None,
    housing_type: str = "appartement",
    skip_invalid: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import one edition of the carte des loyers (market rent per m², charges included) by commune."""
    path = Path(path)
    if not housing_type or len(housing_type) > 20:
        raise FatalImportError(f"Type de logement invalide « {housing_type} ».")
    edition = rent_map_edition(session, path, edition)
    source = f"Carte des loyers {edition}, DHUP/ANIL, data.gouv.fr (Licence Ouverte)"
    header, items = read_table(path, delimiter=";", required=RENT_MAP_COLUMNS)
    report = ImportReport("Carte des loyers")

    def check(raw: list[str]) -> tuple[Row, Row]:
        f = Fields.of(header, raw)
        insee = f.text("INSEE_C", pattern=INSEE_CODE, what="code INSEE")
        epci = f.text("EPCI", required=False, pattern=EPCI_CODE, what="code SIREN d'EPCI")
        commune = {
            "insee": insee,
            "name": f.text("LIBGEO"),
            "departement": f.text("DEP", pattern=DEPARTEMENT_CODE, what="code département"),
            "region": f.text("REG", required=False, pattern=REGION_CODE, what="code région"),
            "epci": None if epci == "Z" * 9 else epci,
        }
        rent = f.decimal("loypredm2", places=6, digits=12, positive=True)
        lower = f.decimal("lwr.IPm2", places=6, digits=12, positive=True, required=False)
        upper = f.decimal("upr.IPm2", places=6, digits=12, positive=True, required=False)
        if rent is not None and lower is not None and lower > rent:
            f.fail(
                "lwr.IPm2",
                f"borne basse « {f.raw('lwr.IPm2')} » supérieure au loyer « {f.raw('loypredm2')} »",
            )
        if rent is not None and upper is not None and upper < rent:
            f.fail(
                "upr.IPm2",
                f"borne haute « {f.raw('upr.IPm2')} » inférieure au loyer « {f.raw('loypredm2')} »",
            )
        reference = {
            "commune_insee": insee,
            "edition": edition,
            "housing_type": housing_type,
            "rent_m2": rent,
            "lower_m2": lower,
            "upper_m2": upper,
            "prediction_level": f.choice("TYPPRED", PREDICTION_LEVELS, fold=True),
            "zone_id": f.text("id_zone", required=False, max_length=20),
            "observations_commune": f.integer("nbobs_com", required=False),
            "observations_zone": f.integer("nbobs_mail", required=False),
            "r2_adjusted": f.decimal("R2_adj", places=6, digits=12, required=False),
            "source": source,
        }
        f.check()
        return commune, reference

    ticker, valid = validate(
        report,
        items,
        check,
        key=lambda row: row[0]["insee"],
        duplicate="INSEE_C : commune « {key} » déjà présente ligne {first}",
        progress=progress,
        skip_invalid=skip_invalid,
    )
    if not report.imported:
        return report
    upsert_communes(session, [commune for _, (commune, _) in valid])
    scope = (RentReference.edition == edition) & (RentReference.housing_type == housing_type)
    keys = ("commune_insee", "edition", "housing_type")
    return write(session, report, ticker, RentReference, keys, [ref for _, (_, ref) in valid], scope=scope)


def rent_map_edition(session: Session, path: Path, edition: int | None) -> int:
    """The edition given, else a year in the file name, else the rent_map.default_edition parameter."""
    if edition is None:
        years = [int(y) for y in re.findall(r"(?<!\d)(\d{4})(?!\d)", path.name) if 2015 <= int(y) <= 2099]
        edition = years[0] if years else None
    if edition is None:
        try:
            default = parameter_at(session, "rent_map.default_edition", date.today()).value
        except MissingParameter as exc:
            raise FatalImportError(
                "Édition de la carte des loyers inconnue : aucune année dans le nom du fichier et pas de "
                "paramètre rent_map.default_edition. Indiquez --edition ou importez les paramètres."
            ) from exc
        if not isinstance(default, int):
            raise FatalImportError("Le paramètre rent_map.default_edition doit être de type integer.")
        edition = default
    if not 2015 <= edition <= 2099:
        raise FatalImportError(f"Édition invalide : {edition} (attendu une année entre 2015 et 2099).")
    return edition


# --- IRL --------------------------------------------------------------------------------------------


def import_irl(
    session: Session, path: Path | str, *, skip_invalid: bool = False, progress: Progress | None = None
) -> ImportReport:
    """Import IRL values, from ``year,quarter,irl[,…]`` or from an INSEE BDM series download."""
    path = Path(path)
    text = read_text(path)
    first_cell = text.lstrip().split("\n", 1)[0].split(";", 1)[0].strip().strip('"')
    lines = bdm_irl_lines if first_cell.lower() == "libellé" else simple_irl_lines
    items, check = lines(path, text)
    report = ImportReport("IRL")
    ticker, valid = validate(
        report,
        items,
        check,
        key=lambda row: (row["year"], row["quarter"]),
        duplicate="trimestre {key[0]}-T{key[1]} déjà présent ligne {first}",
        progress=progress,
        skip_invalid=skip_invalid,
    )
    if not report.imported:
        return report
    return write(session, report, ticker, IrlIndex, ("year", "quarter"), [row for _, row in valid])


IrlLines = tuple[list[tuple[int, list[str]]], Callable[[list[str]], Row | None]]


def simple_irl_lines(path: Path, text: str) -> IrlLines:
    """Read ``year,quarter,irl[,annual_change_pct,note]`` lines (the change is checked, not stored)."""
    header, items = read_table(path, delimiter=",", required=IRL_COLUMNS)
    source = f"INSEE, indice de référence des loyers ({path.name})"

    def check(raw: list[str]) -> Row:
        f = Fields.of(header, raw)
        row = {
            "year": f.integer("year", minimum=1998, maximum=2100),
            "quarter": f.integer("quarter", minimum=1, maximum=4),
            "value": f.decimal("irl", places=2, digits=8, positive=True, exact=True),
            "source": source,
        }
        f.decimal("annual_change_pct", places=2, digits=8, required=False)
        f.check()
        return row

    return items, check


def bdm_irl_lines(path: Path, text: str) -> IrlLines:
    """Split an INSEE BDM download ("Libellé", "idBank", … then "2025-T3";"145.77") into data lines."""
    lines = csv_lines(text, ";", path.name)
    meta: dict[str, list[str]] = {}
    while lines and lines[0][1][0].strip().lower() in BDM_HEADER_ROWS:
        name, *values = lines.pop(0)[1]
        meta[name.strip().lower()] = [value.strip() for value in values]
    label = next(iter(meta.get("libellé", [])), "")
    series = [value for value in meta.get("idbank", []) if value]
    if len(series) != 1 or "période" not in meta:
        raise FatalImportError(
            f"{path.name} : en-tête INSEE incomplet (une seule série, lignes « idBank » et « Période »)."
        )
    if "loyer" not in label.lower():
        raise FatalImportError(f"{path.name} : la série « {label} » n'est pas l'indice de référence des loyers.")
    if not lines:
        raise FatalImportError(f"{path.name} ne contient aucune ligne de données.")
    source = f"INSEE, série {series[0]} (indice de référence des loyers)"

    def check(raw: list[str]) -> Row | None:
        if len(raw) not in (2, 3):
            raise InvalidLine(f"nombre de champs incorrect : {len(raw)} au lieu de 2 ou 3")
        f = Fields({"Période": raw[0], "Valeur": raw[1]})
        period = PERIOD_CODE.fullmatch(f.raw("Période"))
        if period is None:
            f.fail("Période", f"trimestre invalide « {f.raw('Période')} » (attendu AAAA-Tn)")
        elif not f.raw("Valeur"):
            return None  # a quarter INSEE lists before publishing it
        value = f.decimal("Valeur", places=2, digits=8, positive=True, exact=True)
        f.check()  # raises when the period did not match
        assert period is not None
        return {"year": int(period[1]), "quarter": int(period[2]), "value": value, "source": source}

    return lines, check


# --- income ceilings --------------------------------------------------------------------------------


def import_ceilings(
    session: Session, path: Path | str, *, skip_invalid: bool = False, progress: Progress | None = None
) -> ImportReport:
    """Import PLUS / PLAI / intermediate income ceilings; an empty amount is stored as unknown (NULL)."""
    path = Path(path)
    header, items = read_table(path, delimiter=",", required=CEILING_COLUMNS)
    source = f"Plafonds de ressources ({path.name})"
    grids = {grid: grid for grid in CEILING_AREAS}

    def check(raw: list[str]) -> Row:
        f = Fields.of(header, raw)
        grid = f.choice("grid", grids)
        row = {
            "grid": grid,
            "year": f.integer("year", minimum=2000, maximum=2100),
            "area": f.choice("area", {area: area for area in CEILING_AREAS[grid]}) if grid else None,
            "household_category": f.choice("household_category", {c: c for c in HOUSEHOLD_CATEGORIES}),
            # Empty means "ceiling unknown": stored as NULL, never guessed.
            "amount": f.decimal("annual_ceiling_eur", places=2, digits=12, positive=True, exact=True, required=False),
            "source": source,
            "note": f.text("note", required=False, max_length=2000) if "note" in header else None,
        }
        f.check()
        return row

    report = ImportReport("Plafonds de ressources")
    key = ("grid", "year", "area", "household_category")
    ticker, valid = validate(
        report,
        items,
        check,
        key=lambda row: tuple(row[n] for n in key),
        duplicate="plafond {key[0]} {key[1]}, {key[2]}, catégorie {key[3]} déjà présent ligne {first}",
        progress=progress,
        skip_invalid=skip_invalid,
    )
    if not report.imported:
        return report
    return write(session, report, ticker, IncomeCeiling, key, [row for _, row in valid])


# --- zonage ABC -------------------------------------------------------------------------------------


def import_zonage(
    session: Session,
    path: Path | str,
    *,
    valid_from: date | None = None,
    skip_invalid: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import the A bis/A/B1/B2/C zone of every commune from a date (the date is read from the header)."""
    path = Path(path)
    header, items = read_table(path, delimiter=";", required=ZONAGE_COLUMNS)
    zone_column = next((column for column in header if column.lower().startswith("zone")), None)
    if zone_column is None:
        raise FatalImportError(f"{path.name} : colonne de zone manquante (« Zone en vigueur depuis le … »).")
    valid_from = valid_from or french_date(zone_column)
    if valid_from is None:
        raise FatalImportError(
            f"{path.name} : date d'entrée en vigueur introuvable dans l'en-tête « {zone_column} » : "
            "indiquez-la explicitement."
        )
    source = f"Zonage A/B/C en vigueur depuis le {valid_from:%d/%m/%Y} ({path.name})"

    def check(raw: list[str]) -> tuple[Row, Row]:
        f = Fields.of(header, raw)
        insee = f.text("CODGEO", pattern=INSEE_CODE, what="code INSEE")
        commune = {
            "insee": insee,
            "name": f.text("LIBGEO"),
            "departement": f.text("DEP", pattern=DEPARTEMENT_CODE, what="code département"),
            "region": f.text("REG", required=False, pattern=REGION_CODE, what="code région"),
        }
        zone = {"commune_insee": insee, "valid_from": valid_from, "zone": f.choice(zone_column, ZONES)}
        f.check()
        return commune, zone

    report = ImportReport("Zonage A/B/C")
    ticker, valid = validate(
        report,
        items,
        check,
        key=lambda row: row[0]["insee"],
        duplicate="CODGEO : commune « {key} » déjà présente ligne {first}",
        progress=progress,
        skip_invalid=skip_invalid,
    )
    if not report.imported:
        return report
    upsert_communes(session, [commune for _, (commune, _) in valid])
    zones = [{**zone, "source": source} for _, (_, zone) in valid]
    key = ("commune_insee", "valid_from")
    return write(session, report, ticker, CommuneZone, key, zones, scope=CommuneZone.valid_from == valid_from)


def french_date(text: str) -> date | None:
    """Find a date written in French ("depuis le 5 juillet 2024", "1er janvier 2025") in a text."""
    match = re.search(r"(\d{1,2})(?:er)?\s+([a-zéû]+)\s+(\d{4})", text.lower())
    if not match or match.group(2) not in FRENCH_MONTHS:
        return None
    try:
        return date(int(match.group(3)), FRENCH_MONTHS[match.group(2)], int(match.group(1)))
    except ValueError:
        return None


def openfisca_zonage_path() -> Path:
    """The newest zonage ABC file shipped with openfisca-france (found without importing it: slow)."""
    spec = importlib.util.find_spec("openfisca_france")
    if spec is None or not spec.submodule_search_locations:
        raise FatalImportError("openfisca-france n'est pas installé : indiquez le fichier de zonage.")
    folder = Path(next(iter(spec.submodule_search_locations))) / "assets" / "zonage-communes"
    # Names end with the month of the revision: zonage-abc-juillet-2024.csv.
    files = sorted(
        folder.glob("zonage-abc-*.csv"),
        key=lambda f: (
            french_date("1 " + f.stem.removeprefix("zonage-abc-").replace("-", " ")) or date.min,
            f.name,
        ),
    )
    if not files:
        raise FatalImportError(f"Aucun fichier zonage-abc-*.csv dans {folder}.")
    return files[-1]


# --- parameters -------------------------------------------------------------------------------------


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
