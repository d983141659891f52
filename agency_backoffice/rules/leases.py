"""A household's lease checked before it is drafted or signed, and its lifecycle (pure rules).

Every figure (cap, deposit limit, minimum durations, DPE ban date) is read by the caller from the versioned
parameters at the right date and handed in through ``LeaseLimits``; the messages are French and show the
figures they depend on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from agency_backoffice.models.enums import LeaseEndReason, LeaseKind, LeaseStatus
from capture.models import ConventionLevel, IMLMode
from capture.rules.locavantages import add_months, is_banned
from contracts.typography import date_in_words, money

S = LeaseStatus


class InvalidTransition(ValueError):
    """A lifecycle step that does not follow from the lease's status, in French."""


_NEXT: dict[LeaseStatus, tuple[LeaseStatus, ...]] = {
    S.DRAFT: (S.SIGNED,),
    S.SIGNED: (S.ACTIVE, S.ENDED),  # ended before the household moves in: cancelled
    S.ACTIVE: (S.ENDED,),
    S.ENDED: (),
}

_ACTIONS = {S.SIGNED: "signer", S.ACTIVE: "mettre en cours", S.ENDED: "terminer"}


def check_transition(current: LeaseStatus, target: LeaseStatus) -> None:
    if target not in _NEXT[current]:
        raise InvalidTransition(
            f"Impossible de {_ACTIONS.get(target, target.label.lower())} un bail au statut « {current.label} »."
        )


def kind_for(mode: IMLMode) -> LeaseKind:
    """Under mandate the owner lets directly (the operator signs as agent); otherwise the association sub-lets."""
    return LeaseKind.DIRECT if mode is IMLMode.MANDATE else LeaseKind.SUBLEASE


def last_day(starts_on: date, duration_months: int) -> date:
    """The last day of the initial term (a lease from 1 December for 36 months ends on 30 November)."""
    return add_months(starts_on, duration_months) - timedelta(days=1)


def term_end_covering(starts_on: date, duration_months: int, on: date) -> date:
    """The last day of the term, renewed tacitly for the same duration, that covers ``on`` (a main lease)."""
    end = last_day(starts_on, duration_months)
    while end < on:
        end = last_day(end + timedelta(days=1), duration_months)
    return end


def end_reason_allowed(status: LeaseStatus, reason: LeaseEndReason) -> str | None:
    """Why this reason cannot end a lease at this status (None when it can); the slide has its own workflow."""
    if reason is LeaseEndReason.SLIDE:
        return "Le glissement se fait depuis la revue du bail glissant, pas par une fin de bail."
    if status is S.SIGNED and reason is not LeaseEndReason.CANCELLED:
        return "Le ménage n'est pas encore entré dans les lieux : seule l'annulation est possible."
    if status is S.ACTIVE and reason is LeaseEndReason.CANCELLED:
        return "Le ménage est entré dans les lieux : le bail ne peut plus être annulé, il prend fin."
    return None


@dataclass(frozen=True)
class LeaseTerms:
    kind: LeaseKind
    mode: IMLMode
    level: ConventionLevel
    rent: Decimal  # monthly, charges excluded
    charges: Decimal
    deposit: Decimal
    starts_on: date
    duration_months: int
    payment_day: int
    tenants: tuple[str, ...]


@dataclass(frozen=True)
class LeaseLimits:
    """What the terms are checked against: the rules at the signature date ``on`` (or the drafting date)."""

    on: date
    rent_cap: Decimal | None  # the Loc'Avantages cap at ``on``; None when it cannot be computed
    cap_unknown_reason: str
    deposit_max_months: int
    available_on: date  # the unit's availability in the operator's stock
    min_duration_months: int  # loi 89 art. 10 for a direct lease; 1 for a sub-lease
    dpe_class: str | None = None
    dpe_ban: date | None = None  # first day the unit's DPE class cannot be let under a new lease
    main_lease_rent: Decimal | None = None  # sub-lease: the rent the association pays the owner
    main_lease_last_day: date | None = None  # sub-lease: the main lease's current term
    deposit_waived_by: str | None = None  # label of a guarantee under which the operator takes no deposit


def check_lease(terms: LeaseTerms, limits: LeaseLimits) -> dict[str, str]:
    """Problems with the terms, by field, in French; empty when they are fine."""
    errors: dict[str, str] = {}
    if not any(name.strip() for name in terms.tenants):
        errors["tenants"] = "Indiquez le nom d'au moins un locataire (adulte signataire)."
    if terms.rent <= 0:
        errors["rent"] = "Le loyer doit être supérieur à 0 €."
    elif terms.level is not ConventionLevel.NONE:
        if limits.rent_cap is None:
            errors["rent"] = (
                f"Le plafond {terms.level.label} au {date_in_words(limits.on)} ne peut pas être calculé : "
                f"{limits.cap_unknown_reason}."
            )
        elif terms.rent > limits.rent_cap:
            errors["rent"] = (
                f"Le loyer de {money(terms.rent)} dépasse le plafond {terms.level.label} au "
                f"{date_in_words(limits.on)} : {money(limits.rent_cap)} par mois hors charges."
            )
    if "rent" not in errors and limits.main_lease_rent is not None and terms.rent > limits.main_lease_rent:
        errors["rent"] = (
            f"Le loyer de la sous-location ({money(terms.rent)}) ne peut pas dépasser celui que l'association "
            f"paie au propriétaire ({money(limits.main_lease_rent)}) — loi n° 89-462, art. 8."
        )
    if terms.charges < 0:
        errors["charges"] = "Les charges ne peuvent pas être négatives."
    if terms.deposit < 0:
        errors["deposit"] = "Le dépôt de garantie ne peut pas être négatif."
    elif terms.rent > 0 and terms.deposit > terms.rent * limits.deposit_max_months:
        months = "un mois" if limits.deposit_max_months == 1 else f"{limits.deposit_max_months} mois"
        errors["deposit"] = (
            f"Le dépôt de garantie ({money(terms.deposit)}) dépasse {months} de loyer hors charges "
            f"({money(terms.rent * limits.deposit_max_months)}) — loi n° 89-462, art. 22."
        )
    elif terms.deposit > 0 and limits.deposit_waived_by:
        errors["deposit"] = (
            f"Pas de dépôt de garantie quand le ménage est couvert par « {limits.deposit_waived_by} » "
            "(réglage de l'opérateur) : indiquez 0 €."
        )
    if terms.starts_on < limits.available_on:
        errors["starts_on"] = (
            f"Le logement n'est disponible qu'à partir du {date_in_words(limits.available_on)} : le bail ne "
            "peut pas commencer avant."
        )
    elif is_banned(limits.dpe_ban, terms.starts_on):
        assert limits.dpe_ban is not None
        errors["starts_on"] = (
            f"Un logement classé {limits.dpe_class} au DPE n'est plus décent pour un nouveau bail depuis le "
            f"{date_in_words(limits.dpe_ban)} (loi Climat et résilience) : le bail ne peut pas commencer le "
            f"{date_in_words(terms.starts_on)}."
        )
    if terms.duration_months < limits.min_duration_months:
        errors["duration_months"] = (
            f"Durée trop courte : au moins {limits.min_duration_months} mois pour ce bail (loi n° 89-462, art. 10)."
        )
    elif (
        terms.kind is LeaseKind.SUBLEASE
        and limits.main_lease_last_day is not None
        and last_day(terms.starts_on, terms.duration_months) > limits.main_lease_last_day
    ):
        errors["duration_months"] = (
            "La sous-location ne peut pas durer au-delà du bail à l'association, qui court jusqu'au "
            f"{date_in_words(limits.main_lease_last_day)}."
        )
    if not 1 <= terms.payment_day <= 28:
        errors["payment_day"] = "Le jour de paiement doit être compris entre 1 et 28."
    return errors


def min_duration_months(kind: LeaseKind, *, legal_person: bool, natural_years: int, legal_years: int) -> int:
    """Loi 89-462 art. 10: 3 years for a natural-person owner (family SCI included), 6 for a legal person."""
    if kind is LeaseKind.SUBLEASE:
        return 1
    return 12 * (legal_years if legal_person else natural_years)


def review_dates(starts_on: date, review_months: int, count: int) -> tuple[date, ...]:
    """The first ``count`` six-monthly (or ``review_months``) reviews of a bail glissant from its start."""
    return tuple(add_months(starts_on, review_months * index) for index in range(1, count + 1))
