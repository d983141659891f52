"""Sentences that explain modes and levels to a landlord, with figures read from the versioned parameters."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from passerelle.formatting import money, percent
from passerelle.reference.queries import MissingParameter, parameter_at


def _value(session: Session, key: str, on: date) -> Decimal | None:
    try:
        value = parameter_at(session, key, on).value
    except MissingParameter:
        return None
    return value if isinstance(value, Decimal) else None


def _pct(value: Decimal | None) -> str:
    return percent(value) if value is not None else "—"


def level_descriptions(session: Session, on: date) -> dict[str, str]:
    """One sentence per Loc'Avantages level: rent discount and tax reduction rates in force on a date."""
    texts = {"none": "Loyer libre, sans réduction d'impôt ni prime Anah."}
    for level, extra in (
        ("loc1", ""),
        ("loc2", " ; prime Anah"),
        ("loc3", " ; intermédiation obligatoire ; prime Anah"),
    ):
        discount = _value(session, f"locavantages.discount.{level}", on)
        reduction = _value(session, f"locavantages.tax_reduction.iml.{level}", on)
        texts[level] = (
            f"Loyer plafonné {_pct(discount)} sous le marché ; "
            f"réduction d'impôt de {_pct(reduction)} des loyers avec intermédiation{extra}."
        )
    return texts


def mode_descriptions(session: Session, on: date) -> dict[str, str]:
    mandate = _value(session, "anah.iml_premium.mandate", on)
    sublease = _value(session, "anah.iml_premium.sublease", on)
    return {
        "mandate": "Vous restez le bailleur du ménage ; l'agence gère pour vous (loyers, suivi, garanties) "
        f"moyennant des frais de gestion. Prime Anah en Loc2/Loc3 : {money(mandate, cents=False)}.",
        "sublease": "L'association loue votre logement et le sous-loue au ménage : "
        "elle vous paie le loyer chaque mois, même vide ou impayé, et vous le rend remis en état. "
        f"Prime Anah en Loc2/Loc3 : {money(sublease, cents=False)}.",
        "bail_glissant": "Comme la sous-location, puis le bail « glisse » : "
        "le ménage devient votre locataire direct quand il est prêt.",
    }
