"""JSON API of the capture package: the territory's indicators (``GET /api/v1/indicators``).

Open to a logged-in metro user of that territory (session cookie). Aggregates only, as on the dashboard.
Partner tokens per organisation do not exist yet; when they do, a metropolis' token will be accepted here too.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Flask, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from capture.queries import indicators as queries
from capture.queries.indicator_json import dashboard_json
from passerelle.api import add_openapi, error_response
from passerelle.api_tokens import token_from_header
from passerelle.db import db, utcnow
from passerelle.extensions import csrf
from passerelle.models import OrganisationKind, Role

bp = Blueprint("capture_api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

PARIS = ZoneInfo("Europe/Paris")
EPCI_CODE = re.compile(r"^[0-9]{9}$")
FIRST_YEAR = 2018


def init_api(app: Flask) -> None:
    """Register the blueprint and describe it in the OpenAPI document."""
    app.register_blueprint(bp)
    add_openapi(app, paths=PATHS, schemas=SCHEMAS)


@bp.route("/indicators")
def indicators() -> ResponseReturnValue:
    organisation = None
    if request.headers.get("Authorization"):
        token = token_from_header(
            db.session, request.headers.get("Authorization"), scope="indicators:read", now=utcnow()
        )
        if token is None:
            return error_response(401, "Jeton d'API invalide, expiré, révoqué ou sans la portée « indicators:read ».")
        organisation = token.organisation
        if organisation.kind is not OrganisationKind.METROPOLIS:
            return error_response(403, "Accès réservé aux jetons d'une métropole.")
        db.session.commit()  # last use of the token
    elif not current_user.is_authenticated:
        return error_response(
            401,
            "Authentification requise : connectez-vous avec un compte de la métropole "
            "ou utilisez un jeton d'API (Authorization: Bearer …).",
        )
    elif current_user.role is not Role.METRO:
        return error_response(403, "Accès réservé aux comptes de la métropole.")
    else:
        organisation = current_user.organisation
    today = datetime.now(PARIS).date()
    territory_code = (request.args.get("territory") or "").strip()
    year_text = (request.args.get("year") or "").strip()
    errors: dict[str, list[str]] = {}
    if not EPCI_CODE.match(territory_code):
        errors["territory"] = ["Code EPCI (Siren) du territoire attendu : 9 chiffres, par exemple 200033579."]
    if not year_text.isdigit() or not FIRST_YEAR <= int(year_text) <= today.year + 5:
        errors["year"] = [f"Année attendue entre {FIRST_YEAR} et {today.year + 5}, par exemple {today.year}."]
    if errors:
        return error_response(422, "Paramètres invalides.", errors)
    own = organisation.territory if organisation is not None else None
    if own is None or own.epci_code != territory_code:
        return error_response(403, "Ce territoire n'est pas celui de votre organisation.")
    session = db.session
    data = queries.build_dashboard(
        session,
        queries.territory_scope(session, own),
        int(year_text),
        today=today,
        cache=queries.inputs_cache(current_app),
    )
    return jsonify(dashboard_json(data))


_ERROR = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
_COUNT_LINE = {
    "type": "object",
    "required": ["key", "label", "captured"],
    "properties": {
        "key": {"type": "string"},
        "label": {"type": "string"},
        "captured": {"type": "integer", "minimum": 0},
        "target": {"type": ["integer", "null"]},
        "new_cases": {"type": "integer", "minimum": 0},
    },
}
RATE = {"type": ["number", "null"], "minimum": 0, "maximum": 1, "description": "Taux (0.35 = 35 %) ; null sans base"}

SCHEMAS: dict[str, Any] = {
    "IndicatorLine": _COUNT_LINE,
    "Indicators": {
        "type": "object",
        "description": "Indicateurs de captation d'un territoire pour une année : agrégats seulement, aucune "
        "donnée personnelle. Définitions : page « Tableau de bord » de la métropole.",
        "required": ["territory", "year", "status", "captured", "funnel"],
        "properties": {
            "territory": {
                "type": "object",
                "properties": {"epci_code": {"type": "string"}, "name": {"type": "string"}},
            },
            "year": {"type": "integer"},
            "status": {"type": "string", "enum": ["past", "current", "future"]},
            "as_of": {"type": ["string", "null"], "format": "date"},
            "captured": {
                "type": "object",
                "description": "Logements captés : date du passage à « accord signé »",
                "properties": {
                    "total": {"type": "integer"},
                    "target": {"type": ["integer", "null"]},
                    "progress": RATE,
                    "by_month": {"type": "array", "items": {"type": "object"}},
                },
            },
            "projection": {
                "type": ["object", "null"],
                "description": "Projection au 31 décembre : captés + rythme × jours restants + dossiers en cours "
                "pondérés par leur probabilité d'aboutir",
            },
            "mandate_share": {"type": "object", "properties": {"value": RATE, "target": RATE}},
            "by_operator": {"type": "array", "items": {"$ref": "#/components/schemas/IndicatorLine"}},
            "by_mode": {"type": "array", "items": {"$ref": "#/components/schemas/IndicatorLine"}},
            "by_level": {"type": "array", "items": {"$ref": "#/components/schemas/IndicatorLine"}},
            "by_commune": {"type": "array", "items": {"type": "object"}},
            "by_source": {"type": "array", "items": {"$ref": "#/components/schemas/IndicatorLine"}},
            "campaigns": {"type": "array", "items": {"type": "object"}},
            "funnel": {"type": "object"},
            "lost": {"type": "array", "items": {"type": "object"}},
            "vacancy_before_capture": {"type": "object"},
        },
    },
}

PATHS: dict[str, Any] = {
    "/api/v1/indicators": {
        "get": {
            "summary": "Indicateurs de captation d'un territoire pour une année (compte de la métropole)",
            "description": "Authentification : jeton d'API de la métropole (en-tête `Authorization: Bearer …`, "
            "portée `indicators:read`, créé par `passerelle api-token create`) ou session d'un utilisateur de la "
            "métropole du territoire. Agrégats seulement : aucune donnée personnelle.",
            "security": [{"bearer": []}, {}],
            "parameters": [
                {
                    "name": "territory",
                    "in": "query",
                    "required": True,
                    "schema": {"type": "string", "pattern": "^[0-9]{9}$"},
                    "description": "Code EPCI (Siren) du territoire",
                },
                {
                    "name": "year",
                    "in": "query",
                    "required": True,
                    "schema": {"type": "integer", "minimum": FIRST_YEAR},
                },
            ],
            "responses": {
                "200": {
                    "description": "Indicateurs",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Indicators"}}},
                },
                "401": {"description": "Non connecté", **_ERROR},
                "403": {"description": "Compte d'un autre rôle ou d'un autre territoire", **_ERROR},
                "422": {"description": "Paramètres invalides", **_ERROR},
            },
        }
    },
}
