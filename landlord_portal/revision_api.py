"""Public rent revision calculator (``POST /api/v1/rent-revisions``) and the checks its page shares.

The rule is ``capture.rules.rent_revision``; here the request is read field by field (French messages), the two
indices are looked up by quarter (an index not imported → 422 naming the quarter, never a guess), and the DPE
classes whose rent is frozen are read from the versioned parameters at the revision date (today by default).
Nothing is stored. Amounts are JSON numbers in euros, as in the rest of the API (``/api/v1/simulations``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Flask, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session

from capture.rules import rent_revision as rules
from passerelle.api import add_openapi, error_response, public_rate_limit
from passerelle.db import db
from passerelle.extensions import csrf, limiter
from passerelle.models import Parameter
from passerelle.reference.queries import MissingParameter, irl_value, parameter_at

bp = Blueprint("rent_revision_api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

PARIS = ZoneInfo("Europe/Paris")
FROZEN_CLASSES_KEY = "irl.revision_frozen_dpe_classes"
# Sanity bound of what a person may type (not a rule: the rule never reads it), as the simulator's rent.
MAX_MONTHLY = Decimal("20000")
INVALID = "Données invalides : corrigez les champs signalés."
NOT_CONFIGURED = (
    "Le calculateur est momentanément indisponible : les paramètres réglementaires (gel des loyers selon le "
    "DPE) ne sont pas importés."
)


class NotConfigured(RuntimeError):
    """The freeze parameter was never imported: the answer would be a guess, so there is none."""


def init_api(app: Flask) -> None:
    """Register the blueprint and describe it in the OpenAPI document."""
    app.register_blueprint(bp)
    add_openapi(app, paths=PATHS, schemas=SCHEMAS)


def today() -> date:
    return datetime.now(PARIS).date()


# --- checking a request -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RevisionRequest:
    rent: Decimal
    quarter: rules.Quarter
    dpe_class: str | None
    cap: Decimal | None
    on: date  # the revision date: decides whether the freeze applies


def _given(payload: Mapping[str, Any], name: str) -> bool:
    value = payload.get(name)
    return value is not None and not (isinstance(value, str) and not value.strip())


def _decimal(value: Any) -> Decimal | None:
    """A finite Decimal from a JSON number or a text (« 1 234,56 € » accepted), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal | int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(str(value))  # the shortest text of the float, as it was typed
    elif isinstance(value, str):
        cleaned = "".join(value.split()).replace("\u202f", "").replace("\xa0", "").replace("€", "").replace(",", ".")
        try:
            number = Decimal(cleaned)
        except InvalidOperation:
            return None
    else:
        return None
    return number if number.is_finite() else None


def _amount(payload: Mapping[str, Any], name: str, what: str, errors: dict[str, list[str]]) -> Decimal | None:
    value = _decimal(payload[name])
    if value is None:
        message = f"{what[0].upper()}{what[1:]} doit être un montant en euros, par exemple 500 ou 512,34."
    elif value <= 0:
        message = f"Indiquez un montant supérieur à 0 pour {what}."
    elif value > MAX_MONTHLY:  # before quantize, which fails on a huge number (1e308)
        message = f"Valeur improbable pour {what} : 20 000 € par mois au plus."
    elif value != value.quantize(rules.CENT):
        message = f"{what[0].upper()}{what[1:]} se compte en euros et centimes : 2 décimales au plus."
    else:
        return value
    errors.setdefault(name, []).append(message)
    return None


def check_request(payload: Mapping[str, Any], *, on: date) -> tuple[RevisionRequest | None, dict[str, list[str]]]:
    """Read the fields (unknown ones ignored); French messages per field. ``on``: the default revision date."""
    errors: dict[str, list[str]] = {}
    rent = None
    if _given(payload, "rent"):
        rent = _amount(payload, "rent", "le loyer actuel hors charges", errors)
    else:
        errors["rent"] = ["Indiquez le loyer actuel hors charges (€ par mois)."]
    quarter = None
    raw_quarter = payload.get("irl_quarter")
    if not _given(payload, "irl_quarter"):
        errors["irl_quarter"] = [f"Indiquez le trimestre de l'IRL à appliquer ({rules.QUARTER_FORMAT})."]
    elif not isinstance(raw_quarter, str):
        errors["irl_quarter"] = [f"Le trimestre est un texte : {rules.QUARTER_FORMAT}."]
    else:
        try:
            quarter = rules.parse_quarter(raw_quarter)
        except rules.InvalidQuarter as error:
            errors["irl_quarter"] = [str(error)]
    dpe = None
    if _given(payload, "dpe_class"):
        raw_dpe = payload["dpe_class"]
        dpe = raw_dpe.strip().upper() if isinstance(raw_dpe, str) else None
        if dpe not in rules.DPE_CLASSES:
            errors["dpe_class"] = ["Classe énergie du DPE attendue : une lettre de A à G."]
            dpe = None
    cap = None
    if _given(payload, "cap_monthly"):
        cap = _amount(payload, "cap_monthly", "le plafond de loyer de la convention", errors)
    revision_on: date | None = on
    if _given(payload, "revision_date"):
        raw_date = payload["revision_date"]
        if isinstance(raw_date, date):
            revision_on = raw_date
        else:
            try:
                revision_on = date.fromisoformat(str(raw_date).strip())
            except ValueError:
                errors["revision_date"] = ["Date de révision attendue au format AAAA-MM-JJ, par exemple 2026-12-01."]
                revision_on = None
    if errors or rent is None or quarter is None or revision_on is None:
        return None, errors
    return RevisionRequest(rent=rent, quarter=quarter, dpe_class=dpe, cap=cap, on=revision_on), {}


# --- computing ----------------------------------------------------------------------------------------------


def frozen_classes_at(session: Session, on: date) -> frozenset[str]:
    """The DPE classes whose rent may not be revised on ``on`` (none before the freeze existed)."""
    try:
        value = parameter_at(session, FROZEN_CLASSES_KEY, on).value
    except MissingParameter:
        if session.scalar(select(Parameter.id).where(Parameter.key == FROZEN_CLASSES_KEY).limit(1)) is None:
            raise NotConfigured(FROZEN_CLASSES_KEY) from None
        return frozenset()
    return rules.parse_classes(str(value))


def _index(session: Session, quarter: rules.Quarter) -> rules.IrlValue | None:
    row = irl_value(session, quarter.year, quarter.quarter)
    return None if row is None else rules.IrlValue(quarter, row.value, row.published_on)


def calculate(session: Session, asked: RevisionRequest) -> tuple[rules.RentRevision | None, list[str]]:
    """The revision, or the French messages naming each index that is not imported (raises NotConfigured)."""
    new, old = _index(session, asked.quarter), _index(session, asked.quarter.previous_year())
    missing = [
        str(rules.MissingIndex(quarter))
        for quarter, index in ((asked.quarter, new), (asked.quarter.previous_year(), old))
        if index is None
    ]
    if missing or new is None or old is None:
        return None, missing
    frozen = frozen_classes_at(session, asked.on) if asked.dpe_class else frozenset()
    revision = rules.revise_rent(asked.rent, new, old, dpe_class=asked.dpe_class, frozen_classes=frozen, cap=asked.cap)
    return revision, []


def _money(value: Decimal | None) -> float | None:
    # A JSON number, as the simulator's amounts: the rule already truncated every amount to the cent.
    return None if value is None else float(value)


def revision_to_json(revision: rules.RentRevision, on: date) -> dict[str, Any]:
    return {
        "rent": _money(revision.rent),
        "new_rent": _money(revision.new_rent),
        "increase": _money(revision.increase),
        "indexed_rent": _money(revision.indexed_rent),
        "irl_new": float(revision.irl_new),
        "irl_old": float(revision.irl_old),
        "quarter_new": revision.quarter_new.code,
        "quarter_old": revision.quarter_old.code,
        "frozen": revision.frozen,
        "capped": revision.capped,
        "cap_monthly": _money(revision.cap),
        "dpe_class": revision.dpe_class,
        "revision_date": on.isoformat(),
        "explanation": revision.explanation,
    }


@bp.route("/rent-revisions", methods=["POST"])
@limiter.limit(public_rate_limit)
def rent_revision_create() -> ResponseReturnValue:
    """Revise a rent with the IRL; nothing is stored."""
    try:
        payload = json.loads(request.get_data(), parse_float=Decimal)  # money never goes through float
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        return error_response(
            400,
            "Le corps de la requête doit être un objet JSON (Content-Type: application/json).",
            {"body": ['Objet JSON attendu, par exemple {"rent": "500.00", "irl_quarter": "2024-Q2"}.']},
        )
    asked, errors = check_request(payload, on=today())
    if asked is None:
        return error_response(422, INVALID, errors)
    try:
        revision, missing = calculate(db.session, asked)
    except NotConfigured:
        return error_response(503, NOT_CONFIGURED)
    if revision is None:
        return error_response(422, missing[0], {"irl_quarter": missing})
    return jsonify(revision_to_json(revision, asked.on))


# --- OpenAPI -----------------------------------------------------------------------------------------------

MONEY = {"type": "number", "description": "Euros, au centime"}
REQUEST = {
    "type": "object",
    "required": ["rent", "irl_quarter"],
    "description": "Les champs inconnus sont ignorés. Les montants peuvent être envoyés en nombre ou en texte "
    "(« 512,34 »), au centime au plus.",
    "properties": {
        "rent": {
            "type": ["number", "string"],
            "description": "Loyer mensuel actuel, hors charges (euros, > 0)",
            "example": "500.00",
        },
        "irl_quarter": {
            "type": "string",
            "pattern": "^[0-9]{4}-?[QqTt][1-4]$",
            "description": "Trimestre de l'IRL à appliquer (le trimestre de référence du bail, dernier indice "
            "publié à la date de révision), comparé au même trimestre un an plus tôt. « 2024-Q2 » ou « 2024-T2 ».",
            "example": "2024-Q2",
        },
        "dpe_class": {
            "type": ["string", "null"],
            "enum": ["A", "B", "C", "D", "E", "F", "G", None],
            "description": "Classe énergie du DPE. Les classes du paramètre irl.revision_frozen_dpe_classes (F et G "
            "depuis le 24 août 2022) gèlent le loyer : aucune révision.",
        },
        "cap_monthly": {
            "type": ["number", "string", "null"],
            "description": "Plafond mensuel de loyer d'une convention (Anah, Loc'Avantages), hors charges : le "
            "loyer révisé ne le dépasse jamais ; un loyer actuel au-dessus est ramené au plafond.",
        },
        "revision_date": {
            "type": ["string", "null"],
            "format": "date",
            "description": "Date de la révision (défaut : aujourd'hui, heure de Paris) ; elle décide si le gel "
            "selon le DPE s'applique.",
        },
    },
}
RESPONSE = {
    "type": "object",
    "required": [
        "new_rent",
        "irl_new",
        "irl_old",
        "quarter_new",
        "quarter_old",
        "frozen",
        "capped",
        "explanation",
    ],
    "properties": {
        "rent": {**MONEY, "description": "Loyer actuel hors charges, tel que reçu"},
        "new_rent": {
            **MONEY,
            "description": "Loyer révisé hors charges : loyer × IRL nouveau / IRL ancien tronqué au centime (jamais "
            "arrondi au détriment du locataire), sauf gel ou plafond",
            "example": 508.48,
        },
        "increase": {**MONEY, "description": "new_rent − rent (négatif quand le loyer baisse)"},
        "indexed_rent": {**MONEY, "description": "Résultat de la formule, avant gel et plafond"},
        "irl_new": {"type": "number", "description": "IRL appliqué", "example": 129.38},
        "irl_old": {"type": "number", "description": "IRL du même trimestre un an plus tôt", "example": 127.22},
        "quarter_new": {"type": "string", "example": "2019-Q1"},
        "quarter_old": {"type": "string", "example": "2018-Q1"},
        "frozen": {"type": "boolean", "description": "Loyer gelé (DPE F ou G) : le loyer reste inchangé"},
        "capped": {"type": "boolean", "description": "Loyer ramené au plafond de la convention"},
        "cap_monthly": {**MONEY, "type": ["number", "null"]},
        "dpe_class": {"type": ["string", "null"]},
        "revision_date": {"type": "string", "format": "date"},
        "explanation": {
            "type": "string",
            "description": "Le calcul en français",
            "example": "IRL du 1er trimestre 2019 (129,38) rapporté à celui du 1er trimestre 2018 (127,22) : "
            "500,00 € × 129,38 / 127,22 = 508,48 € (tronqué au centime). Loyer révisé : 508,48 € hors charges "
            "(soit une hausse de 8,48 € par mois).",
        },
    },
}
SCHEMAS: dict[str, Any] = {"RentRevisionRequest": REQUEST, "RentRevisionResponse": RESPONSE}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


PATHS = {
    "/api/v1/rent-revisions": {
        "post": {
            "summary": "Calculer la révision annuelle d'un loyer avec l'IRL (loi n° 89-462, art. 17-1)",
            "description": "Loyer révisé = loyer hors charges × IRL du trimestre appliqué / IRL du même trimestre "
            "un an plus tôt, tronqué au centime ; loyer gelé pour les logements F et G ; plafond de convention "
            "respecté. Les indices viennent de la série INSEE importée dans Passerelle : un indice absent donne "
            "une erreur 422 qui le nomme, jamais une valeur devinée. Public, limité en débit, sans cookie ni "
            "jeton CSRF. Rien n'est enregistré.",
            "requestBody": {"required": True, "content": _json(_ref("RentRevisionRequest"))},
            "responses": {
                "200": {"description": "Loyer révisé", "content": _json(_ref("RentRevisionResponse"))},
                "400": {"description": "Corps absent ou qui n'est pas un objet JSON", "content": _json(_ref("Error"))},
                "422": {
                    "description": "Champs invalides (messages en français par champ), ou indice IRL non importé "
                    "(message nommant le trimestre manquant, champ irl_quarter)",
                    "content": _json(_ref("Error")),
                },
                "429": {"description": "Trop de requêtes"},
                "503": {
                    "description": "Paramètres réglementaires non importés",
                    "content": _json(_ref("Error")),
                },
            },
        }
    }
}
