"""What protects money and allocation lives in the database: the deposit, the cap, the start, one lease in force.

The rules refuse these first (tests/test_leases.py); here the rows are written behind the rules' back and the
database must still refuse them, on SQLite and on PostgreSQL — including two transactions racing to put two
leases in force on the same unit: exactly one wins, the other gets a French error.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from flask import Flask
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from agency_backoffice.models import Lease, LeaseSignatureMethod, LeaseStatus
from agency_backoffice.operations import leases as ops
from capture.models import ConventionLevel, IMLMode
from passerelle import create_app, migrate
from passerelle.db import db
from tests import factories
from tests.conftest import fresh_database_url

TODAY = date.today()
# Two real concurrent transactions need PostgreSQL; on SQLite a writer locks the whole file, and the sequential
# test above covers the rule. The race test is therefore only collected on PostgreSQL (never skipped).
ON_POSTGRESQL = os.environ.get("PASSERELLE_TEST_DATABASE_URL", "").startswith("postgresql")


@pytest.fixture(autouse=True)
def context(app: Flask, parameters: None) -> Iterator[None]:
    with app.test_request_context():
        yield


def _twin(lease: Lease, household_id: int, **changes: object) -> Lease:
    """A second draft on the same unit, written directly (no proposal: the proposal rules would refuse it)."""
    columns = {
        column.key: getattr(lease, column.key)
        for column in Lease.__table__.columns
        if column.key not in ("id", "proposal_id", "created_at")
    }
    columns.update(household_id=household_id, status=LeaseStatus.DRAFT, signed_on=None, signatories=None)
    columns.update(signature_method=None, activated_on=None)
    columns.update(changes)
    return Lease(**columns)


@pytest.mark.parametrize(
    ("changes", "constraint"),
    [
        ({"deposit": D("420.01")}, "deposit_at_most_one_month"),
        ({"deposit": D("-1")}, "deposit_non_negative"),
        ({"rent_cap": D("400")}, "rent_within_cap"),
        ({"starts_on": TODAY - timedelta(days=365)}, "starts_when_available"),
        ({"payment_day": 31}, "payment_day"),
    ],
)
def test_the_database_refuses_a_lease_the_rules_would_refuse(make, session, changes, constraint):
    operator = make.organisation()
    staff = make.staff(operator)
    lease = make.lease(operator, by=staff, status="draft", mode=IMLMode.SUBLEASE, rent=D("420"))
    with pytest.raises(IntegrityError) as error, session.begin_nested():
        session.add(_twin(lease, make.household(operator).id, **changes))
        session.flush()
    assert constraint in str(error.value)


def test_a_conventioned_lease_cannot_be_signed_without_its_cap(make, session):
    operator = make.organisation()
    staff = make.staff(operator)
    lease = make.lease(operator, by=staff, status="draft", mode=IMLMode.SUBLEASE)
    twin = _twin(lease, make.household(operator).id, level=ConventionLevel.LOC2, rent_cap=None)
    twin.status, twin.signed_on, twin.signatories = LeaseStatus.SIGNED, TODAY, "Awa Diallo"
    twin.signature_method = LeaseSignatureMethod.PAPER
    with pytest.raises(IntegrityError) as error, session.begin_nested():
        session.add(twin)
        session.flush()
    assert "conventioned_has_cap" in str(error.value)


@pytest.mark.parametrize("same", ["unit", "household"])
def test_one_lease_in_force_per_unit_and_per_household(make, session, same):
    operator = make.organisation()
    staff = make.staff(operator)
    lease = make.lease(operator, by=staff, status="signed", mode=IMLMode.SUBLEASE)
    if same == "unit":
        twin = _twin(lease, make.household(operator).id)
    else:
        other = make.available_unit(operator, available_on=lease.starts_on)
        twin = _twin(lease, lease.household_id, unit_id=other.unit_id, stock_entry_id=other.id)
    session.add(twin)
    session.flush()
    with pytest.raises(ops.LeaseError) as error:
        ops.sign_lease(
            session,
            twin,
            signed_on=TODAY,
            signatories="Awa Diallo",
            method=LeaseSignatureMethod.PAPER,
            by=staff,
            today=TODAY,
        )
    assert "déjà un bail signé ou en cours" in str(error.value)
    assert session.scalar(select(Lease.status).where(Lease.id == lease.id)) is LeaseStatus.SIGNED


# --- two transactions racing on PostgreSQL ------------------------------------------------------------------------


@dataclass
class Race:
    app: Flask
    first: int
    second: int
    staff: int


@pytest.fixture
def race(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Race]:
    """Two draft leases on the same unit, committed in a database of their own (the test's own is rolled back)."""
    for url in fresh_database_url(tmp_path_factory, "race"):
        app = create_app({"PASSERELLE_ENV": "test", "DATABASE_URL": url, "WTF_CSRF_ENABLED": False})
        app.instance_path = str(tmp_path_factory.mktemp("race_instance"))
        migrate.upgrade(db.engine_for(app))
        with app.test_request_context():
            session = db.sessionmaker_for(app)()
            from passerelle.reference import importers

            importers.import_parameters(session, importers.DEFAULT_PARAMETERS_FILE)
            make = factories.Factory(session)
            operator = make.organisation()
            staff = make.staff(operator)
            lease = make.lease(operator, by=staff, status="draft", mode=IMLMode.SUBLEASE)
            twin = _twin(lease, make.household(operator).id)
            session.add(twin)
            session.commit()
            ids = Race(app, lease.id, twin.id, staff.id)
            session.close()
        yield ids
        db.engine_for(app).dispose()


def two_concurrent_signatures_on_one_unit_exactly_one_wins(race: Race) -> None:
    """Each transaction signs its own lease on the same unit; the second blocks on the index, then fails."""
    from passerelle.models import User

    outcomes: dict[int, str] = {}
    first_flushed = threading.Event()

    def sign(lease_id: int, *, wait_for_rival: bool) -> None:
        with race.app.test_request_context():
            session: Session = db.sessionmaker_for(race.app)()
            try:
                lease = session.get(Lease, lease_id)
                staff = session.get(User, race.staff)
                assert lease is not None and staff is not None
                if not wait_for_rival:
                    first_flushed.wait(10)
                ops.sign_lease(
                    session,
                    lease,
                    signed_on=TODAY,
                    signatories="Awa Diallo",
                    method=LeaseSignatureMethod.PAPER,
                    by=staff,
                    today=TODAY,
                )
                if wait_for_rival:
                    first_flushed.set()
                    _wait_until_blocked(session)
                session.commit()
                outcomes[lease_id] = "signed"
            except ops.LeaseError as error:
                session.rollback()
                outcomes[lease_id] = str(error)
            finally:
                session.close()

    threads = [
        threading.Thread(target=sign, args=(race.first,), kwargs={"wait_for_rival": True}),
        threading.Thread(target=sign, args=(race.second,), kwargs={"wait_for_rival": False}),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert outcomes[race.first] == "signed"
    assert "déjà un bail signé ou en cours" in outcomes[race.second]
    with race.app.app_context():
        session = db.sessionmaker_for(race.app)()
        statuses = session.scalars(select(Lease.status).where(Lease.id.in_([race.first, race.second]))).all()
        session.close()
    assert sorted(status.value for status in statuses) == ["draft", "signed"]


def _wait_until_blocked(session: Session) -> None:
    """Hold the first transaction open until the rival waits on a lock (its insert into the unique index)."""
    monitor = db.engine_for().connect()
    try:
        for _ in range(200):
            waiting = monitor.execute(text("SELECT count(*) FROM pg_locks WHERE NOT granted")).scalar()
            if waiting:
                return
            threading.Event().wait(0.05)
    finally:
        monitor.close()


if ON_POSTGRESQL:
    test_two_concurrent_signatures_on_one_unit_exactly_one_wins = two_concurrent_signatures_on_one_unit_exactly_one_wins
