"""Rent guarantees of a lease checked before they are recorded (pure rules, French messages).

Visale, FSL, the operator's own fund, GLI and the personal guarantor (domain.md §4). Every figure (Visale caps,
the years of cover) is read by the caller from the versioned parameters at the right date and handed in through
``VisaleCaps``; the lease is handed in as ``LeaseFacts``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from typing import Any

from agency_backoffice.models.enums import GuaranteeKind, LeaseStatus, VisaleArea
from agency_backoffice.rules.leases import last_day
from contracts.typography import date_in_words, money
from passerelle.reference.ceiling_areas import is_ile_de_france

K = GuaranteeKind

# Visale's intermediate cap covers Corsica and the overseas départements whatever their population.
CORSICA = frozenset({"2A", "2B", "20"})
OVERSEAS_PREFIX = "97"
DEPARTEMENT = re.compile(r"^(\d{2,3}|2[AB])$")
STUDENT_NOTE = "Locataire étudiant ou apprenti : cumul de la GLI et d'une caution personnelle admis."


@dataclass(frozen=True)
class GuaranteeInput:
    """What staff typed for a guarantee; only the fields of its kind are read."""

    amount: Decimal | None = None  # FSL amount, fund ceiling, GLI ceiling
    starts_on: date | None = None
    expires_on: date | None = None
    visa_number: str | None = None
    visa_issued_on: date | None = None
    visale_area: VisaleArea | None = None  # only asked when the commune does not decide it
    fsl_departement: str | None = None
    fsl_decision_reference: str | None = None
    fsl_decision_on: date | None = None
    covered_months: int | None = None
    insurer: str | None = None
    policy_number: str | None = None
    guarantor_name: str | None = None
    student: bool = False  # GLI with a personal guarantor is allowed for a student or an apprentice
    note: str | None = None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> GuaranteeInput:
        """The input from a form's data (unknown keys such as the CSRF token are left out)."""
        values = {f.name: data[f.name] for f in fields(cls) if f.name in data}
        area = values.get("visale_area")
        values["visale_area"] = VisaleArea(area) if area in {a.value for a in VisaleArea} else None
        values["student"] = bool(values.get("student"))
        return cls(**values)


@dataclass(frozen=True)
class LeaseFacts:
    """What the guarantee rules need to know about the lease, on the day the guarantee is recorded."""

    status: LeaseStatus
    rent: Decimal  # monthly, charges excluded
    charges: Decimal
    deposit: Decimal
    starts_on: date
    signed_on: date | None
    fixed_area: VisaleArea | None  # the Visale area the commune decides (Île-de-France, Corsica, overseas)
    kinds_in_force: tuple[GuaranteeKind, ...]
    deposit_waived_with: tuple[GuaranteeKind, ...]  # the operator's setting


@dataclass(frozen=True)
class VisaleCaps:
    """Visale figures at the lease's start date: the rent cap of each area and the years of cover."""

    on: date
    caps: Mapping[VisaleArea, Decimal]  # charges included
    cover_years: int | None  # None before 6 January 2026: no limit, Visale covered the whole lease

    def cap(self, area: VisaleArea) -> Decimal:
        return self.caps[area]


def fixed_visale_area(departement: str | None, region: str | None) -> VisaleArea | None:
    """The area the commune decides; None when staff must say whether it lies in a large agglomeration."""
    if not departement:
        return None
    if is_ile_de_france(departement, region):
        return VisaleArea.ILE_DE_FRANCE
    if departement in CORSICA or departement.startswith(OVERSEAS_PREFIX):
        return VisaleArea.LARGE_AGGLOMERATION
    return None


def visale_total(rent: Decimal, charges: Decimal) -> Decimal:
    """Visale's cap applies to the rent charges included."""
    return rent + charges


def visale_refusal(rent: Decimal, charges: Decimal, area: VisaleArea, caps: VisaleCaps) -> str | None:
    """Why Visale cannot cover this rent (None when it can)."""
    total = visale_total(rent, charges)
    cap = caps.cap(area)
    if total <= cap:
        return None
    return (
        f"Loyer charges comprises de {money(total)} : au-dessus du plafond Visale de {money(cap)} (zone « "
        f"{area.label} ») pour un bail prenant effet le {date_in_words(caps.on)}. Le ménage ne peut pas être "
        "couvert par Visale."
    )


def visale_cover_end(starts_on: date, cover_years: int | None) -> date | None:
    """The last covered day (only the first years of a lease from 6 January 2026 are covered)."""
    return None if cover_years is None else last_day(starts_on, 12 * cover_years)


def in_force(expires_on: date | None, today: date) -> bool:
    """A guarantee ended (or removed) on a day no longer counts from that day."""
    return expires_on is None or expires_on > today


def deposit_waiver_refusal(kind: GuaranteeKind, lease: LeaseFacts) -> str | None:
    """A draft cannot take a guarantee the operator waives the deposit for while the draft still asks one."""
    if kind not in lease.deposit_waived_with or lease.status is not LeaseStatus.DRAFT or lease.deposit <= 0:
        return None
    return (
        f"Votre structure ne demande pas de dépôt de garantie aux ménages couverts par « {kind.label} » "
        f"(réglages des baux) : ramenez d'abord le dépôt de garantie du bail à 0 € (il est de "
        f"{money(lease.deposit)}), puis ajoutez cette garantie."
    )


def check_guarantee(
    kind: GuaranteeKind, data: GuaranteeInput, lease: LeaseFacts, *, today: date, visale: VisaleCaps | None = None
) -> dict[str, str]:
    """Problems with a guarantee to add, by field ("" for the whole form), in French; empty when it is fine."""
    if lease.status is LeaseStatus.ENDED:
        return {"": "Le bail est terminé : on ne peut plus lui ajouter de garantie."}
    errors: dict[str, str] = {}
    refusal = deposit_waiver_refusal(kind, lease)
    if refusal:
        errors[""] = refusal
    if kind is K.VISALE:
        assert visale is not None, "Visale needs its caps at the lease's start date"
        errors |= _check_visale(data, lease, visale, today)
    elif kind is K.FSL:
        errors |= _check_fsl(data, today)
    elif kind is K.OPERATOR_FUND:
        errors |= _check_fund(data)
    elif kind is K.GLI:
        if _blank(data.insurer):
            errors["insurer"] = "Indiquez l'assureur de la garantie loyers impayés."
        if data.amount is not None and data.amount <= 0:
            errors["amount"] = "Le plafond de la garantie doit être supérieur à 0 € (laissez vide s'il est inconnu)."
        errors |= _check_combination(kind, data, lease)
    elif kind is K.PERSONAL_GUARANTOR:
        if _blank(data.guarantor_name):
            errors["guarantor_name"] = "Indiquez le nom de la personne qui se porte caution."
        errors |= _check_combination(kind, data, lease)
    return errors


def _check_visale(data: GuaranteeInput, lease: LeaseFacts, caps: VisaleCaps, today: date) -> dict[str, str]:
    errors: dict[str, str] = {}
    if _blank(data.visa_number):
        errors["visa_number"] = "Indiquez le numéro du visa délivré par Action Logement."
    issued = data.visa_issued_on
    if issued is None:
        errors["visa_issued_on"] = "Indiquez la date de délivrance du visa."
    elif issued > today:
        errors["visa_issued_on"] = "Le visa ne peut pas être daté dans le futur."
    elif lease.signed_on is not None and issued > lease.signed_on:
        # Action Logement: the visa must exist before the lease is signed.
        errors["visa_issued_on"] = (
            f"Le visa doit exister avant la signature du bail : il est daté du {date_in_words(issued)}, le bail a "
            f"été signé le {date_in_words(lease.signed_on)}."
        )
    area = lease.fixed_area or data.visale_area
    if area is None:
        errors["visale_area"] = "Indiquez si la commune fait partie d'une agglomération de plus de 100 000 habitants."
    else:
        refusal = visale_refusal(lease.rent, lease.charges, area, caps)
        if refusal:
            errors[""] = f"{errors['']} {refusal}" if "" in errors else refusal
    return errors


def _check_fsl(data: GuaranteeInput, today: date) -> dict[str, str]:
    errors: dict[str, str] = {}
    departement = (data.fsl_departement or "").strip().upper()
    if not departement:
        errors["fsl_departement"] = "Indiquez le département dont le FSL a pris la décision."
    elif not DEPARTEMENT.match(departement):
        errors["fsl_departement"] = "Numéro de département invalide (par exemple 69, 2A ou 974)."
    if _blank(data.fsl_decision_reference):
        errors["fsl_decision_reference"] = "Indiquez la référence de la décision du FSL."
    if data.fsl_decision_on is None:
        errors["fsl_decision_on"] = "Indiquez la date de la décision du FSL."
    elif data.fsl_decision_on > today:
        errors["fsl_decision_on"] = "La décision ne peut pas être datée dans le futur."
    if data.amount is None or data.amount <= 0:
        errors["amount"] = "Indiquez le montant accordé par le FSL (supérieur à 0 €)."
    return errors


def _check_fund(data: GuaranteeInput) -> dict[str, str]:
    errors: dict[str, str] = {}
    if data.covered_months is None or data.covered_months <= 0:
        errors["covered_months"] = "Indiquez le nombre de mois d'impayés couverts (au moins 1)."
    if data.amount is None or data.amount <= 0:
        errors["amount"] = "Indiquez le plafond de la garantie (supérieur à 0 €)."
    if data.starts_on is None:
        errors["starts_on"] = "Indiquez le début de la garantie."
    if data.expires_on is None:
        errors["expires_on"] = "Indiquez la fin de la garantie."
    elif data.starts_on is not None and data.expires_on <= data.starts_on:
        errors["expires_on"] = f"La fin de la garantie doit suivre son début (le {date_in_words(data.starts_on)})."
    return errors


def _check_combination(kind: GuaranteeKind, data: GuaranteeInput, lease: LeaseFacts) -> dict[str, str]:
    """domain.md §4: a GLI cannot be combined with a personal guarantor, except for a student or an apprentice."""
    other = K.PERSONAL_GUARANTOR if kind is K.GLI else K.GLI
    if other not in lease.kinds_in_force or data.student:
        return {}
    return {
        "student": (
            "Une garantie loyers impayés (GLI) ne peut pas se cumuler avec une caution personnelle, sauf si le "
            f"locataire est étudiant ou apprenti : ce bail a déjà « {other.label} ». Cochez la case si c'est le "
            "cas, sinon retirez d'abord l'autre garantie."
        )
    }


def _blank(value: str | None) -> bool:
    return not (value or "").strip()
