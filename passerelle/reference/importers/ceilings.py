"""Import the PLUS, PLAI and intermediate tenant income ceilings."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from passerelle.models import IncomeCeiling
from passerelle.reference.importers.base import (
    Fields,
    ImportReport,
    Progress,
    Row,
    read_table,
    validate,
    write,
)

CEILING_COLUMNS = ("grid", "year", "area", "household_category", "annual_ceiling_eur")
CEILING_AREAS = {
    "PLUS": ("paris_adjacent", "idf_other", "other_regions"),
    "PLAI": ("paris_adjacent", "idf_other", "other_regions"),
    "INTERMEDIAIRE": ("zone_Abis", "zone_A", "zone_B1", "zone_B2_C"),
}
HOUSEHOLD_CATEGORIES = ("1", "2", "3", "4", "5", "6", "extra_person")


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
