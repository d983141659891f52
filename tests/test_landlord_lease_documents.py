"""The owner's space shows the documents they are a party to, on their own units only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from agency_backoffice.models import LeaseDocumentKind
from capture.models import IMLMode
from passerelle.models import AuditEntry, OrganisationKind, Role
from tests.conftest import login_as


@pytest.fixture(autouse=True)
def context(app: Flask, parameters: None) -> Iterator[None]:
    with app.app_context():
        yield


def _owner_with_lease(make, mode, status="active"):  # type: ignore[no-untyped-def]
    operator = make.organisation(kind=OrganisationKind.ASSOCIATION)
    staff = make.staff(operator)
    user = make.user(Role.LANDLORD)
    landlord = make.landlord(user)
    lease = make.lease(operator, by=staff, mode=mode, landlord=landlord, status=status)
    return user, lease


def _document(lease, kind):  # type: ignore[no-untyped-def]
    return next(d for d in lease.documents if d.kind is kind)


def test_under_mandate_the_owner_downloads_their_lease_and_guarantee_summary(client, make, session):
    user, lease = _owner_with_lease(make, IMLMode.MANDATE)
    login_as(client, user)
    home = client.get("/proprietaire/").get_data(as_text=True)
    assert "Mes locations et garanties" in home and "Bail d&#39;habitation" in home
    for kind in (LeaseDocumentKind.LEASE, LeaseDocumentKind.GUARANTEE_SUMMARY):
        response = client.get(f"/proprietaire/documents/{_document(lease, kind).id}")
        assert response.status_code == 200 and response.data.startswith(b"%PDF")
        assert response.headers["Content-Type"] == "application/pdf"
    assert session.query(AuditEntry).filter_by(action="lease_document.download", actor_id=user.id).count() == 2


def test_under_sous_location_the_owner_gets_the_summary_but_never_the_sublease(client, make):
    user, lease = _owner_with_lease(make, IMLMode.BAIL_GLISSANT)
    login_as(client, user)
    home = client.get("/proprietaire/").get_data(as_text=True)
    assert "Convention tripartite de bail glissant" in home
    assert "Contrat de sous-location" not in home
    assert "même si le logement est vide" in home
    summary = _document(lease, LeaseDocumentKind.GUARANTEE_SUMMARY)
    assert client.get(f"/proprietaire/documents/{summary.id}").status_code == 200
    assert client.get(f"/proprietaire/documents/{_document(lease, LeaseDocumentKind.TRIPARTITE).id}").status_code == 200
    # The sub-lease is between the association and the household: not the owner's document.
    assert client.get(f"/proprietaire/documents/{_document(lease, LeaseDocumentKind.SUBLEASE).id}").status_code == 404


def test_another_owner_and_drafts_get_404(client, make):
    _, lease = _owner_with_lease(make, IMLMode.MANDATE)
    _, draft = _owner_with_lease(make, IMLMode.MANDATE, status="draft")
    login_as(client, draft.landlord.user)
    assert client.get(f"/proprietaire/documents/{_document(lease, LeaseDocumentKind.LEASE).id}").status_code == 404
    assert client.get(f"/proprietaire/documents/{_document(draft, LeaseDocumentKind.LEASE).id}").status_code == 404
    assert "Mes locations et garanties" not in client.get("/proprietaire/").get_data(as_text=True)
