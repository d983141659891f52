"""Public JSON API of the landlord portal: the incentives simulator (``POST /api/v1/simulations``)."""

from __future__ import annotations

from typing import Any, cast

from flask import Blueprint, Flask, current_app, request
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session
from werkzeug.local import LocalProxy

from landlord_portal import simulation
from passerelle.api import add_openapi, error_response, public_rate_limit
from passerelle.db import db
from passerelle.extensions import csrf, limiter

bp = Blueprint("landlord_api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
CACHE_EXTENSION = "landlord_portal.simulator_cache"
DEFAULT_CACHE_SECONDS = 60


def init_api(app: Flask) -> None:
    """Register the blueprint and describe it in the OpenAPI document."""
    app.register_blueprint(bp)
    add_openapi(app, paths=PATHS, schemas=SCHEMAS)


def simulator_cache(app: Flask) -> simulation.ReferenceCache | None:
    """The app's in-process cache of the simulator's reference data (``SIMULATOR_CACHE_SECONDS``).

    Default 60 s; off under tests (``TESTING``) so that each test reads its own rows; 0 turns it off.
    """
    ttl = float(app.config.get("SIMULATOR_CACHE_SECONDS", 0 if app.testing else DEFAULT_CACHE_SECONDS))
    if ttl <= 0:
        return None
    cache: simulation.ReferenceCache | None = app.extensions.get(CACHE_EXTENSION)
    if cache is None or cache.ttl != ttl:
        cache = app.extensions[CACHE_EXTENSION] = simulation.ReferenceCache(ttl)
    return cache


@bp.route("/simulations", methods=["POST"])
@limiter.limit(public_rate_limit)
def simulation_create() -> ResponseReturnValue:
    """Simulate every option for a unit; nothing is stored (the simulator page stores its runs)."""
    payload = request.get_json(silent=True, force=True)
    if not isinstance(payload, dict):
        return error_response(
            400,
            "Le corps de la requête doit être un objet JSON (Content-Type: application/json).",
            {"body": ['Objet JSON attendu, par exemple {"commune_insee": "62041", …}.']},
        )
    cache = simulator_cache(current_app)
    # Opened on first use only: with the reference data cached, most calls never touch the database.
    session = cast(Session, LocalProxy(lambda: db.session))
    prepared, errors = simulation.prepare(session, payload, cache)
    if prepared is None:
        return error_response(422, simulation.INVALID, errors)
    # The same document as ``run_simulation`` gives, written once as compact JSON text (~30 kB).
    body = simulation.result_to_text(simulation.compute(session, prepared, cache))
    return current_app.response_class(body, mimetype="application/json")


# --- OpenAPI -----------------------------------------------------------------------------------------------

MONEY = {"type": "number", "description": "Euros, arrondis au centime"}
NULLABLE_MONEY = {
    "type": ["number", "null"],
    "description": "Euros, arrondis au centime ; null si non calculé",
}
RATE = {"type": "number", "minimum": 0, "maximum": 1, "description": "Taux (0.15 = 15 %)"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


REQUEST = {
    "type": "object",
    "required": ["commune_insee", "surface_habitable_m2", "dpe_class"],
    "description": "Les champs inconnus sont ignorés. Les nombres peuvent aussi être envoyés en texte (« 45,5 »).",
    "properties": {
        "commune_insee": {"type": "string", "pattern": "^[0-9][0-9AB][0-9]{3}$", "example": "62041"},
        "surface_habitable_m2": {"type": "number", "exclusiveMinimum": 0, "maximum": 1000, "example": 45},
        "annexes_m2": {
            "type": "number",
            "minimum": 0,
            "maximum": 500,
            "default": 0,
            "description": "Annexes à l'usage exclusif du locataire (cave, balcon…)",
        },
        "dpe_class": {"type": "string", "enum": ["A", "B", "C", "D", "E", "F", "G"]},
        "market_rent_m2": {
            "type": "number",
            "exclusiveMinimum": 0,
            "maximum": 100,
            "description": "Loyer de marché de référence en €/m² par mois, hors charges. Absent : valeur de "
            "la carte des loyers de la commune, et le résultat est une estimation.",
        },
        "asked_rent_monthly": {
            "type": "number",
            "exclusiveMinimum": 0,
            "description": "Loyer que le propriétaire demanderait sur le marché (hors charges)",
        },
        "charges_monthly": {"type": "number", "minimum": 0, "default": 0},
        "marginal_tax_rate": {
            "type": "number",
            "enum": [0, 0.11, 0.30, 0.41, 0.45],
            "default": 0.30,
            "description": "Taux marginal d'imposition du foyer (valeurs du paramètre simulator.marginal_tax_rates)",
        },
        "property_tax_yearly": {"type": "number", "minimum": 0, "default": 0},
        "insurance_yearly": {"type": "number", "minimum": 0, "default": 0},
        "vacancy_months_per_year": {
            "type": "number",
            "minimum": 0,
            "maximum": 12,
            "description": "Vacance supposée sans intermédiaire (défaut : paramètre "
            "simulator.market.vacancy_months_per_year)",
        },
        "unpaid_rent_rate": {
            "type": "number",
            "minimum": 0,
            "maximum": 1,
            "description": "Part des loyers perdue en impayés sans intermédiaire (défaut : paramètre "
            "simulator.market.unpaid_rent_rate)",
        },
        "vacant_months": {
            "type": "integer",
            "minimum": 0,
            "description": "Depuis combien de mois le logement est vide (conditions de certaines primes locales)",
        },
        "date": {
            "type": "string",
            "format": "date",
            "description": "Date des paramètres (défaut : aujourd'hui, heure de Paris)",
        },
    },
}

OPTION = {
    "type": "object",
    "required": [
        "key",
        "level",
        "mode",
        "label",
        "eligible",
        "reasons",
        "rent_cap_monthly",
        "rent_monthly",
        "gross_rent_yearly",
        "tax_reduction_rate",
        "tax_reduction_yearly",
        "anah_premium",
        "local_premiums",
        "management_fees_yearly",
        "guaranteed",
        "income_tax_and_levies_yearly",
        "net_income_yearly",
        "net_income_over_commitment",
        "tenant_income_ceiling",
    ],
    "properties": {
        "key": {
            "type": "string",
            "enum": [
                "market",
                "loc1_direct",
                "loc1_mandate",
                "loc1_sublease",
                "loc2_direct",
                "loc2_mandate",
                "loc2_sublease",
                "loc3_direct",
                "loc3_mandate",
                "loc3_sublease",
            ],
            "description": "sublease couvre aussi le bail glissant ; loc3_direct est toujours refusée (IML "
            "obligatoire en Loc3)",
        },
        "level": {"type": "string", "enum": ["none", "loc1", "loc2", "loc3"]},
        "mode": {"type": "string", "enum": ["direct", "mandate", "sublease"]},
        "label": {"type": "string"},
        "eligible": {"type": "boolean"},
        "reasons": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Pourquoi l'option est refusée",
        },
        "rent_cap_monthly": NULLABLE_MONEY,
        "rent_monthly": {
            **NULLABLE_MONEY,
            "description": "Loyer retenu : le plafond, ou le loyer demandé s'il est plus bas",
        },
        "gross_rent_yearly": {
            **NULLABLE_MONEY,
            "description": "Loyers perçus par an (vacance et impayés déduits)",
        },
        "tax_reduction_rate": {"type": ["number", "null"]},
        "tax_reduction_yearly": {
            **NULLABLE_MONEY,
            "description": "Plafonnée par le plafond global des niches",
        },
        "anah_premium": {
            **NULLABLE_MONEY,
            "description": "Prime Anah d'intermédiation locative, versée une fois",
        },
        "local_premiums": {"type": "array", "items": _ref("SimulationLocalPremium")},
        "operator": {"type": ["string", "null"]},
        "management_fee_rate": {"type": ["number", "null"]},
        "management_fees_yearly": NULLABLE_MONEY,
        "guaranteed": _ref("SimulationGuarantee"),
        "property_tax_yearly": NULLABLE_MONEY,
        "insurance_yearly": NULLABLE_MONEY,
        "taxable_income_yearly": NULLABLE_MONEY,
        "income_tax_and_levies_yearly": NULLABLE_MONEY,
        "net_income_yearly": NULLABLE_MONEY,
        "net_income_over_commitment": {
            **NULLABLE_MONEY,
            "description": "Sur la durée de l'engagement, primes comprises",
        },
        "tenant_income_ceiling": {"oneOf": [_ref("SimulationIncomeCeiling"), {"type": "null"}]},
    },
}

RESPONSE = {
    "type": "object",
    "required": [
        "commune",
        "surface_fiscale_m2",
        "surface_coefficient",
        "options",
        "recommended",
        "explanation",
        "warnings",
        "parameters",
    ],
    "properties": {
        "date": {"type": "string", "format": "date"},
        "commune": {
            "type": "object",
            "required": ["insee", "name", "zone_abc", "market_rent_m2", "market_rent_source", "estimate"],
            "properties": {
                "insee": {"type": "string"},
                "name": {"type": "string"},
                "zone_abc": {"type": ["string", "null"], "enum": ["A bis", "A", "B1", "B2", "C", None]},
                "market_rent_m2": {
                    **MONEY,
                    "description": "Loyer de marché de référence, €/m² par mois hors charges",
                },
                "market_rent_source": {"type": "string"},
                "estimate": {
                    "type": "boolean",
                    "description": "Vrai quand le loyer vient de la carte des loyers",
                },
            },
        },
        "surface_habitable_m2": {"type": "number"},
        "surface_fiscale_m2": {"type": "number"},
        "surface_coefficient": {"type": "number", "minimum": 0.7, "maximum": 1.2},
        "commitment_years": {"type": "integer"},
        "options": {"type": "array", "items": _ref("SimulationOption")},
        "recommended": {"type": ["string", "null"], "description": "Clé de l'option recommandée"},
        "explanation": {"type": "string", "description": "Pourquoi cette option, en français"},
        "warnings": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
            },
        },
        "assumptions": {
            "type": "object",
            "description": "Hypothèses retenues et leur origine (input | parameter)",
        },
        "parameters": {"type": "array", "items": _ref("SimulationParameter")},
    },
}

SCHEMAS: dict[str, Any] = {
    "SimulationRequest": REQUEST,
    "SimulationResponse": RESPONSE,
    "SimulationOption": OPTION,
    "SimulationGuarantee": {
        "type": "object",
        "required": ["rent_during_vacancy", "unpaid_rent", "restoration", "description"],
        "properties": {
            "rent_during_vacancy": {"type": "boolean"},
            "unpaid_rent": {"type": "boolean"},
            "restoration": {"type": "boolean"},
            "description": {"type": "string"},
        },
    },
    "SimulationLocalPremium": {
        "type": "object",
        "required": ["name", "amount", "period"],
        "properties": {
            "name": {"type": "string"},
            "amount": MONEY,
            "period": {"type": "string", "enum": ["one_off", "yearly"]},
            "years": {"type": "integer", "description": "Versements comptés sur l'engagement"},
            "total": MONEY,
            "source": {"type": "string"},
        },
    },
    "SimulationIncomeCeiling": {
        "type": "object",
        "required": ["amount", "grid", "year"],
        "properties": {
            "amount": MONEY,
            "grid": {"type": "string", "enum": ["INTERMEDIAIRE", "PLUS", "PLAI"]},
            "area": {"type": "string"},
            "year": {"type": "integer"},
            "income_reference_year": {
                "type": "integer",
                "description": "Année du revenu fiscal de référence",
            },
            "household": {"type": "string"},
            "source": {"type": "string"},
        },
    },
    "SimulationParameter": {
        "type": "object",
        "required": ["key", "value", "valid_from", "source", "verified"],
        "properties": {
            "key": {"type": "string"},
            "label": {"type": "string"},
            "value": {},
            "unit": {"type": ["string", "null"]},
            "valid_from": {"type": "string", "format": "date"},
            "valid_to": {"type": ["string", "null"], "format": "date"},
            "source": {"type": "string"},
            "verified": {"type": "boolean", "description": "Faux : chiffre à confirmer"},
        },
    },
}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


PATHS = {
    "/api/v1/simulations": {
        "post": {
            "summary": "Simuler les aides et revenus d'un logement confié (Loc'Avantages, IML, marché)",
            "description": "Compare la location au prix du marché et chaque niveau Loc'Avantages en gestion "
            "directe, mandat de gestion ou location / sous-location (bail glissant compris), sur la durée de "
            "l'engagement. Public, limité en débit, sans cookie ni jeton CSRF. Rien n'est enregistré.",
            "requestBody": {"required": True, "content": _json(_ref("SimulationRequest"))},
            "responses": {
                "200": {
                    "description": "Résultat de la simulation",
                    "content": _json(_ref("SimulationResponse")),
                },
                "400": {
                    "description": "Corps absent ou qui n'est pas un objet JSON",
                    "content": _json(_ref("Error")),
                },
                "422": {
                    "description": "Champs invalides : messages en français par champ",
                    "content": _json(_ref("Error")),
                },
                "429": {"description": "Trop de requêtes"},
            },
        }
    }
}
