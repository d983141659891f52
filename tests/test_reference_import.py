"""Reference-data importers: carte des loyers, IRL, income ceilings, zonage ABC, parameters, and the CLI."""

from __future__ import annotations

import csv
import tomllib
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from passerelle.formatting import number
from passerelle.models import Commune, CommuneZone, IncomeCeiling, IrlIndex, Parameter, RentReference
from passerelle.reference.importers import (
    DEFAULT_PARAMETERS_FILE,
    FatalImportError,
    import_ceilings,
    import_irl,
    import_parameters,
    import_rent_map,
    import_zonage,
    openfisca_zonage_path,
)
from passerelle.reference.queries import parameter_at
from tests.factories import Factory

RENT_MAP = "carte-des-loyers-appartements-sample.csv"
MICRO = Decimal("0.000001")


def count(session: Session, model: type[Any], *where: Any) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def snapshot(session: Session, model: type[Any]) -> list[tuple[Any, ...]]:
    """Every row of a table, every column, in primary-key order."""
    table = model.__table__
    return [tuple(row) for row in session.execute(select(*table.columns).order_by(*table.primary_key.columns))]


def data_lines(path: Path) -> int:
    """Data rows of a CSV file, counted independently of the importers: lines minus the header."""
    return len([line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]) - 1


def rent_map_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


def as_micro(raw: str) -> Decimal:
    return Decimal(raw.replace(",", ".")).quantize(MICRO, rounding=ROUND_HALF_UP)


def write_lines(path: Path, lines: list[str], *, newline: str = "\r\n", bom: bool = False) -> Path:
    path.write_bytes(("\ufeff" if bom else "").encode() + newline.join(lines).encode("utf-8") + newline.encode())
    return path


def sample_lines(shared_data: Path) -> list[str]:
    """The sample's lines; index 0 is the header (physical line 1)."""
    return (shared_data / RENT_MAP).read_bytes().decode("utf-8").split("\r\n")[:-1]


def set_field(line: str, index: int, value: str) -> str:
    fields = line.split(";")
    fields[index] = value
    return ";".join(fields)


# Positions in the carte des loyers: 1 INSEE_C, 2 LIBGEO, 6 loypredm2, 7 lwr, 8 upr, 9 TYPPRED, 10 nbobs_com.
BAD_LINES = {5: "loypredm2", 10: "INSEE_C", 20: "INSEE_C", 30: "loypredm2"}


def malformed_copy(shared_data: Path, tmp_path: Path) -> Path:
    """The sample with a bad decimal (line 5), no INSEE (10), a repeated INSEE (20), a negative rent (30)."""
    lines = sample_lines(shared_data)
    lines[4] = set_field(lines[4], 6, "12,3x")
    lines[9] = set_field(lines[9], 1, '""')
    lines[19] = set_field(lines[19], 1, lines[2].split(";")[1])
    lines[29] = set_field(lines[29], 6, "-5,2")
    return write_lines(tmp_path / "carte-des-loyers-malformee.csv", lines)


# --- carte des loyers ---------------------------------------------------------------------------------


def test_rent_map_sample_imports_every_row(session: Session, shared_data: Path) -> None:
    path = shared_data / RENT_MAP
    expected = data_lines(path)
    calls: list[tuple[int, int]] = []

    report = import_rent_map(session, path, edition=2024, progress=lambda done, total: calls.append((done, total)))

    assert report.imported and report.rejected == []
    assert (report.created, report.updated, report.unchanged) == (expected, 0, 0)
    assert count(session, RentReference, RentReference.edition == 2024) == expected
    codes = {row["INSEE_C"] for row in rent_map_rows(path)}
    assert count(session, Commune, Commune.insee.in_(codes)) == len(codes) == expected
    assert calls and calls[-1][0] == calls[-1][1]
    assert f"{number(expected, 0)} lignes valides — {number(expected, 0)} créées" in report.summary()


def test_rent_map_stores_the_values_of_the_file(session: Session, shared_data: Path) -> None:
    path = shared_data / RENT_MAP
    arras = next(row for row in rent_map_rows(path) if row["INSEE_C"] == "62041")

    import_rent_map(session, path, edition=2024)

    commune = session.get(Commune, "62041")
    assert commune is not None
    assert (commune.name, commune.departement, commune.region, commune.epci) == (
        arras["LIBGEO"],
        arras["DEP"],
        arras["REG"],
        arras["EPCI"],
    )
    reference = session.scalars(select(RentReference).where(RentReference.commune_insee == "62041")).one()
    assert reference.rent_m2 == as_micro(arras["loypredm2"])
    assert reference.lower_m2 == as_micro(arras["lwr.IPm2"])
    assert reference.upper_m2 == as_micro(arras["upr.IPm2"])
    assert reference.r2_adjusted == as_micro(arras["R2_adj"])
    assert reference.prediction_level == arras["TYPPRED"]
    assert reference.observations_commune == int(arras["nbobs_com"])
    assert reference.observations_zone == int(arras["nbobs_mail"])
    assert reference.zone_id == arras["id_zone"]
    assert (reference.edition, reference.housing_type) == (2024, "appartement")
    assert reference.source == "Carte des loyers 2024, DHUP/ANIL, data.gouv.fr (Licence Ouverte)"
    epci_rows = [row for row in rent_map_rows(path) if row["TYPPRED"] == "EPCI"]
    assert epci_rows, "the sample has rows predicted at EPCI level"
    stored = session.get(Commune, epci_rows[0]["INSEE_C"])
    assert stored is not None
    level = session.scalar(select(RentReference.prediction_level).where(RentReference.commune_insee == stored.insee))
    assert level == "EPCI"


def test_rent_map_rerun_changes_nothing(session: Session, shared_data: Path) -> None:
    path = shared_data / RENT_MAP
    import_rent_map(session, path, edition=2024)
    before = snapshot(session, RentReference), snapshot(session, Commune)

    again = import_rent_map(session, path, edition=2024)

    assert (again.created, again.updated, again.unchanged) == (0, 0, data_lines(path))
    assert (snapshot(session, RentReference), snapshot(session, Commune)) == before


def test_rent_map_malformed_copy_imports_nothing(session: Session, shared_data: Path, tmp_path: Path) -> None:
    path = malformed_copy(shared_data, tmp_path)
    before = count(session, Commune), count(session, RentReference)

    report = import_rent_map(session, path, edition=2024)

    assert not report.imported
    assert [rejection.line for rejection in report.rejected] == sorted(BAD_LINES)
    for rejection in report.rejected:
        assert BAD_LINES[rejection.line] in rejection.message
    messages = {rejection.line: rejection.message for rejection in report.rejected}
    assert "12,3x" in messages[5] and "ligne 3" in messages[20] and "-5,2" in messages[30]
    assert (count(session, Commune), count(session, RentReference)) == before
    assert "Rien n'a été importé" in report.summary() and "--skip-invalid" in report.summary()


def test_rent_map_skip_invalid_imports_the_valid_rows(session: Session, shared_data: Path, tmp_path: Path) -> None:
    path = malformed_copy(shared_data, tmp_path)

    report = import_rent_map(session, path, edition=2024, skip_invalid=True)

    assert report.imported and len(report.rejected) == len(BAD_LINES)
    assert report.created == data_lines(path) - len(BAD_LINES)
    assert count(session, RentReference, RentReference.edition == 2024) == report.created


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        (9, '"quartier"', "TYPPRED"),
        (10, "3,5", "nbobs_com"),
        (7, "99", "lwr.IPm2"),
        (8, "1", "upr.IPm2"),
        (1, '"6204"', "INSEE_C"),
        (1, '"2C004"', "INSEE_C"),
        (2, '""', "LIBGEO"),
        (6, "NaN", "loypredm2"),
    ],
)
def test_rent_map_line_checks(
    session: Session, shared_data: Path, tmp_path: Path, column: int, value: str, expected: str
) -> None:
    lines = sample_lines(shared_data)[:4]
    lines[2] = set_field(lines[2], column, value)
    path = write_lines(tmp_path / "carte.csv", lines)

    report = import_rent_map(session, path, edition=2024)

    assert [rejection.line for rejection in report.rejected] == [3]
    assert report.rejected[0].message.startswith(expected)
    assert not report.imported


def test_rent_map_rejects_a_line_with_a_missing_field(session: Session, shared_data: Path, tmp_path: Path) -> None:
    lines = sample_lines(shared_data)[:4]
    lines[3] = lines[3].rsplit(";", 1)[0]
    report = import_rent_map(session, write_lines(tmp_path / "carte.csv", lines), edition=2024)
    assert [(r.line, r.message) for r in report.rejected] == [(4, "nombre de champs incorrect : 12 au lieu de 13")]


def test_rent_map_reads_bom_lf_and_case_of_prediction_level(
    session: Session, shared_data: Path, tmp_path: Path
) -> None:
    lines = sample_lines(shared_data)[:6]
    lines[1] = lines[1].replace('"maille"', '"Maille"')
    path = write_lines(tmp_path / "carte.csv", lines, newline="\n", bom=True)

    report = import_rent_map(session, path, edition=2024)

    assert report.imported and report.created == 5
    insee = lines[1].split(";")[1].strip('"')
    level = session.scalar(select(RentReference.prediction_level).where(RentReference.commune_insee == insee))
    assert level == "maille"


def test_rent_map_edition_comes_from_the_file_name_then_the_parameter(
    session: Session, shared_data: Path, tmp_path: Path
) -> None:
    lines = sample_lines(shared_data)[:3]
    import_rent_map(session, write_lines(tmp_path / "pred-app-2023.csv", lines))
    assert count(session, RentReference, RentReference.edition == 2023) == 2

    session.execute(delete(Parameter))
    import_parameters(session, DEFAULT_PARAMETERS_FILE)
    default = parameter_at(session, "rent_map.default_edition", date.today()).value
    assert isinstance(default, int)
    before = count(session, RentReference, RentReference.edition == default)
    import_rent_map(session, write_lines(tmp_path / "pred-app-mef-dhup.csv", lines))
    assert count(session, RentReference, RentReference.edition == default) == before + 2

    session.execute(delete(Parameter).where(Parameter.key == "rent_map.default_edition"))
    with pytest.raises(FatalImportError, match="--edition"):
        import_rent_map(session, tmp_path / "pred-app-mef-dhup.csv")


def test_rent_map_unreadable_files_are_fatal(session: Session, shared_data: Path, tmp_path: Path) -> None:
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("\r\n".join(sample_lines(shared_data)[:3]).encode("latin-1", errors="replace"))
    with pytest.raises(FatalImportError, match="UTF-8"):
        import_rent_map(session, latin1, edition=2024)

    header = sample_lines(shared_data)[0].replace('"loypredm2"', '"loyer"')
    with pytest.raises(FatalImportError, match="loypredm2"):
        import_rent_map(session, write_lines(tmp_path / "columns.csv", [header]), edition=2024)

    with pytest.raises(FatalImportError, match="aucune ligne"):
        import_rent_map(session, write_lines(tmp_path / "header.csv", sample_lines(shared_data)[:1]), edition=2024)

    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(FatalImportError, match="vide"):
        import_rent_map(session, tmp_path / "empty.csv", edition=2024)


# --- IRL ------------------------------------------------------------------------------------------------


def test_irl_shared_series(session: Session, shared_data: Path) -> None:
    path = shared_data / "irl.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        published = {(int(r["year"]), int(r["quarter"])): Decimal(r["irl"]) for r in csv.DictReader(handle)}
    assert len(published) == data_lines(path) == 31

    report = import_irl(session, path)
    again = import_irl(session, path)

    assert (report.created, report.updated, report.rejected) == (31, 0, [])
    assert (again.created, again.updated, again.unchanged) == (0, 0, 31)
    stored = {(row.year, row.quarter): row.value for row in session.scalars(select(IrlIndex))}
    assert {key: stored[key] for key in published} == published


IRL_LABEL = "Indice pour la révision d’un loyer d’habitation (IRL) - Base 100 au 4e trimestre 1998"
BDM_HEADER = [
    f'"Libellé";"{IRL_LABEL}";"Codes"',
    '"idBank";"001515333";""',
    '"Dernière mise à jour";"15/10/2025 12:00";""',
    '"Période";"";""',
]


def test_irl_insee_bdm_download(session: Session, tmp_path: Path) -> None:
    rows = ['"2025-T4";"";"O"', '"2025-T3";"145.77";"A"', '"2025-T2";"146,68";"A"', '"2025-T1";"145.47";"A"']
    path = write_lines(tmp_path / "valeurs_trimestrielles.csv", BDM_HEADER + rows, bom=True)
    session.execute(delete(IrlIndex).where(IrlIndex.year == 2025))

    report = import_irl(session, path)

    assert report.imported and (report.created, report.rejected) == (3, [])
    values = dict(session.execute(select(IrlIndex.quarter, IrlIndex.value).where(IrlIndex.year == 2025)).all())
    assert values == {3: Decimal("145.77"), 2: Decimal("146.68"), 1: Decimal("145.47")}
    assert import_irl(session, path).unchanged == 3


def test_irl_bdm_rejections_and_wrong_series(session: Session, tmp_path: Path) -> None:
    rows = [
        '"2025-T3";"145.77";"A"',
        '"2025-T5";"146.68";"A"',
        '"2025-T1";"abc";"A"',
        '"2025-T3";"145.77";"A"',
    ]
    path = write_lines(tmp_path / "irl.csv", BDM_HEADER + rows)
    before = count(session, IrlIndex)

    report = import_irl(session, path)

    assert [rejection.line for rejection in report.rejected] == [6, 7, 8]
    assert "Période" in report.rejected[0].message and "Valeur" in report.rejected[1].message
    assert "ligne 5" in report.rejected[2].message
    assert count(session, IrlIndex) == before

    other = [
        BDM_HEADER[0].replace("d’un loyer d’habitation (IRL)", "des prix à la consommation"),
        *BDM_HEADER[1:],
    ]
    with pytest.raises(FatalImportError, match="n'est pas l'indice de référence des loyers"):
        import_irl(session, write_lines(tmp_path / "ipc.csv", [*other, rows[0]]))


# --- income ceilings ------------------------------------------------------------------------------------


def test_ceilings_shared_file_keeps_unknown_amounts_empty(session: Session, shared_data: Path) -> None:
    path = shared_data / "plafonds-ressources.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    unknown = [row for row in rows if not row["annual_ceiling_eur"]]
    assert unknown, "the shared file has unknown ceilings"

    report = import_ceilings(session, path)

    assert (report.created, report.rejected) == (len(rows), [])
    assert len(rows) == data_lines(path)
    for row in rows:
        stored = session.scalars(
            select(IncomeCeiling).where(
                IncomeCeiling.grid == row["grid"],
                IncomeCeiling.year == int(row["year"]),
                IncomeCeiling.area == row["area"],
                IncomeCeiling.household_category == row["household_category"],
            )
        ).one()
        assert stored.amount == (Decimal(row["annual_ceiling_eur"]) if row["annual_ceiling_eur"] else None)
        assert stored.note == (row["note"] or None)
    assert count(session, IncomeCeiling, IncomeCeiling.amount.is_(None)) >= len(unknown)
    again = import_ceilings(session, path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, len(rows))


def test_ceilings_rejections(session: Session, tmp_path: Path) -> None:
    lines = [
        "grid,year,area,household_category,annual_ceiling_eur,note",
        "PLS,2025,other_regions,1,23201,",
        "PLUS,2025,zone_A,1,23201,",
        "PLUS,2025,other_regions,7,23201,",
        "PLUS,2025,other_regions,2,30 984,",
        "INTERMEDIAIRE,2025,zone_B1,1,,not found",
    ]
    report = import_ceilings(session, write_lines(tmp_path / "plafonds.csv", lines))

    assert [(r.line, r.message.split(" :")[0]) for r in report.rejected] == [
        (2, "grid"),
        (3, "area"),
        (4, "household_category"),
        (5, "annual_ceiling_eur"),
    ]
    assert not report.imported and count(session, IncomeCeiling, IncomeCeiling.year == 2025) == 0


# --- zonage ABC -----------------------------------------------------------------------------------------

ZONAGE_HEADER = "CODGEO;REG;DEP;LIBGEO;Zone en vigueur depuis le 5 juillet 2024;Reclassement juillet 2024"


def test_zonage_openfisca_format(session: Session, make: Factory, tmp_path: Path) -> None:
    arras = make.commune("62041", "Arras", epci="200033579", zone="B1")
    assert arras.zone_at(date(2025, 1, 1)) == "B1"
    lines = [
        ZONAGE_HEADER,
        "62041;32;62;Arras;B2;Oui",
        "75056;11;75;Paris;Abis;Non",
        "2A004;94;2A;Ajaccio;A;Non",
    ]
    path = write_lines(tmp_path / "zonage-abc-juillet-2024.csv", lines)

    report = import_zonage(session, path)

    assert report.imported and (report.created, report.updated, report.unchanged) == (2, 1, 0)
    assert arras.zone_at(date(2025, 1, 1)) == "B2"
    assert arras.epci == "200033579" and arras.region == "32"
    query = select(CommuneZone.commune_insee, CommuneZone.zone).where(
        CommuneZone.commune_insee.in_(["62041", "75056", "2A004"])
    )
    zones = dict(session.execute(query).all())
    assert zones == {"62041": "B2", "75056": "A bis", "2A004": "A"}
    valid_from = session.scalars(select(CommuneZone.valid_from).where(CommuneZone.commune_insee == "75056")).one()
    assert valid_from == date(2024, 7, 5)
    paris = session.get(Commune, "75056")
    assert paris is not None and (paris.name, paris.departement, paris.epci) == ("Paris", "75", None)
    again = import_zonage(session, path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)


def test_zonage_rejections_and_explicit_date(session: Session, tmp_path: Path) -> None:
    lines = [ZONAGE_HEADER, "99001;;99;Ici;D;Non", "99002;11;99;;C;Non", "99003;11;99;Là;C;Non"]
    path = write_lines(tmp_path / "zonage.csv", lines)

    report = import_zonage(session, path)
    assert [(r.line, r.message.split(" :")[0]) for r in report.rejected] == [
        (2, "Zone en vigueur depuis le 5 juillet 2024"),
        (3, "LIBGEO"),
    ]
    assert count(session, Commune, Commune.insee.like("990%")) == 0

    report = import_zonage(session, path, valid_from=date(2025, 9, 1), skip_invalid=True)
    assert report.created == 1
    zone = session.scalars(select(CommuneZone).where(CommuneZone.commune_insee == "99003")).one()
    assert (zone.zone, zone.valid_from) == ("C", date(2025, 9, 1))


def test_zonage_file_shipped_with_openfisca(session: Session, tmp_path: Path) -> None:
    path = openfisca_zonage_path()
    assert path.is_file() and path.name.startswith("zonage-abc-")
    lines = path.read_bytes().decode("utf-8").splitlines()
    excerpt = write_lines(tmp_path / path.name, lines[:40])

    report = import_zonage(session, excerpt)

    assert report.imported and report.rejected == []
    starts = set(session.scalars(select(CommuneZone.valid_from).where(CommuneZone.source.contains(path.name))))
    assert starts == {date(2024, 7, 5)}  # "Zone en vigueur depuis le 5 juillet 2024"


def test_zonage_full_openfisca_file_imports_without_rejection(session: Session) -> None:
    path = openfisca_zonage_path()
    report = import_zonage(session, path)
    assert report.imported and report.rejected == []
    assert report.created + report.updated + report.unchanged == data_lines(path)
    assert count(session, CommuneZone, CommuneZone.valid_from == date(2024, 7, 5)) == data_lines(path)


# --- parameters -----------------------------------------------------------------------------------------

REQUIRED_KEYS = [
    "locavantages.discount.loc1",
    "locavantages.discount.loc2",
    "locavantages.discount.loc3",
    "locavantages.tax_reduction.direct.loc1",
    "locavantages.tax_reduction.direct.loc2",
    "locavantages.tax_reduction.direct.loc3",
    "locavantages.tax_reduction.iml.loc1",
    "locavantages.tax_reduction.iml.loc2",
    "locavantages.tax_reduction.iml.loc3",
    "locavantages.surface_coefficient.base",
    "locavantages.surface_coefficient.numerator",
    "locavantages.surface_coefficient.cap",
    "locavantages.fiscal_surface.annex_max_m2",
    "locavantages.market_rent_charges_deduction_rate",
    "locavantages.requests.start",
    "locavantages.requests.end",
    "locavantages.convention_years.standard",
    "locavantages.convention_years.with_works",
    "locavantages.convention_request_deadline_months",
    "locavantages.dpe_min_class",
    "anah.iml_premium.mandate",
    "anah.iml_premium.sublease",
    "anah.iml_premium.small_unit_bonus",
    "anah.iml_premium.small_unit_max_m2",
    "tax.niches_global_cap",
    "tax.social_levies_rate",
    "decence.dpe_ban.G",
    "decence.dpe_ban.F",
    "decence.dpe_ban.E",
    "decence.energy_max_kwh_m2",
    "decence.min_room_surface_m2",
    "decence.min_ceiling_height_m",
    "visale.rent_cap.idf",
    "visale.rent_cap.other",
    "visale.cover.unpaid_rent_max_months",
    "visale.cover.lease_years",
    "lease.deposit_max_months",
    "irl.cap.metropolitan.rate",
    "caf.min_surface.one_person_m2",
    "caf.min_surface.two_persons_m2",
    "caf.min_surface.extra_person_m2",
    "visale.clock.formal_notice_days",
    "visale.clock.claim_days",
    "arrears.caf_report_months",
    "sous_location.default_duration_months",
    "bail_glissant.review_months",
    "rent_map.default_edition",
]


def test_shipped_parameters_load_and_are_idempotent(session: Session) -> None:
    entries = tomllib.loads(DEFAULT_PARAMETERS_FILE.read_text(encoding="utf-8"))["parameter"]
    session.execute(delete(Parameter))

    report = import_parameters(session, DEFAULT_PARAMETERS_FILE)
    again = import_parameters(session, DEFAULT_PARAMETERS_FILE)

    assert report.imported and (report.created, report.rejected) == (len(entries), [])
    assert (again.created, again.updated, again.unchanged) == (0, 0, len(entries))
    keys = set(session.scalars(select(Parameter.key)))
    assert [key for key in REQUIRED_KEYS if key not in keys] == []
    assert not session.scalars(select(Parameter.verified).where(Parameter.key == "locavantages.dpe_min_class")).first()


@pytest.mark.parametrize(
    ("key", "on", "expected"),
    [
        ("locavantages.discount.loc2", date(2026, 11, 22), Decimal("0.30")),
        ("locavantages.tax_reduction.iml.loc3", date(2026, 11, 22), Decimal("0.65")),
        ("locavantages.tax_reduction.direct.loc3", date(2026, 11, 22), "none"),
        ("locavantages.requests.end", date(2026, 11, 22), date(2027, 12, 31)),
        ("visale.rent_cap.idf", date(2026, 1, 5), Decimal("1500")),
        ("visale.rent_cap.idf", date(2026, 1, 6), Decimal("1940")),
        ("visale.rent_cap.large_agglomeration", date(2026, 1, 6), Decimal("1575")),
        ("visale.rent_cap.other", date(2026, 1, 6), Decimal("1365")),
        ("locavantages.dpe_min_class", date(2027, 12, 31), "E"),
        ("locavantages.dpe_min_class", date(2028, 1, 1), "D"),
        ("decence.dpe_ban.F", date(2026, 11, 22), date(2028, 1, 1)),
        ("tax.social_levies_rate", date(2026, 11, 22), Decimal("0.172")),
        ("anah.iml_premium.mandate", date(2026, 11, 22), Decimal("2000")),
    ],
)
def test_shipped_parameters_at_a_date(session: Session, key: str, on: date, expected: object) -> None:
    session.execute(delete(Parameter))
    import_parameters(session, DEFAULT_PARAMETERS_FILE)
    assert parameter_at(session, key, on).value == expected


PARAMETER = """
[[parameter]]
key = "{key}"
valid_from = {start}
{end}
kind = "{kind}"
value = "{value}"
label = "Test"
source = "Test"
verified = true
"""


def parameters_file(tmp_path: Path, *entries: dict[str, str], name: str = "p.toml") -> Path:
    text = "".join(
        PARAMETER.format(
            key=e.get("key", "test.overlap"),
            start=e["start"],
            end=f"valid_to = {e['end']}" if "end" in e else "",
            kind=e.get("kind", "decimal"),
            value=e.get("value", "1"),
        )
        for e in entries
    )
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_parameters_overlapping_periods_are_rejected(session: Session, tmp_path: Path) -> None:
    path = parameters_file(tmp_path, {"start": "2020-01-01", "end": "2024-12-31"}, {"start": "2024-06-01"})
    report = import_parameters(session, path)
    assert [rejection.line for rejection in report.rejected] == [12]
    assert "chevauche" in report.rejected[0].message and "ligne 2" in report.rejected[0].message
    assert not report.imported and count(session, Parameter, Parameter.key == "test.overlap") == 0
    assert "--skip-invalid" not in report.summary()

    first = parameters_file(tmp_path, {"start": "2020-01-01"}, name="first.toml")
    assert import_parameters(session, first).created == 1
    later = parameters_file(tmp_path, {"start": "2024-01-01", "value": "2"}, name="later.toml")
    report = import_parameters(session, later)
    assert "déjà en base" in report.rejected[0].message
    assert count(session, Parameter, Parameter.key == "test.overlap") == 1

    closed = parameters_file(tmp_path, {"start": "2020-01-01", "end": "2023-12-31"}, {"start": "2024-01-01"})
    report = import_parameters(session, closed)
    assert (report.created, report.updated, report.rejected) == (1, 1, [])
    assert parameter_at(session, "test.overlap", date(2025, 1, 1)).valid_from == date(2024, 1, 1)


def test_parameters_entry_checks(session: Session, tmp_path: Path) -> None:
    path = parameters_file(
        tmp_path,
        {"start": "2020-01-01", "kind": "float"},
        {"key": "test.b", "start": "2020-01-01", "value": "abc"},
        {"key": "test.c", "start": "2020-01-01", "end": "2019-12-31"},
        {"key": "test.d", "start": "2020-01-01", "kind": "date", "value": "2020-13-01"},
        {"key": "test.e", "start": "2020-01-01", "kind": "integer", "value": "6"},
    )
    report = import_parameters(session, path)
    assert [(r.line, r.message.split(" :")[0]) for r in report.rejected] == [
        (2, "kind"),
        (12, "value"),
        (22, "valid_to"),
        (32, "value"),
    ]
    assert not report.imported and count(session, Parameter, Parameter.key.like("test.%")) == 0


def test_parameters_values_are_quoted_strings(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text(
        '# a float would lose precision\n[[parameter]]\nkey = "test.rate"\nvalid_from = 2024-01-01\n'
        'kind = "decimal"\nvalue = 0.15\nlabel = "T"\nsource = "S"\ncolour = "red"\n',
        encoding="utf-8",
    )
    report = import_parameters(session, path)
    assert [(r.line, r.message) for r in report.rejected] == [
        (2, "value : attendu une chaîne entre guillemets ou une date (lu 0.15) ; colour : champ inconnu")
    ]


# --- command line ---------------------------------------------------------------------------------------


def test_cli_import_rent_map(app: Flask, session: Session, shared_data: Path) -> None:
    path = shared_data / RENT_MAP
    before = count(session, RentReference, RentReference.edition == 2024)

    result = app.test_cli_runner().invoke(args=["import", "rent-map", str(path), "--edition", "2024"])

    assert result.exit_code == 0, result.output
    assert "lignes valides" in result.output
    assert count(session, RentReference, RentReference.edition == 2024) == before + data_lines(path)


def test_cli_import_rent_map_malformed(app: Flask, session: Session, shared_data: Path, tmp_path: Path) -> None:
    path = malformed_copy(shared_data, tmp_path)
    before = count(session, Commune), count(session, RentReference)

    result = app.test_cli_runner().invoke(args=["import", "rent-map", str(path), "--edition", "2024"])

    assert result.exit_code == 1
    for line in BAD_LINES:
        assert f"ligne {line} : " in result.output
    assert "Rien n'a été importé" in result.output
    assert (count(session, Commune), count(session, RentReference)) == before


def test_cli_fatal_error_is_a_clean_message(app: Flask, session: Session, tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("Libellé;é".encode("latin-1"))
    result = app.test_cli_runner().invoke(args=["import", "irl", str(path)])
    assert result.exit_code == 1
    assert "UTF-8" in result.output and "Traceback" not in result.output
