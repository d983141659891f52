"""Import one edition of the carte des loyers (market rent per m², charges included) by commune."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from passerelle.models import RentReference
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
from passerelle.reference.queries import MissingParameter, parameter_at

EPCI_CODE = re.compile(r"\d{9}|Z{9}")  # ZZZZZZZZZ: commune outside any EPCI (islands)
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
