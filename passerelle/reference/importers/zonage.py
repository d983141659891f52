"""Import the zonage A bis/A/B1/B2/C of every commune, from a date."""

from __future__ import annotations

import importlib.util
import re
from datetime import date
from pathlib import Path

from babel.dates import get_month_names
from sqlalchemy.orm import Session

from passerelle.models import CommuneZone
from passerelle.reference.importers.base import (
    DEPARTEMENT_CODE,
    INSEE_CODE,
    REGION_CODE,
    FatalImportError,
    Fields,
    ImportReport,
    Progress,
    Row,
    read_table,
    upsert_communes,
    validate,
    write,
)

# French month names (Babel, fr_FR), as in « Zone en vigueur depuis le 5 juillet 2024 ».
MONTHS = tuple(get_month_names("wide", locale="fr_FR")[n] for n in range(1, 13))
FRENCH_MONTHS = {name: n for n, name in enumerate(MONTHS, 1)} | {"fevrier": 2, "aout": 8, "decembre": 12}
ZONAGE_COLUMNS = ("CODGEO", "REG", "DEP", "LIBGEO")
ZONES = {"A": "A", "Abis": "A bis", "A bis": "A bis", "B1": "B1", "B2": "B2", "C": "C"}


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
