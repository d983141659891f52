"""POST /api/v1/households: an operator's token registers SIAO referrals for that operator, and only it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from agency_backoffice.models import Household, HouseholdStatus, Need, PriorityFlag, ResourceKind, Sex, Situation
from agency_backoffice.rules.household_json import FIELDS
from passerelle.api_tokens import issue_token, revoke_token
from passerelle.models import AuditEntry, Organisation, OrganisationKind, Role, User
from tests.conftest import login_as
from tests.factories import Factory

URL = "/api/v1/households"


@dataclass
class World:
    operator_1: Organisation
    operator_2: Organisation
    secret_1: str
    secret_2: str
    metro_secret: str
    staff_1: User
    staff_2: User


@pytest.fixture
def world(session: Session, make: Factory) -> World:
    for insee, name in (("62041", "Arras"), ("62065", "Achicourt")):
        make.commune(insee, name)
    territory = make.territory()
    operator_1 = make.organisation(kind=OrganisationKind.AIS, territory=territory)
    operator_2 = make.organisation(kind=OrganisationKind.ASSOCIATION, territory=territory)
    metropolis = make.organisation(kind=OrganisationKind.METROPOLIS, territory=territory)

    def secret(organisation: Organisation) -> str:
        return issue_token(session, organisation=organisation, name="SI", scopes=["households:write"], by=None)[1]

    return World(
        operator_1,
        operator_2,
        secret(operator_1),
        secret(operator_2),
        secret(metropolis),
        make.staff(operator_1),
        make.staff(operator_2),
    )


def body(**fields: Any) -> dict[str, Any]:
    today = date.today()
    values: dict[str, Any] = {
        "siao_reference": "SIAO-API-1",
        "referred_on": (today - timedelta(days=3)).isoformat(),
        "situation": "hotel",
        "members": [
            {"adult": True, "birth_year": today.year - 35, "birth_month": 4},
            {"adult": False, "birth_year": today.year - 6, "sex": "F"},
        ],
    }
    values.update(fields)
    return values


def post(client: FlaskClient, secret: str | None, payload: Any) -> Any:
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    data = payload if isinstance(payload, str) else json.dumps(payload)
    return client.post(URL, data=data, headers=headers, content_type="application/json")


def count(session: Session, operator: Organisation) -> int:
    return session.scalar(select(func.count(Household.id)).where(Household.operator_id == operator.id)) or 0


def test_a_full_referral_is_saved_as_sent(client: FlaskClient, session: Session, world: World) -> None:
    today = date.today()
    payload = body(
        couple=False,
        situation_since=(today - timedelta(days=200)).isoformat(),
        # 1234.56 in JSON text: read as a Decimal, never through a float; the string form is French.
        resources={"wages": 1234.56, "family_benefits": "98,70", "rsa": 0},
        tax_income="10500",
        tax_income_year=today.year - 2,
        priority_flags=["dalo", "domestic_violence"],
        needs=["pets"],
        wished_communes=["62041", "62065"],
        places=[{"kind": "school", "label": "École Jean Moulin", "commune": "62065"}],
        contact_name="Alex Exemple",
        contact_email="alex@exemple.fr",
        support_intensity="light",
        referent_name="Sam Référent",
        consent_on=today.isoformat(),
    )
    response = post(client, world.secret_1, payload)
    assert response.status_code == 201, response.get_json()
    answer = response.get_json()
    household = session.get(Household, answer["id"])
    assert household is not None and household.operator_id == world.operator_1.id
    assert answer["siao_reference"] == "SIAO-API-1"
    assert answer["url"].endswith(f"/agence/menages/{household.id}") and response.headers["Location"] == answer["url"]
    assert household.situation is Situation.HOTEL and household.status is HouseholdStatus.ACTIVE
    assert [(m.adult, m.birth_year, m.birth_month, m.sex) for m in household.members] == [
        (True, today.year - 35, 4, None),
        (False, today.year - 6, None, Sex.FEMALE),
    ]
    resources = {resource.kind: resource.monthly_amount for resource in household.resources}
    assert resources == {ResourceKind.WAGES: Decimal("1234.56"), ResourceKind.FAMILY_BENEFITS: Decimal("98.70")}
    assert household.tax_income == Decimal("10500")
    assert set(household.priority_flags) == {PriorityFlag.DALO.value, PriorityFlag.DOMESTIC_VIOLENCE.value}
    assert household.needs == [Need.PETS.value] and household.wished_communes == ["62041", "62065"]
    assert household.places == [{"kind": "school", "label": "École Jean Moulin", "commune": "62065"}]
    assert (household.contact_name, household.referent_name, household.consent_on) == (
        "Alex Exemple",
        "Sam Référent",
        today,
    )
    registered = session.scalar(select(AuditEntry).where(AuditEntry.action == "household.register"))
    assert registered is not None and registered.actor_id is None and registered.details["source"] == "api"
    used = session.scalar(select(AuditEntry).where(AuditEntry.action == "api_token.use"))
    assert used is not None and used.details["household"] == household.id


def test_each_operator_token_writes_to_its_own_operator_only(
    client: FlaskClient, session: Session, world: World
) -> None:
    first = post(client, world.secret_1, body())
    second = post(client, world.secret_2, body())  # the same SIAO reference, sent to another operator
    assert (first.status_code, second.status_code) == (201, 201)
    assert session.get(Household, first.get_json()["id"]).operator_id == world.operator_1.id  # type: ignore[union-attr]
    assert session.get(Household, second.get_json()["id"]).operator_id == world.operator_2.id  # type: ignore[union-attr]
    assert (count(session, world.operator_1), count(session, world.operator_2)) == (1, 1)
    # Operator 2's staff cannot open operator 1's household (nor download its data).
    login_as(client, world.staff_2)
    household_1 = first.get_json()["id"]
    assert client.get(f"/agence/menages/{household_1}").status_code == 404
    assert client.get(f"/agence/menages/{household_1}/export").status_code == 404


def test_an_existing_reference_is_a_conflict(client: FlaskClient, session: Session, world: World) -> None:
    created = post(client, world.secret_1, body())
    again = post(client, world.secret_1, body(situation="street", siao_reference="  SIAO-API-1 "))
    assert again.status_code == 409
    assert again.get_json()["id"] == created.get_json()["id"] and "existe déjà" in again.get_json()["error"]
    assert count(session, world.operator_1) == 1
    assert session.get(Household, created.get_json()["id"]).situation is Situation.HOTEL  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"members": [{"adult": False, "birth_year": 2018}]}, "Composition : au moins un adulte."),
        ({"referred_on": "2999-01-01"}, "Date d'orientation : elle ne peut pas être dans le futur."),
        ({"referred_on": "02/11/2026"}, "referred_on : date invalide « 02/11/2026 » (attendu AAAA-MM-JJ)."),
        ({"situation": "à la rue"}, "situation : valeur inconnue « à la rue »"),
        ({"wished_communes": ["99999"]}, "Communes : code(s) INSEE inconnu(s) : 99999."),
        ({"resources": {"wages": 12.345}}, "resources.wages : montant invalide « 12.345 »"),
        ({"resources": {"salary": 100}}, "resources.salary : valeur inconnue « salary »"),
        ({"members": [{"adult": "oui", "birth_year": 1980}]}, "members[0].adult : true ou false attendu."),
        ({"contact_email": "pas-une-adresse"}, "contact_email : adresse e-mail invalide"),
        ({"contact_name": "x" * 201}, "contact_name : texte trop long (201 caractères, 200 au plus)"),
        ({"support_intensity": "medium"}, "Accompagnement : l'accompagnement repose sur l'adhésion libre"),
        ({"nom_naissance": "Dupont"}, "nom_naissance : champ inconnu."),
        ({"siao_reference": None}, "siao_reference : obligatoire."),
    ],
)
def test_invalid_referrals_get_french_problems(
    client: FlaskClient, session: Session, world: World, changes: dict[str, Any], problem: str
) -> None:
    response = post(client, world.secret_1, body(**changes))
    assert response.status_code == 422
    problems = response.get_json()["problems"]
    assert any(message.startswith(problem) for message in problems), problems
    assert count(session, world.operator_1) == 0


def test_body_must_be_a_json_object(client: FlaskClient, world: World) -> None:
    for payload in ("pas du json", "[1, 2]", ""):
        response = post(client, world.secret_1, payload)
        assert response.status_code == 400 and "objet JSON" in response.get_json()["error"]


def test_tokens_are_checked_before_anything(client: FlaskClient, session: Session, make: Factory, world: World) -> None:
    assert post(client, None, body()).status_code == 401
    missing = post(client, "pas_inconnu", body())
    assert missing.status_code == 401 and missing.headers["WWW-Authenticate"].startswith("Bearer")
    _token, read_only = issue_token(
        session, organisation=world.operator_1, name="Lecture", scopes=["indicators:read"], by=None
    )
    assert post(client, read_only, body()).status_code == 401  # lacks the households:write scope
    revoked, revoked_secret = issue_token(
        session, organisation=world.operator_1, name="Ancien", scopes=["households:write"], by=None
    )
    revoke_token(session, revoked, by=None)
    assert post(client, revoked_secret, body()).status_code == 401
    refused = post(client, world.metro_secret, body())
    assert refused.status_code == 403 and "opérateur" in refused.get_json()["error"]
    # A logged-in user's session cookie is not a way in, whatever the role: only tokens are.
    for user in (world.staff_1, make.user(Role.ADMIN), make.metro_user()):
        login_as(client, user)
        assert post(client, None, body()).status_code == 401
        assert client.post(URL, data={}).status_code == 401  # an empty form post, as the permission matrix sends
    assert count(session, world.operator_1) == 0


def test_no_csrf_token_needed_with_a_bearer_token(client: FlaskClient, world: World, csrf_enabled: None) -> None:
    assert post(client, world.secret_1, body()).status_code == 201


def test_openapi_describes_exactly_the_accepted_fields(client: FlaskClient, app: Flask) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/api/v1/households"]["post"]
    assert set(operation["responses"]) == {"201", "400", "401", "403", "409", "422"}
    schema = document["components"]["schemas"]["HouseholdReferral"]
    assert set(schema["properties"]) == set(FIELDS)
    assert set(schema["properties"]["resources"]["propertyNames"]["enum"]) == {kind.value for kind in ResourceKind}
    assert set(schema["properties"]["situation"]["enum"]) == {situation.value for situation in Situation}
    assert (
        "households:write" in app.extensions["passerelle.openapi"]["paths"]["/api/v1/households"]["post"]["description"]
    )
