"""An agreement's terms checked before it is drafted or signed, and the Anah follow-ups it creates (pure rules).

Every figure (cap, minimum durations, deadlines) is computed by the caller from the versioned parameters at
the right date and handed in; the messages are French and show the figures they depend on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from capture.models import ConventionLevel, FollowUpKind, IMLMode
from capture.rules.locavantages import add_months, add_years
from contracts.typography import date_in_words, money, percent


@dataclass(frozen=True)
class Terms:
    mode: IMLMode
    level: ConventionLevel
    rent: Decimal  # monthly, charges excluded
    charges: Decimal
    duration_months: int
    starts_on: date
    fee_rate: Decimal | None = None  # management mandate only


@dataclass(frozen=True)
class Limits:
    """What the terms are checked against, at the signature date ``on``."""

    on: date
    rent_cap: Decimal | None  # the level's cap at ``on``; None when it cannot be computed
    min_duration_months: int
    available_on: date | None = None
    requests_window: tuple[date, date] | None = None  # Loc'Avantages requests registered in this period
    cap_unknown_reason: str = "aucun loyer de marché n'est connu pour la commune"


def is_conventioned(level: ConventionLevel) -> bool:
    return level is not ConventionLevel.NONE


def has_sliding_clause(mode: IMLMode) -> bool:
    """A bail glissant's main lease must provide for the slide (domain.md §2); other modes have none."""
    return mode is IMLMode.BAIL_GLISSANT


def min_duration_months(mode: IMLMode, *, mandate_min_months: int, main_lease_years: int) -> int:
    """Mandate: the operator's minimum; lease to the association: the usual main lease (Code civil)."""
    return mandate_min_months if mode is IMLMode.MANDATE else main_lease_years * 12


def check_terms(terms: Terms, limits: Limits) -> dict[str, str]:
    """Problems with the terms, by field (``rent``, ``fee_rate``…), in French; empty when they are fine."""
    errors: dict[str, str] = {}
    if terms.rent <= 0:
        errors["rent"] = "Le loyer doit être supérieur à 0 €."
    elif is_conventioned(terms.level):
        if limits.rent_cap is None:
            errors["rent"] = (
                f"Le plafond {terms.level.label} ne peut pas être calculé : {limits.cap_unknown_reason}. "
                "Choisissez « Sans convention » ou faites importer la carte des loyers."
            )
        elif terms.rent > limits.rent_cap:
            errors["rent"] = (
                f"Le loyer de {money(terms.rent)} dépasse le plafond {terms.level.label} au "
                f"{date_in_words(limits.on)} : {money(limits.rent_cap)} par mois hors charges."
            )
    if is_conventioned(terms.level) and limits.requests_window is not None:
        first, last = limits.requests_window
        if not first <= limits.on <= last:
            errors["level"] = (
                f"Les conventions Loc'Avantages sont enregistrées du {date_in_words(first)} au "
                f"{date_in_words(last)} : pas de convention pour un accord signé le {date_in_words(limits.on)}."
            )
    # Loc3 requires intermediation (domain.md §3): every mode offered here is one, so Loc3 is always allowed.
    if terms.charges < 0:
        errors["charges"] = "Les charges ne peuvent pas être négatives."
    if terms.mode is IMLMode.MANDATE:
        if terms.fee_rate is None:
            errors["fee_rate"] = "Indiquez le taux des frais de gestion du mandat."
        elif not Decimal("0") <= terms.fee_rate < 1:
            errors["fee_rate"] = "Le taux des frais de gestion doit être compris entre 0 % et 100 %."
    elif terms.fee_rate:
        errors["fee_rate"] = (
            f"Pas de frais de gestion en {terms.mode.label.lower()} : l'association est locataire, elle ne "
            f"prélève rien sur le loyer ({percent(terms.fee_rate)} indiqués)."
        )
    if terms.duration_months < limits.min_duration_months:
        errors["duration_months"] = (
            f"Durée trop courte : au moins {limits.min_duration_months} mois pour un "
            f"{'mandat de gestion' if terms.mode is IMLMode.MANDATE else 'bail à l’association'}."
        )
    if limits.available_on is not None and terms.starts_on < limits.available_on:
        errors["starts_on"] = (
            f"Le logement n'est disponible qu'à partir du {date_in_words(limits.available_on)} : l'accord ne peut "
            "pas commencer avant."
        )
    return errors


def available_on(starts_on: date, unit_available_from: date | None) -> date:
    """The unit enters the stock from the agreement's start, or later when the owner frees it later."""
    return max(starts_on, unit_available_from) if unit_available_from else starts_on


def end_on(starts_on: date, duration_months: int) -> date:
    """The day the agreement's term is reached (it then renews or ends)."""
    return add_months(starts_on, duration_months)


@dataclass(frozen=True)
class FollowUp:
    kind: FollowUpKind
    due_on: date
    note: str


def anah_follow_ups(
    level: ConventionLevel,
    *,
    first_lease_on: date,
    request_deadline_months: int,
    convention_years: int,
    premium_claim_months: int | None,
) -> tuple[FollowUp, ...]:
    """The Anah steps a conventioned agreement creates; ``premium_claim_months`` None: no IML premium."""
    if not is_conventioned(level):
        return ()
    lease = date_in_words(first_lease_on)
    steps = [
        FollowUp(
            FollowUpKind.CONVENTION_REQUEST,
            add_months(first_lease_on, request_deadline_months),
            f"Bail signé avant la convention : demande à déposer dans les {request_deadline_months} mois du "
            f"premier bail (prévu le {lease} ; recaler si le bail est signé à une autre date).",
        )
    ]
    if premium_claim_months is not None:
        steps.append(
            FollowUp(
                FollowUpKind.IML_PREMIUM_CLAIM,
                add_months(first_lease_on, premium_claim_months),
                f"Prime d'intermédiation locative ({level.label}) : demande à faire avec la convention, dans les "
                f"{premium_claim_months} mois du premier bail (délai retenu par Passerelle, à confirmer).",
            )
        )
    end = add_years(first_lease_on, convention_years)
    steps.append(
        FollowUp(
            FollowUpKind.CONVENTION_END,
            end,
            f"Engagement Loc'Avantages de {convention_years} ans à compter du {lease} : loyer plafonné et "
            f"locataire sous plafond de ressources jusqu'au {date_in_words(end)}.",
        )
    )
    return tuple(steps)
