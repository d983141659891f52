"""GDPR: `passerelle gdpr purge` leaves no personal data in expired closed files; exports on request."""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from agency_backoffice.household_input import MemberInput, PlaceInput
from agency_backoffice.models import (
    DeclineReason,
    Household,
    HousingBenefitEstimate,
    Need,
    PriorityFlag,
    Proposal,
    ProposalEvent,
    ProposalStatus,
    ResourceKind,
    Sex,
    SupportIntensity,
)
from agency_backoffice.operations.households import anonymise_household, close_household
from capture.models import Unit
from passerelle.config import load_config
from passerelle.models import AuditEntry, Organisation, OrganisationKind, User
from tests.conftest import login_as
from tests.factories import Factory

PURGE_DAY = "2026-11-22"
# Everything personal written into the expired file; none of it may survive the purge, anywhere.
SECRETS = {
    "siao_reference": "SIAO-RGPD-0001",
    "contact_name": "Camille Exemple",
    "contact_phone": "06 12 34 56 78",
    "contact_email": "camille@exemple.fr",
    "diagnostic_conclusion": "Dette locative ancienne, suivi psychologique",
    "support_kind": "AVDL",
    "referent_name": "Dominique Référente",
    "referent_organisation": "CCAS d'Arras",
    "referent_email": "referente@ccas.exemple.fr",
    "referent_phone": "03 21 00 00 00",
    "consent_scope": "Accompagnement vers et dans le logement",
    "parked_reason": "Hospitalisation de Camille",
    "closed_reason": "Partie vivre chez sa sœur à Lille",
    "decline_note": "Camille préfère rester près de l'école Jean Moulin",
    "event_note": "Appel à Camille le matin",
    "place_label": "École Jean Moulin",
}
# Columns of households an anonymised row may still fill (statistics: when, where from, how many, how closed).
KEPT = {
    "id",
    "operator_id",
    "siao_reference",
    "status",
    "referred_on",
    "situation",
    "support_intensity",
    "closed_on",
    "anonymised_at",
    "persons_count",
    "created_at",
    "created_by_id",
    "updated_at",
}
FLAGS = {"couple", "disability_card", "prefers_low_floor"}  # kept as columns, but reset to false


@dataclass
class Files:
    expired: Household  # closed exactly 24 months before the purge day
    recent: Household  # closed one day less than 24 months before
    active: Household  # referred long ago, never closed
    done: Household  # expired and already anonymised
    other: Household  # another operator's expired file
    staff: User
    operator: Organisation


def closed(session: Session, make: Factory, operator: Organisation, staff: User, on: date, **fields: Any) -> Household:
    household = make.household(operator, referred_on=date(2022, 3, 1), **fields)
    close_household(session, household, reason="Relogé", by=staff, today=on)
    return household


@pytest.fixture
def files(session: Session, make: Factory) -> Files:
    make.commune("62041", "Arras")
    operator = make.organisation(kind=OrganisationKind.ASSOCIATION)
    other_operator = make.organisation(kind=OrganisationKind.AIS)
    staff = make.staff(operator)
    entry = make.available_unit(operator)
    unit = session.get(Unit, entry.unit_id)
    assert unit is not None
    expired = make.household(
        operator,
        by=staff,
        siao_reference=SECRETS["siao_reference"],
        referred_on=date(2022, 3, 1),
        couple=True,
        members=(
            MemberInput(adult=True, birth_year=1984, birth_month=2),
            MemberInput(adult=True, birth_year=1986),
            MemberInput(adult=False, birth_year=2015, birth_month=9, sex=Sex.FEMALE),
        ),
        resources=((ResourceKind.WAGES, Decimal("1320.40")), (ResourceKind.FAMILY_BENEFITS, Decimal("140"))),
        priority_flags=frozenset({PriorityFlag.DOMESTIC_VIOLENCE}),
        needs=frozenset({Need.PETS}),
        prefers_low_floor=True,
        disability_card=True,
        wished_communes=("62041",),
        places=(PlaceInput(kind="school", label=SECRETS["place_label"], commune="62041"),),
        situation_since=date(2021, 6, 1),
        needed_by=date(2023, 1, 1),
        support_intensity=SupportIntensity.MEDIUM,
        related_landlord_ids=(unit.landlord_id,),
        tax_income=Decimal("14210"),
        **{key: SECRETS[key] for key in ("contact_name", "contact_phone", "contact_email", "diagnostic_conclusion")},
        **{key: SECRETS[key] for key in ("support_kind", "referent_name", "referent_organisation")},
        **{key: SECRETS[key] for key in ("referent_email", "referent_phone", "consent_scope")},
        consent_on=date(2022, 3, 2),
    )
    expired.parked_until, expired.parked_reason = date(2023, 2, 1), SECRETS["parked_reason"]
    proposal = Proposal(
        operator_id=operator.id,
        household_id=expired.id,
        stock_entry_id=entry.id,
        unit_id=entry.unit_id,
        status=ProposalStatus.DECLINED,
        decline_reason=DeclineReason.HOUSEHOLD_LOCATION,
        decline_note=SECRETS["decline_note"],
        snapshot={"contact_name": SECRETS["contact_name"], "score": "71.5", "members": 3},
        status_changed_on=date(2023, 5, 2),
        events=[
            ProposalEvent(from_status=None, to_status="proposed", on=date(2023, 5, 1), note=SECRETS["event_note"]),
            ProposalEvent(from_status="proposed", to_status="declined", on=date(2023, 5, 2)),
        ],
    )
    session.add(proposal)
    session.add(
        HousingBenefitEstimate(
            household_id=expired.id,
            unit_id=unit.id,
            month=date(2023, 5, 1),
            fingerprint="f" * 64,
            amount=Decimal("212"),
        )
    )
    session.flush()
    close_household(session, expired, reason=SECRETS["closed_reason"], by=staff, today=date(2024, 11, 22))
    done = closed(session, make, operator, staff, date(2020, 1, 6))
    anonymise_household(session, done, by=None)
    files = Files(
        expired=expired,
        recent=closed(session, make, operator, staff, date(2024, 11, 23)),
        active=make.household(operator, referred_on=date(2019, 1, 1)),
        done=done,
        other=closed(session, make, other_operator, make.staff(other_operator), date(2023, 1, 1)),
        staff=staff,
        operator=operator,
    )
    session.flush()
    return files


def purge(app: Flask, *args: str) -> Any:
    result = app.test_cli_runner().invoke(args=["gdpr", "purge", *args])
    assert result.exit_code == 0, result.output
    return result


def row(session: Session, table: str, household_id: int) -> dict[str, Any]:
    key = "id" if table == "households" else "household_id"
    query = text(f"SELECT * FROM {table} WHERE {key} = :id")  # noqa: S608
    return dict(session.execute(query, {"id": household_id}).mappings().one())


def count(session: Session, table: str, household_id: int) -> int:
    query = text(f"SELECT count(*) FROM {table} WHERE household_id = :id")  # noqa: S608
    return session.execute(query, {"id": household_id}).scalar_one()


def empty(value: Any) -> bool:
    """NULL, or an empty JSON list/object (SQLite hands JSON back as text, PostgreSQL as Python values)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return False  # plain text: something is left
    return value in (None, [], {})


def test_purge_leaves_no_personal_field_in_the_database(app: Flask, session: Session, files: Files) -> None:
    household_id = files.expired.id
    before = row(session, "households", household_id)
    assert before["contact_name"] == SECRETS["contact_name"] and count(session, "household_members", household_id) == 3

    output = purge(app, "--date", PURGE_DAY).output
    assert "au plus tard le 22/11/2024 (durée de conservation : 24 mois au 22/11/2026)" in output
    assert "2 anonymisé(s), 1 déjà anonymisé(s)" in output  # the expired file and the other operator's

    after = row(session, "households", household_id)
    assert after["siao_reference"] == f"anonymise-{household_id}" and after["anonymised_at"] is not None
    leftovers = {name: value for name, value in after.items() if name not in KEPT | FLAGS and not empty(value)}
    assert leftovers == {}, "personal data left in households"
    assert {name: bool(after[name]) for name in FLAGS} == dict.fromkeys(FLAGS, False)
    # Kept for statistics: status, dates, situation, size.
    assert (after["status"], str(after["closed_on"]), after["persons_count"]) == ("closed", "2024-11-22", 3)
    for table in ("household_members", "household_resources", "household_owner_links", "housing_benefit_estimates"):
        assert count(session, table, household_id) == 0, table
    proposal = row(session, "proposals", household_id)
    assert empty(proposal["snapshot"]) and proposal["decline_note"] is None
    assert proposal["decline_reason"] == "household_location"  # why proposals fail stays countable
    notes = session.execute(
        text("SELECT note FROM proposal_events WHERE proposal_id = :id"), {"id": proposal["id"]}
    ).scalars()
    assert set(notes) == {None}
    # And no personal value anywhere in those rows, whatever the column.
    dumped = json.dumps([after, proposal], default=str, ensure_ascii=False)
    assert [value for value in SECRETS.values() if value in dumped] == []
    entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "household.anonymise")).all()
    assert {entry.object_id for entry in entries} >= {str(household_id), str(files.other.id)}


def test_files_not_expired_are_untouched(app: Flask, session: Session, files: Files) -> None:
    done_at = row(session, "households", files.done.id)["anonymised_at"]
    purge(app, "--date", PURGE_DAY)
    recent = row(session, "households", files.recent.id)
    assert recent["anonymised_at"] is None and recent["contact_name"] == "Camille Exemple"  # factory default
    assert count(session, "household_members", files.recent.id) == 1
    active = row(session, "households", files.active.id)
    assert active["anonymised_at"] is None and active["siao_reference"] == files.active.siao_reference
    assert row(session, "households", files.done.id)["anonymised_at"] == done_at  # not anonymised twice
    assert row(session, "households", files.other.id)["contact_name"] is None  # purge is for every operator


def test_dry_run_changes_nothing(app: Flask, session: Session, files: Files) -> None:
    output = purge(app, "--date", PURGE_DAY, "--dry-run").output
    assert "2 seraient anonymisé(s)" in output and "rien n'a changé" in output
    assert row(session, "households", files.expired.id)["contact_name"] == SECRETS["contact_name"]
    assert count(session, "household_members", files.expired.id) == 3
    assert session.scalars(select(AuditEntry).where(AuditEntry.action == "household.anonymise")).all() == [
        entry
        for entry in session.scalars(select(AuditEntry).where(AuditEntry.action == "household.anonymise"))
        if entry.object_id == str(files.done.id)
    ]


def test_retention_comes_from_the_setting(
    app: Flask, session: Session, files: Files, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "HOUSEHOLD_RETENTION_MONTHS", 12)
    assert "3 anonymisé(s)" in purge(app, "--date", PURGE_DAY).output  # the 23-month-old file too
    assert row(session, "households", files.recent.id)["contact_name"] is None
    monkeypatch.setitem(app.config, "HOUSEHOLD_RETENTION_MONTHS", 0)
    refused = app.test_cli_runner().invoke(args=["gdpr", "purge"])
    assert refused.exit_code != 0 and "HOUSEHOLD_RETENTION_MONTHS" in refused.output


def test_retention_setting_reads_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("HOUSEHOLD_RETENTION_MONTHS", raising=False)
    assert load_config(str(tmp_path), {"PASSERELLE_ENV": "test"})["HOUSEHOLD_RETENTION_MONTHS"] == 24
    monkeypatch.setenv("HOUSEHOLD_RETENTION_MONTHS", "36")
    assert load_config(str(tmp_path), {"PASSERELLE_ENV": "test"})["HOUSEHOLD_RETENTION_MONTHS"] == 36


def test_export_command_prints_or_writes_everything(app: Flask, session: Session, files: Files, tmp_path: Path) -> None:
    runner = app.test_cli_runner()
    printed = runner.invoke(args=["gdpr", "export", str(files.expired.id)])
    assert printed.exit_code == 0, printed.output
    data = json.loads(printed.output)
    assert (data["siao_reference"], data["contact_email"]) == (SECRETS["siao_reference"], SECRETS["contact_email"])
    assert [member["birth_year"] for member in data["members"]] == [1984, 1986, 2015]
    assert data["proposals"][0]["snapshot"]["contact_name"] == SECRETS["contact_name"]
    target = tmp_path / "menage.json"
    written = runner.invoke(args=["gdpr", "export", str(files.expired.id), "--output", str(target)])
    assert written.exit_code == 0 and json.loads(target.read_text(encoding="utf-8")) == data
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    exports = session.scalars(select(AuditEntry).where(AuditEntry.action == "household.export")).all()
    assert [entry.object_id for entry in exports] == [str(files.expired.id)] * 2
    missing = runner.invoke(args=["gdpr", "export", "999999"])
    assert missing.exit_code != 0 and "introuvable" in missing.output


def test_export_download_for_the_operators_staff_only(
    client: FlaskClient, session: Session, make: Factory, files: Files
) -> None:
    url = f"/agence/menages/{files.expired.id}/export"
    login_as(client, files.staff)
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == f'attachment; filename="menage-{files.expired.id}.json"'
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.get_json()["contact_name"] == SECRETS["contact_name"]
    (entry,) = session.scalars(select(AuditEntry).where(AuditEntry.action == "household.export")).all()
    assert (entry.actor_id, entry.object_id) == (files.staff.id, str(files.expired.id))

    login_as(client, make.staff(files.other.operator))
    assert client.get(url).status_code == 404
    assert client.get("/agence/menages/999999/export").status_code == 404
    login_as(client, make.metro_user())
    assert client.get(url).status_code == 403
    assert len(session.scalars(select(AuditEntry).where(AuditEntry.action == "household.export")).all()) == 1
