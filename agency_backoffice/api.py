"""JSON API of the back office: an operator's systems send SIAO referrals (``POST /api/v1/households``).

Open only to an operator's API token with the ``households:write`` scope (``passerelle api-token create``);
a session cookie is never accepted here, so the endpoint needs no CSRF token. The household is registered
for the token's organisation, through the same checks as the form and the CSV import. The body is read by
``agency_backoffice.rules.household_json``.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from flask import Blueprint, Flask, jsonify, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from agency_backoffice.models import Household, Need, PriorityFlag, ResourceKind, Situation, SupportIntensity
from agency_backoffice.operations.households import HouseholdError, register_household
from agency_backoffice.rules.household_import import TEXT_LIMITS
from agency_backoffice.rules.household_json import REQUIRED, household_from_json
from passerelle.api import add_openapi, error_response
from passerelle.api_tokens import token_from_header
from passerelle.audit import audit
from passerelle.db import db, utcnow
from passerelle.extensions import csrf
from passerelle.formatting import PARIS

bp = Blueprint("agency_api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

SCOPE = "households:write"
INVALID = "Orientation refusée : corrigez les problèmes listés."


def init_api(app: Flask) -> None:
    """Register the blueprint and describe it in the OpenAPI document."""
    app.register_blueprint(bp)
    add_openapi(app, paths=PATHS, schemas=SCHEMAS)


@bp.route("/households", methods=["POST"])
def household_create() -> ResponseReturnValue:
    """Register one referral for the token's operator."""
    session = db.session
    token = token_from_header(session, request.headers.get("Authorization"), scope=SCOPE, now=utcnow())
    if token is None:
        response, status = error_response(
            401, f"Jeton d'API manquant, invalide, expiré, révoqué ou sans la portée « {SCOPE} »."
        )
        response.headers["WWW-Authenticate"] = 'Bearer realm="passerelle"'
        return response, status
    operator = token.organisation
    if not operator.kind.is_operator:
        return error_response(403, "Accès réservé aux jetons d'un opérateur (AIS ou association agréée).")
    session.commit()  # last use of the token
    try:
        payload = json.loads(request.get_data(), parse_float=Decimal)  # money never goes through float
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        return error_response(400, "Le corps de la requête doit être un objet JSON (Content-Type: application/json).")
    data, problems = household_from_json(payload)
    if data is None:
        return _problems(problems)
    reference = data.siao_reference.strip()
    if (existing := _existing(session, operator.id, reference)) is not None:
        return _conflict(reference, existing)
    try:
        household = register_household(session, operator, data, by=None, today=datetime.now(PARIS).date(), source="api")
    except HouseholdError as error:
        session.rollback()
        return _problems(error.problems)
    except IntegrityError:  # the same reference sent twice at once: the database's unique key decides
        session.rollback()
        if (existing := _existing(session, operator.id, reference)) is None:
            raise
        return _conflict(reference, existing)
    # Which partner system sent the file: the registration's own entry has no user.
    audit(
        session, actor=None, action="api_token.use", object_type="api_token", object_id=token.id, household=household.id
    )
    session.commit()
    url = url_for("agency_backoffice.household_detail", household_id=household.id, _external=True)
    response = jsonify(id=household.id, siao_reference=household.siao_reference, url=url)
    response.headers["Location"] = url
    return response, 201


def _existing(session: Session, operator_id: int, reference: str) -> int | None:
    return session.scalar(
        select(Household.id).where(Household.operator_id == operator_id, Household.siao_reference == reference)
    )


def _problems(problems: list[str]) -> ResponseReturnValue:
    return jsonify(error=INVALID, problems=problems), 422


def _conflict(reference: str, household_id: int) -> ResponseReturnValue:
    url = url_for("agency_backoffice.household_detail", household_id=household_id, _external=True)
    message = f"Référence SIAO : un dossier « {reference} » existe déjà ; il n'a pas été modifié."
    return jsonify(error=message, id=household_id, url=url), 409


# --- OpenAPI -----------------------------------------------------------------------------------------------


def _codes(kind: type[Enum]) -> dict[str, Any]:
    return {"type": "string", "enum": [str(member.value) for member in kind]}


_DATE = {"type": "string", "format": "date"}
_AMOUNT = {"type": ["number", "string"], "description": "Euros par mois, 2 décimales au plus (« 1 234,56 » accepté)"}
_ERROR = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
_TEXT_DESCRIPTIONS = {
    "contact_name": "Nom de la personne de référence du ménage",
    "contact_phone": "Son téléphone",
    "contact_email": "Son adresse e-mail",
    "diagnostic_conclusion": "Conclusion du diagnostic social",
    "support_kind": "Type d'accompagnement (AVDL, ASLL…)",
    "referent_name": "Référent social",
    "referent_organisation": "Structure du référent",
    "referent_email": "E-mail du référent",
    "referent_phone": "Téléphone du référent",
    "consent_scope": "Périmètre du consentement du ménage",
}
SCHEMAS: dict[str, Any] = {
    "HouseholdReferral": {
        "type": "object",
        "description": "Une orientation du SIAO. Données minimales (RGPD art. 5) : un champ inconnu est refusé.",
        "required": list(REQUIRED),
        "additionalProperties": False,
        "properties": {
            "siao_reference": {
                "type": "string",
                "maxLength": 40,
                "description": "Référence SIAO, unique par opérateur",
            },
            "referred_on": {**_DATE, "description": "Date d'orientation (pas dans le futur)"},
            "situation": {**_codes(Situation), "description": "Situation actuelle"},
            "situation_since": _DATE,
            "members": {
                "type": "array",
                "minItems": 1,
                "maxItems": 15,
                "description": "Au moins un adulte ; le sexe de chaque enfant est requis (norme d'occupation)",
                "items": {
                    "type": "object",
                    "required": ["adult", "birth_year"],
                    "properties": {
                        "adult": {"type": "boolean"},
                        "birth_year": {"type": "integer", "minimum": 1900},
                        "birth_month": {"type": ["integer", "null"], "minimum": 1, "maximum": 12},
                        "sex": {"type": ["string", "null"], "enum": ["F", "M", None]},
                    },
                },
            },
            "couple": {"type": "boolean", "default": False},
            "resources": {
                "type": "object",
                "description": 'Ressources mensuelles par type, par exemple {"wages": 1234.56, "rsa": 300}',
                "propertyNames": _codes(ResourceKind),
                "additionalProperties": _AMOUNT,
            },
            "tax_income": {**_AMOUNT, "description": "Revenu fiscal de référence (année N-2), en euros"},
            "tax_income_year": {"type": "integer"},
            "disability_card": {"type": "boolean", "default": False},
            "priority_flags": {"type": "array", "items": _codes(PriorityFlag)},
            "needs": {"type": "array", "items": _codes(Need)},
            "prefers_low_floor": {"type": "boolean", "default": False},
            "wished_communes": {"type": "array", "items": {"type": "string", "pattern": "^[0-9][0-9AB][0-9]{3}$"}},
            "places": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["kind", "commune"],
                    "properties": {
                        "kind": {"type": "string", "enum": ["work", "school", "care", "family", "other"]},
                        "label": {"type": "string", "maxLength": 120},
                        "commune": {"type": "string", "description": "Code INSEE"},
                    },
                },
            },
            "needed_by": {**_DATE, "description": "Date à laquelle un logement est nécessaire"},
            "support_intensity": {**_codes(SupportIntensity), "default": "none"},
            "consent_on": {**_DATE, "description": "Consentement du ménage (requis avec un accompagnement)"},
            **{
                name: {"type": "string", "maxLength": TEXT_LIMITS[name], "description": description}
                for name, description in _TEXT_DESCRIPTIONS.items()
            },
        },
    },
    "HouseholdCreated": {
        "type": "object",
        "required": ["id", "siao_reference", "url"],
        "properties": {"id": {"type": "integer"}, "siao_reference": {"type": "string"}, "url": {"type": "string"}},
    },
    "HouseholdProblems": {
        "type": "object",
        "required": ["error", "problems"],
        "properties": {
            "error": {"type": "string"},
            "problems": {"type": "array", "items": {"type": "string"}, "description": "Un message par problème"},
        },
    },
}

PATHS: dict[str, Any] = {
    "/api/v1/households": {
        "post": {
            "summary": "Enregistrer un ménage orienté par le SIAO (opérateur)",
            "description": f"Jeton d'API d'un opérateur, portée `{SCOPE}` (`passerelle api-token create`). Le "
            "ménage est enregistré pour l'organisation du jeton ; les contrôles sont ceux du formulaire.",
            "security": [{"bearer": []}],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HouseholdReferral"}}},
            },
            "responses": {
                "201": {
                    "description": "Ménage enregistré (en-tête Location : son dossier)",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HouseholdCreated"}}},
                },
                "400": {"description": "Corps absent ou qui n'est pas un objet JSON", **_ERROR},
                "401": {"description": "Jeton manquant, invalide, expiré, révoqué ou sans la portée", **_ERROR},
                "403": {"description": "Jeton d'une organisation qui n'est pas un opérateur", **_ERROR},
                "409": {"description": "Un dossier porte déjà cette référence SIAO (id et url donnés)", **_ERROR},
                "422": {
                    "description": "Orientation invalide : la liste des problèmes, en français",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HouseholdProblems"}}},
                },
            },
        }
    },
}
