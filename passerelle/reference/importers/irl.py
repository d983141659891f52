"""Import the IRL (indice de référence des loyers), from a simple CSV or an INSEE BDM download."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session

from passerelle.models import IrlIndex
from passerelle.reference.importers.base import (
    FatalImportError,
    Fields,
    ImportReport,
    InvalidLine,
    Progress,
    Row,
    csv_lines,
    read_table,
    read_text,
    validate,
    write,
)

PERIOD_CODE = re.compile(r"(\d{4})-T([1-4])")
BDM_HEADER_ROWS = ("libellé", "idbank", "dernière mise à jour", "période")
IRL_COLUMNS = ("year", "quarter", "irl")


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
