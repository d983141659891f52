"""Household pages through the Flask client: intake form, the file (audit-logged), edit, park, close."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from agency_backoffice.models import Household, HouseholdStatus, ResourceKind, Sex
from passerelle.formatting import money
from passerelle.models import AuditEntry
from tests.conftest import login_as


def _form(**overrides: str) -> dict[str, str]:
    today = date.today()
    data = {
        "siao_reference": "SIAO-62-0042",
        "referred_on": today.isoformat(),
        "contact_name": "Awa Exemple",
        "situation": "emergency_shelter",
        "couple": "y",
        "members-0-kind": "adult",
        "members-0-birth_year": str(today.year - 35),
        "members-1-kind": "adult",
        "members-1-birth_year": str(today.year - 33),
        "members-2-kind": "child",
        "members-2-birth_year": str(today.year - 8),
        "members-2-sex": "M",
        "members-3-kind": "child",
        "members-3-birth_year": str(today.year - 10),
        "members-3-sex": "F",
        "resource_wages": "1 250,50",
        "resource_family_benefits": "150",
        "support_intensity": "none",
    }
    data.update(overrides)
    return data


def test_staff_registers_a_household_through_the_form(client, make, session):
    operator = make.organisation()
    staff = make.staff(operator)
    login_as(client, staff)
    response = client.post("/agence/menages/nouveau", data=_form())
    assert response.status_code == 302, response.get_data(as_text=True)
    household = session.scalar(select(Household).where(Household.siao_reference == "SIAO-62-0042"))
    assert household.operator_id == operator.id and household.couple
    assert [(m.adult, m.sex) for m in household.members] == [
        (True, None),
        (True, None),
        (False, Sex.MALE),
        (False, Sex.FEMALE),
    ]
    assert {r.kind: r.monthly_amount for r in household.resources} == {
        ResourceKind.WAGES: Decimal("1250.50"),
        ResourceKind.FAMILY_BENEFITS: Decimal("150"),
    }
    page = client.get(f"/agence/menages/{household.id}").get_data(as_text=True)
    assert "SIAO-62-0042" in page and money(Decimal("1400.50")) in page


def test_bad_referral_is_refused_in_french_and_saves_nothing(client, make, session):
    operator = make.organisation()
    login_as(client, make.staff(operator))
    # A child without sex and no adult at all.
    data = _form(**{"members-0-kind": "", "members-1-kind": "", "members-3-sex": ""})
    response = client.post("/agence/menages/nouveau", data=data)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "au moins un adulte" in body and "sexe de l&#39;enfant" in body
    assert session.scalar(select(Household).where(Household.siao_reference == "SIAO-62-0042")) is None


def test_duplicate_reference_is_refused(client, make):
    operator = make.organisation()
    make.household(operator, siao_reference="SIAO-62-0042")
    login_as(client, make.staff(operator))
    body = client.post("/agence/menages/nouveau", data=_form()).get_data(as_text=True)
    assert "existe déjà" in body


def test_every_view_of_a_file_is_audited_and_other_operators_get_404(client, make, session):
    operator, other = make.organisation(), make.organisation()
    household = make.household(operator)
    staff = make.staff(operator)
    login_as(client, staff)
    assert client.get(f"/agence/menages/{household.id}").status_code == 200
    assert client.get(f"/agence/menages/{household.id}/modifier").status_code == 200
    views = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "household.view", AuditEntry.object_id == str(household.id))
    ).all()
    assert [(v.actor_id, v.details["page"]) for v in views] == [(staff.id, "file"), (staff.id, "edit")]
    login_as(client, make.staff(other))
    assert client.get(f"/agence/menages/{household.id}").status_code == 404
    assert client.get("/agence/menages").get_data(as_text=True).count(household.siao_reference) == 0


def test_edit_park_and_close(client, make, session):
    operator = make.organisation()
    household = make.household(operator)
    login_as(client, make.staff(operator))
    form = _form(siao_reference=household.siao_reference, contact_name="Nouveau Nom")
    assert client.post(f"/agence/menages/{household.id}/modifier", data=form).status_code == 302
    session.expire_all()
    assert household.contact_name == "Nouveau Nom" and len(household.members) == 4
    client.post(f"/agence/menages/{household.id}/attente", data={"until": "2000-01-01"})
    session.expire_all()
    assert household.parked_until is None  # a past date is refused
    until = date(date.today().year + 1, 1, 15)
    client.post(f"/agence/menages/{household.id}/attente", data={"until": until.isoformat(), "reason": "Hospitalisé"})
    session.expire_all()
    assert household.parked_until == until
    client.post(f"/agence/menages/{household.id}/reprise")
    session.expire_all()
    assert household.parked_until is None
    client.post(f"/agence/menages/{household.id}/cloture", data={"reason": "Relogé par ailleurs"})
    session.expire_all()
    assert household.status is HouseholdStatus.CLOSED and household.closed_on == date.today()
