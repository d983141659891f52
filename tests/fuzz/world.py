"""The world the fuzzers work in: the permission matrix's records, built once per test module."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from passerelle.db import Base, db
from passerelle.models import User
from tests import test_permissions as matrix
from tests.factories import Factory


@dataclass
class FuzzWorld:
    """The matrix's world (two landlords, two operators, metro, admin and their records) on one connection."""

    app: Flask
    connection: Connection
    base: matrix.World
    extra: dict[str, int] = field(default_factory=dict)
    strings: dict[str, str] = field(default_factory=dict)

    @property
    def records(self) -> dict[str, int]:
        return {**self.base.records, **self.extra}

    def actor(self, name: str) -> User | None:
        return self.base.actors[name]

    def client(self, actor: str) -> FlaskClient:
        client = self.app.test_client()
        user = self.actor(actor)
        if user is not None:
            matrix.login_as(client, user)
        return client

    def example(self) -> AbstractContextManager[None]:
        return rolled_back(self.app, self.connection)


@contextmanager
def rolled_back(app: Flask, connection: Connection) -> Iterator[None]:
    """Run one example inside a savepoint rolled back afterwards: every example starts from the same world."""
    savepoint = connection.begin_nested()
    try:
        yield
    finally:
        if savepoint.is_active:
            savepoint.rollback()
        app.extensions["passerelle.outbox"].clear()


def _unwrap(fixture: Any) -> Callable[..., Any]:
    """The function behind a pytest fixture (pytest ≥ 8.4 wraps it), to build the matrix's world once."""
    getter = getattr(fixture, "_get_wrapped_function", None)
    return getter() if getter is not None else fixture.__wrapped__


def build_matrix_world(app: Flask, make: Factory) -> matrix.World:
    return _unwrap(matrix.world)(app, make, None)


Snapshot = dict[str, list[str]]


def snapshot(connection: Connection) -> Snapshot:
    """Every row of every table (as text, sorted): two snapshots differ when anything was written."""
    rows = {}
    for table in Base.metadata.sorted_tables:
        query = select(table)
        if table.name == "audit_entries":
            # Reading a household's personal data is audited (GDPR), even when the page shows a refused form.
            query = query.where(table.c.action.not_like("%.view"))
        rows[table.name] = sorted(repr(tuple(row)) for row in connection.execute(query))
    return rows


def diff(before: Snapshot, after: Snapshot) -> dict[str, str]:
    """Tables whose rows changed, with a short description of the change."""
    changes = {}
    for name, rows in after.items():
        old = before.get(name, [])
        if rows != old:
            added = len(set(rows) - set(old))
            removed = len(set(old) - set(rows))
            changes[name] = f"{len(old)} → {len(rows)} lignes ({added} nouvelles ou modifiées, {removed} disparues)"
    return changes


def open_world(app: Flask) -> tuple[Connection, Session, Callable[[], None]]:
    """A connection in a transaction that the app's request sessions join; returns a closer that rolls back."""
    engine = db.engine_for(app)
    maker = db.sessionmaker_for(app)
    connection = engine.connect()
    transaction = connection.begin()
    maker.configure(bind=connection, join_transaction_mode="create_savepoint")
    session = maker()

    def close() -> None:
        session.close()
        transaction.rollback()
        connection.close()
        maker.configure(bind=engine, join_transaction_mode="conservative_savepoint")
        app.extensions["passerelle.outbox"].clear()

    return connection, session, close


def add_fuzz_records(app: Flask, make: Factory, base: matrix.World) -> tuple[dict[str, int], dict[str, str]]:
    """Records in the states the matrix's world lacks, so that every form is on its page.

    The matrix's unit is submitted, its lease running, its proposal fresh: here a draft unit with a photo, a
    draft and a signed lease, a proposal ready for lease, a parked household, an agreement sent to the landlord,
    a revision whose index is imported, and a password reset link.
    """
    from datetime import date, timedelta
    from decimal import Decimal

    from agency_backoffice.models import Lease, RentRevision, RevisionStatus
    from agency_backoffice.operations import households as household_ops
    from agency_backoffice.operations import revisions as revision_ops
    from capture import operations as capture_ops
    from capture.models import CaptureCase, CaptureStage, DeclarationStatus, LeadSource, Unit
    from capture.operations import agreements as agreement_ops
    from capture.rules import rent_revision as revision_rules
    from capture.rules.assessment import CHECKLIST
    from passerelle.auth.tokens import make_reset_token
    from passerelle.db import utcnow
    from passerelle.storage import store
    from tests.factories import PNG_1PX

    session = make.session
    staff = base.actors["staff_op1"]
    landlord_user, other_landlord = base.actors["landlord_a"], base.actors["landlord_b"]
    assert staff is not None and landlord_user is not None and other_landlord is not None
    operator = staff.memberships[0].organisation
    today = date.today()
    with app.test_request_context():
        landlord = session.get(Unit, base.records["unit"]).landlord  # type: ignore[union-attr]
        draft_unit = make.unit(landlord)
        photo = capture_ops.add_unit_document(
            session,
            draft_unit,
            kind="photo",
            stored=store(PNG_1PX, filename="salon.png", allowed={"image/png"}, max_bytes=1024 * 1024),
            by=landlord_user,
            max_photos=12,
        )
        sent_unit = make.unit(landlord, status=DeclarationStatus.SUBMITTED, submitted_at=utcnow())
        case = capture_ops.open_capture_case(
            session, operator=operator, source=LeadSource.PORTAL, by=landlord_user, unit=sent_unit, landlord=landlord
        )
        # Visited and proposed as staff would (the signature needs the visit), so the case is « proposal sent ».
        visit = {
            "visited_on": today,
            "answers": {item.key: True for item in CHECKLIST},
            "surface_m2": Decimal("45"),
            "annexes_m2": Decimal("0"),
            "rooms": 2,
            "main_room_m2": Decimal("14"),
            "ceiling_height_m": Decimal("2.50"),
            "dpe_class": "D",
            "works": [],
            "notes": None,
        }
        agreement_ops.record_assessment(session, case, data=visit, by=staff, today=today)
        terms = {
            "mode": "mandate",
            "level": "none",
            "rent": Decimal("450"),
            "charges": Decimal("40"),
            "duration_months": 36,
            "fee_rate": Decimal("0.07"),
            "starts_on": max(today, sent_unit.available_from),
        }
        sent_agreement = agreement_ops.draft_agreement(session, case, terms=terms, by=staff, today=today)
        assert session.get(CaptureCase, case.id).stage is CaptureStage.PROPOSAL_SENT  # type: ignore[union-attr]
        draft_lease = make.lease(operator, by=staff, status="draft")
        signed_lease = make.lease(operator, by=staff, status="signed")
        ready = make.ready_proposal(operator, by=staff)
        parked = make.household(operator)
        household_ops.park_household(
            session, parked, until=today + timedelta(days=60), reason="Hospitalisation", by=staff, today=today
        )
        # A second revision waiting for its index, on the bail glissant: the one that can be recomputed.
        glissant = session.get(Lease, base.records["glissant"])
        assert glissant is not None
        waiting = RentRevision(
            operator_id=operator.id,
            lease_id=glissant.id,
            due_on=glissant.starts_on.replace(year=glissant.starts_on.year + 1),
            quarter_year=2025,
            quarter=3,
            old_rent=glissant.rent,
            status=RevisionStatus.WAITING_INDEX,
        )
        session.add(waiting)
        revision = session.get(RentRevision, base.records["revision"])
        assert revision is not None
        # The indices the revision waits for: the quarter in force at its date and the same quarter a year before.
        expected = revision_rules.latest_quarter_over(revision.lease.irl_quarter, revision.due_on)
        make.irl(expected.year, expected.quarter, "147.50")
        make.irl(expected.year - 1, expected.quarter, "145.10")
        assert revision_ops.recompute_revision(session, revision, revision_ops.Reference(session), by=staff)
        reset_token = make_reset_token(other_landlord)
    session.flush()
    records = {
        "draft_unit": draft_unit.id,
        "draft_photo": photo.id,
        "sent_agreement": sent_agreement.id,
        "sent_case": case.id,
        "waiting_revision": waiting.id,
        "draft_lease": draft_lease.id,
        "signed_lease": signed_lease.id,
        "ready_proposal": ready.id,
        "parked_household": parked.id,
    }
    return records, {"reset_token": reset_token, "commune": sent_unit.commune_insee}


def warm_housing_benefit_cache(world: FuzzWorld) -> None:
    """Open the matching page once outside any example: its housing benefit estimates (OpenFisca, seconds each)
    are cached in the world's transaction instead of being computed again, then rolled back, in every example."""
    from flask import url_for

    with world.app.test_request_context():
        url = url_for("agency_backoffice.matching_unit", stock_entry_id=world.records["stock_entry"])
    response = world.client("staff_op1").get(url)
    assert response.status_code == 200, f"{url} : {response.status_code}"
