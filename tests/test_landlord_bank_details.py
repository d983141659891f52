"""The owner's bank details: a valid IBAN is stored compact, a wrong one refused in French (nothing changes), the
audit log keeps only its last four characters, and an owner without a profile is sent to complete it first."""

from __future__ import annotations

from sqlalchemy import select

from passerelle.models import AuditEntry, Role
from tests.conftest import login_as


def test_owner_records_a_valid_iban(client, make, session) -> None:  # type: ignore[no-untyped-def]
    user = make.user(Role.LANDLORD)
    landlord = make.landlord(user)
    login_as(client, user)
    assert client.get("/proprietaire/coordonnees-bancaires").status_code == 200
    response = client.post(
        "/proprietaire/coordonnees-bancaires",
        data={"account_holder": "Claire Martin", "iban": "fr76 3000 6000 0112 3456 7890 189", "bic": "agrifrpp"},
    )
    assert response.status_code == 302
    session.refresh(landlord)
    assert (landlord.iban, landlord.bic, landlord.account_holder) == (
        "FR7630006000011234567890189",
        "AGRIFRPP",
        "Claire Martin",
    )
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "landlord.bank_details"))
    assert entry is not None and entry.details == {"iban_end": "0189"}


def test_a_wrong_iban_or_bic_is_refused_in_french_and_changes_nothing(client, make, session) -> None:  # type: ignore[no-untyped-def]
    user = make.user(Role.LANDLORD)
    landlord = make.landlord(user)
    login_as(client, user)
    # One digit changed in the example IBAN: the mod-97 check fails.
    response = client.post(
        "/proprietaire/coordonnees-bancaires",
        data={"account_holder": "Claire Martin", "iban": "FR7630006000011234567890188", "bic": ""},
    )
    assert response.status_code == 422
    assert "Cet IBAN n&#39;est pas valide" in response.get_data(as_text=True)
    response = client.post(
        "/proprietaire/coordonnees-bancaires",
        data={"account_holder": "Claire Martin", "iban": "FR7630006000011234567890189", "bic": "XX"},
    )
    assert response.status_code == 422 and "Ce BIC n&#39;est pas valide" in response.get_data(as_text=True)
    response = client.post("/proprietaire/coordonnees-bancaires", data={"account_holder": "", "iban": ""})
    assert response.status_code == 422 and "Indiquez l&#39;IBAN du compte." in response.get_data(as_text=True)
    session.refresh(landlord)
    assert landlord.iban is None


def test_an_owner_without_a_profile_completes_it_first(client, make) -> None:  # type: ignore[no-untyped-def]
    user = make.user(Role.LANDLORD)
    login_as(client, user)
    response = client.get("/proprietaire/coordonnees-bancaires")
    assert response.status_code == 302 and response.location.startswith("/proprietaire/profil")
