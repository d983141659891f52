"""Yearly IRL revisions of leases on a real database (both engines): the daily job opens them once (waiting for a
missing index, then proposed), DPE F/G freeze, convention cap, lapse after a year; applying one stores the
letter and switches the rent so that the rent calls before ``effective_from`` keep the old rent and the calls
from it carry the new one."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from agency_backoffice.models import EntryKind, LedgerEntry, RentRevision, RevisionStatus
from agency_backoffice.operations import ledger as ledger_ops
from agency_backoffice.operations import revisions as ops
from agency_backoffice.revision_jobs import irl_revisions
from capture.models import IMLMode
from contracts.rent_revision_letter import render_rent_revision_letter
from passerelle import storage
from passerelle.models import AuditEntry, IrlIndex, OrganisationKind
from passerelle.reference.importers import import_irl

START = date(2024, 6, 15)  # the lease's start: revisions on 15 June each year
RENT = D("512.40")
# Second anniversary, 15 June 2026: the latest 2nd-quarter IRL out by then is 2025-T2 (146.68), over 2024-T2
# (145.17): 512.40 × 146.68 = 75 158.832 ; 75 158.832 / 145.17 = 517.7297… → 517.72 truncated (rounding: 517.73).
REVISED_2026 = D("517.72")


@pytest.fixture(autouse=True)
def context(app: Flask, parameters: None) -> Iterator[None]:
    with app.test_request_context():
        yield


def import_series(session: Session, shared_data: Path, tmp_path: Path, *, until: tuple[int, int] | None = None) -> None:
    """Import ``irl.csv`` with the real importer, only up to a quarter when ``until`` is given."""
    source = shared_data / "irl.csv"
    if until is not None:
        with source.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
        kept = [rows[0]] + [row for row in rows[1:] if (int(row[0]), int(row[1])) <= until]
        source = tmp_path / f"irl-until-{until[0]}-{until[1]}.csv"
        with source.open("w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows(kept)
    assert import_irl(session, source).imported


@pytest.fixture
def operator(make):
    operator = make.organisation(kind=OrganisationKind.ASSOCIATION, name="Toit d'abord")
    operator.rent_call_day = 25
    return operator


@pytest.fixture
def staff(make, operator):
    return make.staff(operator, full_name="Lou Martin", email="lou.martin@toit.example")


@pytest.fixture
def new_lease(make, operator, staff):
    """A lease started on 15 June 2024 whose revision clause refers to the 2nd quarter (the series is imported
    by the test first: the factory signs on the start date and needs an index published by then)."""

    def create(**fields):
        lease = make.lease(
            operator,
            by=staff,
            starts_on=fields.pop("starts_on", START),
            rent=RENT,
            deposit=fields.pop("deposit", D("400.00")),
            mode=IMLMode.SUBLEASE,
            **fields,
        )
        lease.irl_quarter = 2
        return lease

    return create


@pytest.fixture
def full_series(session, shared_data, tmp_path) -> None:
    import_series(session, shared_data, tmp_path)


def plain(text: str | None) -> str:
    """French money uses no-break spaces: read them as spaces."""
    return (text or "").replace("\u202f", " ").replace("\xa0", " ")


def revisions_of(session: Session, lease) -> list[RentRevision]:
    return list(session.scalars(select(RentRevision).where(RentRevision.lease_id == lease.id)).all())


def call_rents(session: Session, lease) -> dict[date, D]:
    rows = session.execute(
        select(LedgerEntry.period, LedgerEntry.rent).where(
            LedgerEntry.lease_id == lease.id, LedgerEntry.kind == EntryKind.CALL
        )
    ).all()
    return {period: rent for period, rent in rows if period is not None and rent is not None}


# --- the job -------------------------------------------------------------------------------------------------


def test_first_anniversary_uses_the_second_quarter_index_out_by_then(session, full_series, new_lease) -> None:
    lease = new_lease()
    report = irl_revisions(session, date(2025, 6, 15))
    (revision,) = revisions_of(session, lease)
    # On 15 June 2025 the 2nd quarter of 2025 is not over: the index to apply is 2024-T2 (145.17) over 2023-T2
    # (140.59). 512.40 × 145.17 = 74 385.108 ; / 140.59 = 529.0924… → 529.09.
    assert (revision.due_on, revision.status) == (date(2025, 6, 15), RevisionStatus.PROPOSED)
    assert (revision.quarter_year, revision.quarter, revision.irl_new, revision.irl_old) == (
        2024,
        2,
        D("145.17"),
        D("140.59"),
    )
    assert (revision.old_rent, revision.new_rent, revision.frozen, revision.capped) == (RENT, D("529.09"), False, False)
    assert "512,40 € × 145,17 / 140,59 = 529,09 €" in plain(revision.explanation)
    assert report.summary["created"] == 1 and report.summary["proposed"] == 1


def test_waits_for_a_missing_index_then_proposes_once_it_is_imported(
    session, shared_data, tmp_path, new_lease, staff
) -> None:
    import_series(session, shared_data, tmp_path, until=(2025, 1))  # 2025-T2 not imported yet
    lease = new_lease()
    first = irl_revisions(session, date(2026, 6, 15))
    (revision,) = revisions_of(session, lease)
    assert (revision.due_on, revision.status) == (date(2026, 6, 15), RevisionStatus.WAITING_INDEX)
    assert (revision.quarter_year, revision.quarter, revision.new_rent) == (2025, 2, None)
    assert "2e trimestre 2025 (2025-T2)" in (revision.explanation or "")
    assert first.summary["waiting_index"] == 1
    # The digest goes to the operator's staff, without the household's name.
    ((to, subject, body),) = first.mails
    assert to == staff.email and "en attente de l'IRL 2025-T2" in body and "Awa Diallo" not in body
    assert subject == "Passerelle — révisions de loyer"

    # Same day again: nothing new, no duplicate, no e-mail.
    again = irl_revisions(session, date(2026, 6, 15))
    assert (again.summary["created"], again.summary["indexed"], again.mails) == (0, 0, [])
    assert len(revisions_of(session, lease)) == 1

    import_series(session, shared_data, tmp_path)  # the index arrives
    later = irl_revisions(session, date(2026, 6, 16))
    session.refresh(revision)
    assert revision.status is RevisionStatus.PROPOSED
    assert (revision.irl_new, revision.irl_old, revision.old_rent, revision.new_rent) == (
        D("146.68"),
        D("145.17"),
        RENT,
        REVISED_2026,
    )
    assert (later.summary["created"], later.summary["indexed"], later.summary["proposed"]) == (0, 1, 1)
    ((_, subject, body),) = later.mails
    assert subject == "Passerelle — 1 révision(s) de loyer à valider"
    assert f"Révision n° {revision.id} du bail n° {lease.id} au 15/06/2026" in body and "Awa Diallo" not in body


def test_dpe_f_or_g_freezes_the_rent(session, full_series, new_lease) -> None:
    on_lease = new_lease()
    on_lease.dpe_class = "G"
    on_unit = new_lease()
    on_unit.dpe_class = None
    on_unit.unit.dpe_class = "F"  # the unit's class when the lease records none
    irl_revisions(session, date(2026, 6, 15))
    for lease in (on_lease, on_unit):
        (revision,) = revisions_of(session, lease)
        assert (revision.status, revision.frozen, revision.new_rent) == (RevisionStatus.PROPOSED, True, RENT)
        assert "gelé" in (revision.explanation or "")


def test_a_conventioned_rent_stays_within_its_cap(session, full_series, new_lease) -> None:
    lease = new_lease()
    lease.rent_cap = D("515.00")  # 517.72 by the formula: brought down to the cap
    irl_revisions(session, date(2026, 6, 15))
    (revision,) = revisions_of(session, lease)
    assert (revision.new_rent, revision.capped, revision.frozen) == (D("515.00"), True, False)


def test_the_job_is_idempotent_and_the_database_holds_one_revision_per_date(session, full_series, new_lease) -> None:
    lease = new_lease()
    assert irl_revisions(session, date(2026, 6, 15)).summary["created"] == 1
    assert irl_revisions(session, date(2026, 6, 15)).summary["created"] == 0
    assert irl_revisions(session, date(2026, 9, 1)).summary["created"] == 0
    assert len(revisions_of(session, lease)) == 1
    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(
            RentRevision(
                operator_id=lease.operator_id,
                lease_id=lease.id,
                due_on=date(2026, 6, 15),
                quarter_year=2025,
                quarter=2,
                old_rent=RENT,
                status=RevisionStatus.WAITING_INDEX,
            )
        )
        session.flush()


def test_no_revision_before_the_first_anniversary_and_the_date_the_lease_states(
    session, full_series, new_lease
) -> None:
    young = new_lease(starts_on=date(2026, 3, 1))
    stated = new_lease()
    stated.revision_on = date(2025, 1, 1)  # the lease's own date: 1 January each year
    irl_revisions(session, date(2026, 6, 15))
    assert revisions_of(session, young) == []
    (revision,) = revisions_of(session, stated)
    # 1 January 2026: the latest 2nd-quarter IRL out by then is 2025-T2 (146.68) over 2024-T2.
    assert (revision.due_on, revision.quarter_year, revision.new_rent) == (date(2026, 1, 1), 2025, REVISED_2026)


def test_an_open_revision_lapses_after_a_year_and_the_next_one_opens(session, full_series, new_lease) -> None:
    lease = new_lease()
    irl_revisions(session, date(2026, 6, 15))
    (old,) = revisions_of(session, lease)
    # 15 June 2027 is still within the year (art. 17-1); the 16th is not.
    irl_revisions(session, date(2027, 6, 15))
    session.refresh(old)
    assert old.status is RevisionStatus.PROPOSED
    report = irl_revisions(session, date(2027, 6, 16))
    session.refresh(old)
    assert old.status is RevisionStatus.CANCELLED and "renoncé" in (old.explanation or "")
    assert report.summary["lapsed"] == 1
    new = next(r for r in revisions_of(session, lease) if r.id != old.id)
    # 2026-T2 is not in the series: the 2027 revision waits for it.
    assert (new.due_on, new.status, new.quarter_year) == (date(2027, 6, 15), RevisionStatus.WAITING_INDEX, 2026)


# --- staff decisions and the rent calls ---------------------------------------------------------------------


def proposed(session: Session, lease) -> RentRevision:
    irl_revisions(session, date(2026, 6, 15))
    (revision,) = revisions_of(session, lease)
    assert revision.status is RevisionStatus.PROPOSED
    return revision


def test_apply_stores_the_letter_and_calls_from_effective_from_carry_the_new_rent(
    session, full_series, new_lease, operator, staff
) -> None:
    lease = new_lease()
    revision = proposed(session, lease)
    ledger_ops.issue_rent_calls(session, date(2026, 6, 15), operator_ids=[operator.id])  # up to June 2026
    ops.apply_revision(session, revision, notified_on=date(2026, 6, 20), by=staff, today=date(2026, 6, 20))
    # First due date (the 5th) on or after 15 June and 20 June: 5 July 2026. June is called, July is not: the
    # lease's rent changes now.
    assert (revision.status, revision.effective_from, revision.applied_on) == (
        RevisionStatus.APPLIED,
        date(2026, 7, 5),
        date(2026, 6, 20),
    )
    assert revision.reviewed_by_id == staff.id and lease.rent == REVISED_2026
    assert revision.document_sha256 is not None
    pdf = storage.read(revision.document_sha256)
    assert (
        pdf.startswith(b"%PDF-") and revision.document_filename == f"revision-loyer-{revision.id}-bail-{lease.id}.pdf"
    )
    # Same letter, same bytes.
    assert render_rent_revision_letter(ops.letter_document(revision, issued_on=date(2026, 6, 20), by=staff)) == pdf
    ledger_ops.issue_rent_calls(session, date(2026, 6, 25), operator_ids=[operator.id])
    ledger_ops.issue_rent_calls(session, date(2026, 7, 25), operator_ids=[operator.id])
    rents = call_rents(session, lease)
    assert rents[date(2026, 5, 1)] == rents[date(2026, 6, 1)] == RENT
    assert rents[date(2026, 7, 1)] == rents[date(2026, 8, 1)] == REVISED_2026
    actions = set(session.scalars(select(AuditEntry.action).where(AuditEntry.object_id == str(revision.id))).all())
    assert {"rent_revision.open", "rent_revision.apply"} <= actions


def test_a_month_already_called_keeps_the_old_rent(session, full_series, new_lease, operator, staff) -> None:
    lease = new_lease()
    revision = proposed(session, lease)
    ledger_ops.issue_rent_calls(session, date(2026, 6, 25), operator_ids=[operator.id])  # July is called
    ops.apply_revision(session, revision, notified_on=date(2026, 6, 26), by=staff, today=date(2026, 6, 26))
    # At the earliest 5 July, but July is called at the old rent: the revision starts with August.
    assert revision.effective_from == date(2026, 8, 5) and lease.rent == REVISED_2026
    assert "07/2026" in (revision.explanation or "")
    ledger_ops.issue_rent_calls(session, date(2026, 7, 25), operator_ids=[operator.id])
    rents = call_rents(session, lease)
    assert (rents[date(2026, 7, 1)], rents[date(2026, 8, 1)]) == (RENT, REVISED_2026)


def test_a_later_notification_switches_the_rent_when_the_month_before_is_called(
    session, full_series, new_lease, operator, staff
) -> None:
    lease = new_lease()
    revision = proposed(session, lease)
    ledger_ops.issue_rent_calls(session, date(2026, 6, 15), operator_ids=[operator.id])
    ops.apply_revision(session, revision, notified_on=date(2026, 8, 10), by=staff, today=date(2026, 6, 20))
    # First due date on or after 10 August: 5 September. July and August are not called yet: rent unchanged.
    assert revision.effective_from == date(2026, 9, 5) and lease.rent == RENT
    ledger_ops.issue_rent_calls(session, date(2026, 6, 25), operator_ids=[operator.id])  # July
    assert irl_revisions(session, date(2026, 6, 26)).summary["rents_switched"] == 0
    ledger_ops.issue_rent_calls(session, date(2026, 7, 25), operator_ids=[operator.id])  # August
    report = irl_revisions(session, date(2026, 7, 26))
    assert (report.summary["rents_switched"], report.summary["late_switches"], lease.rent) == (1, 0, REVISED_2026)
    assert irl_revisions(session, date(2026, 7, 27)).summary["rents_switched"] == 0  # once
    ledger_ops.issue_rent_calls(session, date(2026, 8, 25), operator_ids=[operator.id])  # September
    rents = call_rents(session, lease)
    assert (rents[date(2026, 7, 1)], rents[date(2026, 8, 1)], rents[date(2026, 9, 1)]) == (RENT, RENT, REVISED_2026)


def test_a_falling_index_lowers_the_rent(session, full_series, new_lease, staff) -> None:
    # An index below the year before (fictitious 2025-T4, the series stops at 2025-T3): 2024-T4 is 144.64.
    session.add(IrlIndex(year=2025, quarter=4, value=D("143.90"), published_on=None, source="essai"))
    lease = new_lease()
    full_deposit = new_lease(deposit=RENT)
    for each in (lease, full_deposit):
        each.irl_quarter = 4
    irl_revisions(session, date(2026, 6, 15))
    (revision,) = revisions_of(session, lease)
    # 512.40 × 143.90 = 73 734.36 ; / 144.64 = 509.7784… → 509.77 (truncated: never against the household).
    assert (revision.quarter_year, revision.new_rent) == (2025, D("509.77"))
    assert "baisse de 2,63 €" in plain(revision.explanation)  # 512.40 − 509.77
    ops.apply_revision(session, revision, notified_on=date(2026, 6, 20), by=staff, today=date(2026, 6, 20))
    # No call was ever issued for this lease: the rent changes on the effective date itself (5 July).
    assert (revision.effective_from, lease.rent) == (date(2026, 7, 5), RENT)
    assert irl_revisions(session, date(2026, 7, 4)).summary["rents_switched"] == 0
    assert irl_revisions(session, date(2026, 7, 5)).summary["rents_switched"] == 1
    assert lease.rent == D("509.77")
    # A deposit of one month's rent at signature is never revised (art. 22): the lower rent applies all the same,
    # the database checks the deposit against the rent at signature.
    (other,) = revisions_of(session, full_deposit)
    ops.apply_revision(session, other, notified_on=date(2026, 6, 20), by=staff, today=date(2026, 6, 20))
    irl_revisions(session, date(2026, 7, 5))
    session.flush()
    assert (full_deposit.rent, full_deposit.deposit, full_deposit.initial_rent) == (D("509.77"), RENT, RENT)


def test_refusals_in_french(session, full_series, new_lease, staff) -> None:
    lease = new_lease()
    revision = proposed(session, lease)
    with pytest.raises(ops.RevisionError, match="renoncé"):
        ops.apply_revision(session, revision, notified_on=date(2027, 6, 16), by=staff, today=date(2027, 6, 16))
    lease.rent = D("520.00")
    with pytest.raises(ops.RevisionError, match="recalculez"):
        ops.apply_revision(session, revision, notified_on=date(2026, 6, 20), by=staff, today=date(2026, 6, 20))
    with pytest.raises(ops.RevisionError, match="pourquoi"):
        ops.cancel_revision(session, revision, reason="  ", by=staff, today=date(2026, 6, 20))
    ops.cancel_revision(session, revision, reason="Le propriétaire y renonce.", by=staff, today=date(2026, 6, 20))
    assert revision.status is RevisionStatus.CANCELLED and "Le propriétaire y renonce." in (revision.explanation or "")
    with pytest.raises(ops.RevisionError, match="« à valider »"):
        ops.apply_revision(session, revision, notified_on=date(2026, 6, 20), by=staff, today=date(2026, 6, 20))
    assert irl_revisions(session, date(2026, 6, 16)).summary["created"] == 0  # set aside stays set aside
