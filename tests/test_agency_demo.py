"""The back-office demo: believable households for both operators, proposals at every step, idempotent, scalable.

The whole demo is seeded once for this module (it takes a few seconds) in a transaction rolled back at the end;
the last test, which runs the demo again and adds volume, is the only one that changes that state.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from agency_backoffice.demo import seed
from agency_backoffice.household_input import HouseholdInput, MemberInput, PlaceInput, check_household
from agency_backoffice.models import (
    Household,
    HouseholdMember,
    HouseholdResource,
    HouseholdStatus,
    Need,
    PriorityFlag,
    Proposal,
    ProposalEvent,
    ProposalStatus,
)
from capture.demo_activity import demo_context
from capture.models import IMLMode, StockEntry
from passerelle.db import db
from passerelle.demo import seed_demo
from passerelle.models import AuditEntry, Commune, Organisation, OrganisationKind

TODAY = datetime.now(UTC).astimezone(ZoneInfo("Europe/Paris")).date()


def _quiet(_message: str) -> None:
    pass


@pytest.fixture(scope="module")
def seeded(app: Flask) -> Iterator[Session]:
    """A session on the seeded demo, rolled back after the module's tests."""
    connection = db.engine_for(app).connect()
    transaction = connection.begin()
    session = Session(bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint")
    context = app.app_context()  # the demo leases store their PDFs in the app's upload folder
    context.push()
    seed_demo(session, echo=_quiet)
    try:
        yield session
    finally:
        session.close()
        transaction.rollback()
        connection.close()
        context.pop()


def _operators(session: Session) -> dict[OrganisationKind, int]:
    rows = session.execute(select(Organisation.kind, Organisation.id)).all()
    return {kind: organisation_id for kind, organisation_id in rows}


def _as_input(household: Household) -> HouseholdInput:
    """The referral as staff would have typed it, read back from the stored file."""
    return HouseholdInput(
        siao_reference=household.siao_reference,
        referred_on=household.referred_on,
        situation=household.situation,
        members=tuple(
            MemberInput(adult=m.adult, birth_year=m.birth_year, birth_month=m.birth_month, sex=m.sex)
            for m in household.members
        ),
        couple=household.couple,
        resources=tuple((r.kind, r.monthly_amount) for r in household.resources),
        situation_since=household.situation_since,
        priority_flags=frozenset(PriorityFlag(flag) for flag in household.priority_flags),
        needs=frozenset(Need(need) for need in household.needs),
        wished_communes=tuple(household.wished_communes),
        places=tuple(PlaceInput(**place) for place in household.places),
        tax_income=household.tax_income,
        tax_income_year=household.tax_income_year,
        disability_card=household.disability_card,
        needed_by=household.needed_by,
        support_intensity=household.support_intensity,
        consent_on=household.consent_on,
    )


def _problems(session: Session) -> dict[str, list[str]]:
    communes = set(session.scalars(select(Commune.insee)))
    households = session.scalars(select(Household).where(Household.status != HouseholdStatus.CLOSED)).all()
    assert households
    checked = {
        h.siao_reference: check_household(_as_input(h), today=TODAY, known_communes=communes) for h in households
    }
    return {reference: problems for reference, problems in checked.items() if problems}


def test_a_few_hundred_households_for_each_operator(seeded: Session) -> None:
    operators = _operators(seeded)
    counts = Counter(seeded.execute(select(Household.operator_id, Household.status)).all())
    ais = sum(n for (operator, _status), n in counts.items() if operator == operators[OrganisationKind.AIS])
    association = sum(
        n for (operator, _status), n in counts.items() if operator == operators[OrganisationKind.ASSOCIATION]
    )
    assert 100 <= ais <= 150 and 150 <= association <= 220  # the brief: about 120 and about 180
    statuses = Counter(status for (_operator, status), n in counts.items() for _ in range(n))
    assert statuses[HouseholdStatus.ACTIVE] > (ais + association) / 2  # most are waiting
    assert statuses[HouseholdStatus.HOUSED] >= 5 and statuses[HouseholdStatus.CLOSED] >= 5
    parked = seeded.scalar(select(func.count()).select_from(Household).where(Household.parked_until > TODAY))
    assert parked is not None and 2 <= parked <= 40
    old_closed = seeded.scalar(
        select(func.count())
        .select_from(Household)
        .where(Household.status == HouseholdStatus.CLOSED, Household.closed_on < TODAY - timedelta(days=731))
    )
    assert old_closed is not None and old_closed >= 2  # something for the GDPR purge
    referred = seeded.execute(select(func.min(Household.referred_on), func.max(Household.referred_on))).one()
    assert referred[1] <= TODAY and referred[0] < TODAY - timedelta(days=730)


def test_compositions_are_those_of_the_homeless_population(seeded: Session) -> None:
    without_adult = seeded.scalar(
        select(func.count())
        .select_from(Household)
        .where(
            ~select(HouseholdMember.id)
            .where(HouseholdMember.household_id == Household.id, HouseholdMember.adult)
            .exists()
        )
    )
    assert without_adult == 0
    households = seeded.scalars(select(Household)).all()
    sizes = Counter(len(h.members) for h in households)
    assert all(h.persons_count == len(h.members) for h in households)
    assert 0.35 <= sizes[1] / len(households) <= 0.7  # many single adults
    assert sum(n for size, n in sizes.items() if size >= 5) >= 3  # a few large families
    single_parents = [h for h in households if not h.couple and len(h.members) > 1]
    assert len(single_parents) >= 0.12 * len(households)
    assert all(sum(m.adult for m in h.members) >= 2 for h in households if h.couple)
    assert all(m.sex is not None for h in households for m in h.members if not m.adult)
    with_flags = sum(1 for h in households if h.priority_flags)
    with_needs = sum(1 for h in households if h.needs)
    assert 0 < with_flags < len(households) / 2 and 0 < with_needs < len(households) / 3
    assert all(h.contact_phone is None or h.contact_phone.startswith("06 39 98") for h in households)


def test_resources_and_tax_income_are_plausible(seeded: Session) -> None:
    totals = dict(
        seeded.execute(
            select(HouseholdResource.household_id, func.sum(HouseholdResource.monthly_amount)).group_by(
                HouseholdResource.household_id
            )
        ).all()
    )
    households = seeded.scalars(select(Household)).all()
    assert 500 <= sum(totals.values()) / len(totals) <= 2000  # monthly, mostly minima and low wages
    kinds = Counter(r.kind.value for h in households for r in h.resources)
    assert {"rsa", "aah", "wages", "unemployment", "pension", "family_benefits"} <= set(kinds)
    assert kinds["rsa"] >= kinds["wages"]  # RSA is the most common resource of SIAO referrals
    taxable = {"wages", "unemployment", "pension", "alimony"}
    for household in households:
        if household.tax_income is None:
            continue
        monthly = sum(r.monthly_amount for r in household.resources if r.kind.value in taxable)
        assert household.tax_income <= monthly * 12 * 2  # N-2 income of the same order as today's taxable part
        assert household.tax_income_year is not None and household.tax_income_year <= TODAY.year - 2


def test_every_open_file_passes_the_referral_checks(seeded: Session) -> None:
    assert _problems(seeded) == {}


def test_proposals_at_every_step_with_a_dated_history(seeded: Session) -> None:
    proposals = seeded.scalars(select(Proposal)).all()
    assert {p.status for p in proposals} == set(ProposalStatus)  # « leased »: the demo leases
    for proposal in proposals:
        entry = seeded.get(StockEntry, proposal.stock_entry_id)
        assert entry is not None and entry.operator_id == proposal.operator_id == proposal.household.operator_id
        assert proposal.score is not None and proposal.snapshot
        if proposal.status is ProposalStatus.OWNER_ACCEPTED:
            assert entry.mode in (IMLMode.MANDATE, IMLMode.BAIL_GLISSANT)
        if proposal.status is ProposalStatus.DECLINED:
            assert proposal.decline_reason is not None and proposal.decline_note
        events = proposal.events
        assert events[0].from_status is None and events[0].to_status == ProposalStatus.PROPOSED.value
        assert events[-1].to_status == proposal.status.value
        assert all(a.to_status == b.from_status for a, b in pairwise(events))
        days = [event.on for event in events]
        assert days == sorted(days) and days[-1] == proposal.status_changed_on < TODAY
        assert proposal.household.referred_on <= days[0]
    stalled = [p for p in proposals if p.status.is_open and p.status_changed_on < TODAY - timedelta(days=7)]
    assert stalled
    open_per_household = Counter(p.household_id for p in proposals if p.status.is_open)
    assert max(open_per_household.values()) == 1


def test_second_run_adds_nothing_and_scale_adds_a_fifth(seeded: Session) -> None:
    tables = (Household, HouseholdMember, HouseholdResource, Proposal, ProposalEvent, AuditEntry)

    def counts() -> dict[str, int]:
        return {t.__name__: seeded.scalar(select(func.count()).select_from(t)) or 0 for t in tables}

    before = counts()
    seed_demo(seeded, echo=_quiet)
    assert counts() == before

    seed_demo(seeded, scale=50, echo=_quiet)
    scaled = counts()
    assert scaled["Household"] == before["Household"] + 10
    assert scaled["HouseholdMember"] >= before["HouseholdMember"] + 10
    assert scaled["Proposal"] == before["Proposal"]
    assert _problems(seeded) == {}

    seed(
        demo_context(seeded, scale=50, echo=_quiet)
    )  # the back-office step alone: the rest of the demo is checked elsewhere
    assert counts() == scaled
    seed(demo_context(seeded, scale=60, echo=_quiet))
    assert counts()["Household"] == before["Household"] + 12


def test_leases_of_each_kind_with_guarantees_a_review_due_and_a_slide(seeded: Session) -> None:
    from agency_backoffice.models import GuaranteeKind, Lease, LeaseDocumentKind, LeaseEndReason, SlidingReview

    leases = seeded.scalars(select(Lease)).all()
    assert {(lease.kind.value, lease.mode.value) for lease in leases} >= {
        ("direct", "mandate"),
        ("sublease", "sublease"),
        ("sublease", "bail_glissant"),
        ("direct", "bail_glissant"),  # the slid one
    }
    assert {g.kind for lease in leases for g in lease.guarantees} == set(GuaranteeKind)
    slid = [lease for lease in leases if lease.slid_from_id is not None]
    assert len(slid) == 1 and slid[0].slid_from.end_reason is LeaseEndReason.SLIDE
    assert slid[0].agreement.end_reason == "slide"
    due = seeded.scalars(select(SlidingReview).where(SlidingReview.held_on.is_(None))).all()
    assert any(review.due_on <= TODAY + timedelta(days=30) for review in due)
    for lease in leases:
        kinds = {document.kind for document in lease.documents}
        assert LeaseDocumentKind.GUARANTEE_SUMMARY in kinds
        assert kinds & {LeaseDocumentKind.LEASE, LeaseDocumentKind.SUBLEASE}


def test_the_demo_owner_has_a_lease_under_mandate_and_one_under_sous_location(seeded: Session) -> None:
    from agency_backoffice.queries.leases import landlord_documents
    from passerelle.models import User

    owner = seeded.scalar(select(User).where(User.email == "proprietaire@demo.passerelle.test"))
    assert owner is not None
    documents = landlord_documents(seeded, owner)
    by_mode = {lease.mode.value: {d.kind.value for d in docs} for lease, docs in documents}
    assert by_mode["mandate"] >= {"lease", "guarantee_summary"}
    assert by_mode["sublease"] == {"guarantee_summary"}


def test_the_ledger_has_calls_since_move_in_receipts_and_a_household_in_arrears(seeded: Session) -> None:
    from agency_backoffice.models import EntryKind, Lease, LeaseStatus, LedgerDocument, LedgerEntry
    from agency_backoffice.queries.ledger import lease_balance
    from agency_backoffice.rules.ledger import month_start

    running = seeded.scalars(select(Lease).where(Lease.status == LeaseStatus.ACTIVE)).all()
    assert running
    for lease in running:
        periods = set(
            seeded.scalars(
                select(LedgerEntry.period).where(LedgerEntry.lease_id == lease.id, LedgerEntry.kind == EntryKind.CALL)
            )
        )
        assert month_start(lease.starts_on) in periods and month_start(TODAY) in periods
    kinds = [d.kind.value for d in seeded.scalars(select(LedgerDocument))]
    assert kinds.count("quittance") >= 10 and "recu" in kinds
    balances = {lease.id: lease_balance(seeded, lease.id) for lease in running}
    # The household who stopped paying owes at least two months of its share.
    assert any(
        balance >= 2 * (lease.rent + lease.charges - lease.benefit_monthly)
        for lease in running
        for lease_id, balance in balances.items()
        if lease_id == lease.id
    )
    assert seeded.scalar(select(func.count()).select_from(LedgerEntry).where(LedgerEntry.method == "caf"))
    before = seeded.scalar(select(func.count()).select_from(LedgerEntry))
    seed_demo(seeded, echo=_quiet)
    assert seeded.scalar(select(func.count()).select_from(LedgerEntry)) == before
