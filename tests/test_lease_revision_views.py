"""IRL revision pages through the Flask client: the list, a revision's computation, apply (letter, effective date),
set aside, recompute once the index is imported, refusals in French (422, nothing changed), CSRF, and operator
isolation (another operator's revision is a 404)."""

from __future__ import annotations

import csv
import html
import re
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from agency_backoffice.models import RentRevision, RevisionStatus
from agency_backoffice.revision_jobs import irl_revisions
from capture.models import IMLMode
from passerelle import storage
from passerelle.models import AuditEntry, OrganisationKind
from passerelle.reference.importers import import_irl
from tests.conftest import login_as
from tests.factories import Factory

START = date(2024, 6, 15)  # revisions on 15 June each year
REVISION_ON = date(2026, 6, 15)  # the day the job runs in these tests
NOTIFIED_ON = date(2026, 6, 20)
RENT = D("512.40")
# 2025-T2 (146.68) over 2024-T2 (145.17): 512.40 × 146.68 = 75 158.832 ; / 145.17 = 517.7297… → 517.72 truncated.
REVISED = D("517.72")


def text(response) -> str:
    """The page's text without tags, entities decoded, every run of spaces (French ones too) read as one space."""
    page = html.unescape(re.sub(r"<[^>]+>", "", response.get_data(as_text=True)))
    return re.sub(r"[\s\u00a0\u202f]+", " ", page)


def import_series(session: Session, shared_data: Path, tmp_path: Path, *, until: tuple[int, int] | None = None) -> None:
    """Import ``irl.csv`` with the real importer, only up to a quarter when ``until`` is given."""
    source = shared_data / "irl.csv"
    if until is not None:
        with source.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
        source = tmp_path / "irl-partial.csv"
        with source.open("w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows([rows[0]] + [row for row in rows[1:] if (int(row[0]), int(row[1])) <= until])
    assert import_irl(session, source).imported


@pytest.fixture
def operator(make: Factory, parameters: None):
    return make.organisation(kind=OrganisationKind.ASSOCIATION, name="Toit d'abord")


@pytest.fixture
def staff(make: Factory, operator):
    return make.staff(operator, full_name="Lou Martin")


@pytest.fixture
def new_revision(app: Flask, session: Session, make: Factory, operator, staff):
    """A lease started on 15 June 2024 with a 2nd-quarter revision clause, and its revision opened by the job on
    15 June 2026 (the latest 2nd-quarter index out then is 2025-T2, compared with 2024-T2)."""

    def create() -> RentRevision:
        with app.test_request_context():
            lease = make.lease(  # type: ignore[attr-defined]
                operator, by=staff, starts_on=START, rent=RENT, deposit=D("400.00"), mode=IMLMode.SUBLEASE
            )
            lease.irl_quarter = 2
            irl_revisions(session, REVISION_ON)
        (revision,) = session.scalars(select(RentRevision).where(RentRevision.lease_id == lease.id)).all()
        return revision

    return create


@pytest.fixture
def revision(session: Session, shared_data: Path, tmp_path: Path, new_revision) -> RentRevision:
    import_series(session, shared_data, tmp_path)
    revision = new_revision()
    assert (revision.due_on, revision.status, revision.new_rent) == (REVISION_ON, "proposed", REVISED)
    return revision


@pytest.fixture
def client_for(client: FlaskClient):
    def log_in(user):
        login_as(client, user)
        return client

    return log_in


def test_the_list_shows_each_section_and_is_audited(session, client_for, staff, revision) -> None:
    response = client_for(staff).get("/agence/revisions")
    assert response.status_code == 200
    page = text(response)
    assert f"Révision n° {revision.id}" in page and "512,40 € → 517,72 €" in page
    assert "Aucune révision en attente d'indice." in page and "Aucune révision décidée pour l'instant." in page
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "rent_revision.list")) is not None


def test_the_detail_shows_the_computation(client_for, staff, revision) -> None:
    response = client_for(staff).get(f"/agence/revisions/{revision.id}")
    assert response.status_code == 200
    page = text(response)
    assert "512,40 € × 146,68 / 145,17 = 517,72 € (tronqué au centime)" in page
    assert "2e trimestre 2025 : 146,68" in page and "2e trimestre 2024 : 145,17" in page
    assert "Appliquer et préparer le courrier" in page


def test_apply_fixes_the_date_stores_the_letter_and_downloads_it(app, session, client_for, staff, revision) -> None:
    client = client_for(staff)
    form = {"appliquer-notified_on": NOTIFIED_ON.isoformat()}
    response = client.post(f"/agence/revisions/{revision.id}/appliquer", data=form)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/agence/revisions/{revision.id}")
    session.refresh(revision)
    assert revision.status is RevisionStatus.APPLIED and revision.reviewed_by_id == staff.id
    # Notified on 20 June: the first due date (the 5th) after 15 and 20 June is 5 July 2026. No call was ever issued
    # for this lease and 5 July is past: the lease's rent is the revised one.
    assert (revision.applied_on, revision.effective_from, revision.lease.rent) == (
        NOTIFIED_ON,
        date(2026, 7, 5),
        REVISED,
    )
    letter = client.get(f"/agence/revisions/{revision.id}/courrier")
    assert letter.status_code == 200 and letter.mimetype == "application/pdf"
    with app.app_context():
        assert letter.data == storage.read(revision.document_sha256 or "")
    page = text(client.get(f"/agence/revisions/{revision.id}"))
    assert "Télécharger le courrier de révision (PDF)" in page and "à partir de l'échéance du 5 juillet 2026" in page
    actions = {entry.action for entry in session.scalars(select(AuditEntry)).all()}
    assert {"rent_revision.apply", "lease.rent_revised", "rent_revision.letter", "rent_revision.view"} <= actions


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Indiquez la date de notification."),
        ({"appliquer-notified_on": "32/13/2026"}, "Date de notification au ménage"),
        ({"appliquer-notified_on": "2099-01-01"}, "réputé avoir renoncé à la révision"),
    ],
)
def test_apply_with_bad_input_is_a_422_in_french(session, client_for, staff, revision, data, message) -> None:
    response = client_for(staff).post(f"/agence/revisions/{revision.id}/appliquer", data=data)
    assert response.status_code == 422
    assert message in text(response)
    session.refresh(revision)
    assert revision.status is RevisionStatus.PROPOSED and revision.document_sha256 is None


def test_set_aside_needs_a_reason(session, client_for, staff, revision) -> None:
    client = client_for(staff)
    refused = client.post(f"/agence/revisions/{revision.id}/ecarter", data={"ecarter-reason": " "})
    assert refused.status_code == 422 and "Indiquez pourquoi la révision n'est pas appliquée." in text(refused)
    response = client.post(
        f"/agence/revisions/{revision.id}/ecarter", data={"ecarter-reason": "Le propriétaire renonce."}
    )
    assert response.status_code == 302
    session.refresh(revision)
    assert revision.status is RevisionStatus.CANCELLED and revision.reviewed_by_id == staff.id
    assert "Le propriétaire renonce." in text(client.get(f"/agence/revisions/{revision.id}"))
    assert client.get(f"/agence/revisions/{revision.id}/courrier").status_code == 404  # no letter
    again = client.post(
        f"/agence/revisions/{revision.id}/appliquer", data={"appliquer-notified_on": NOTIFIED_ON.isoformat()}
    )
    assert again.status_code == 422 and "Seule une révision « à valider » peut être appliquée." in text(again)


def test_a_waiting_revision_is_recomputed_once_the_index_is_imported(
    session, shared_data, tmp_path, client_for, staff, new_revision
) -> None:
    import_series(session, shared_data, tmp_path, until=(2025, 1))  # 2025-T2 not imported
    revision = new_revision()
    client = client_for(staff)
    assert revision.status is RevisionStatus.WAITING_INDEX
    page = text(client.get("/agence/revisions"))
    assert "1 révision en attente de l’indice" in page and "IRL 2025-T2" in page
    still = client.post(f"/agence/revisions/{revision.id}/recalculer", follow_redirects=True)
    assert "L'indice nécessaire n'est toujours pas importé" in text(still)
    import_series(session, shared_data, tmp_path)
    response = client.post(f"/agence/revisions/{revision.id}/recalculer")
    assert response.status_code == 302
    session.refresh(revision)
    assert (revision.status, revision.new_rent) == (RevisionStatus.PROPOSED, REVISED)


def test_the_forms_need_the_csrf_token(client_for, staff, revision, csrf_enabled) -> None:
    client = client_for(staff)
    for action, data in (
        ("appliquer", {"appliquer-notified_on": NOTIFIED_ON.isoformat()}),
        ("ecarter", {"ecarter-reason": "x"}),
        ("recalculer", {}),
    ):
        assert client.post(f"/agence/revisions/{revision.id}/{action}", data=data).status_code == 400


def test_another_operators_revision_is_a_404(make: Factory, client_for, revision) -> None:
    other = make.staff(make.organisation(kind=OrganisationKind.ASSOCIATION))
    client = client_for(other)
    assert f"Révision n° {revision.id}" not in text(client.get("/agence/revisions"))
    base = f"/agence/revisions/{revision.id}"
    assert client.get(base).status_code == 404
    assert client.get(f"{base}/courrier").status_code == 404
    assert client.post(f"{base}/appliquer", data={"appliquer-notified_on": NOTIFIED_ON.isoformat()}).status_code == 404
    assert client.post(f"{base}/ecarter", data={"ecarter-reason": "x"}).status_code == 404
    assert client.post(f"{base}/recalculer").status_code == 404
    assert client.get("/agence/revisions/999999").status_code == 404
