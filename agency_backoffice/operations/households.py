"""Register, update, park, close, export and anonymise household files."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from enum import Enum
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from agency_backoffice.household_input import HouseholdInput, check_household
from agency_backoffice.models import (
    OPEN_PROPOSAL_STATUSES,
    Household,
    HouseholdMember,
    HouseholdOwnerLink,
    HouseholdResource,
    HouseholdStatus,
    HousingBenefitEstimate,
    Proposal,
)
from capture.models import Landlord
from passerelle.audit import audit
from passerelle.db import utcnow
from passerelle.models import Commune, Organisation, User


class HouseholdError(ValueError):
    """Why a household operation was refused, in French; ``problems`` lists each one."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(" ".join(problems))
        self.problems = problems


def known_communes(session: Session, codes: set[str]) -> set[str]:
    if not codes:
        return set()
    return set(session.scalars(select(Commune.insee).where(Commune.insee.in_(codes))))


def check_input(session: Session, operator: Organisation, data: HouseholdInput, *, today: date) -> list[str]:
    codes = {*data.wished_communes, *(place.commune for place in data.places)}
    problems = check_household(data, today=today, known_communes=known_communes(session, codes))
    if data.related_landlord_ids:
        found = set(session.scalars(select(Landlord.id).where(Landlord.id.in_(data.related_landlord_ids))))
        if missing := set(data.related_landlord_ids) - found:
            problems.append(f"Lien avec un propriétaire : propriétaire(s) inconnu(s) n° {sorted(missing)}.")
    return problems


def register_household(
    session: Session, operator: Organisation, data: HouseholdInput, *, by: User | None, today: date, source: str
) -> Household:
    """Record a new SIAO referral for an operator; refuse it whole when anything is wrong."""
    problems = check_input(session, operator, data, today=today)
    reference = data.siao_reference.strip()
    duplicate = session.scalar(
        select(Household.id).where(Household.operator_id == operator.id, Household.siao_reference == reference)
    )
    if duplicate is not None:
        problems.insert(0, f"Référence SIAO : un dossier « {reference} » existe déjà.")
    if problems:
        raise HouseholdError(problems)
    household = Household(operator_id=operator.id, siao_reference=reference, created_by_id=by.id if by else None)
    _apply(household, data)
    session.add(household)
    session.flush()
    audit(
        session, actor=by, action="household.register", object_type="household", object_id=household.id, source=source
    )
    return household


def update_household(session: Session, household: Household, data: HouseholdInput, *, by: User, today: date) -> None:
    problems = check_input(session, household.operator, data, today=today)
    reference = data.siao_reference.strip()
    other = session.scalar(
        select(Household.id).where(
            Household.operator_id == household.operator_id,
            Household.siao_reference == reference,
            Household.id != household.id,
        )
    )
    if other is not None:
        problems.insert(0, f"Référence SIAO : un autre dossier porte la référence « {reference} ».")
    if problems:
        raise HouseholdError(problems)
    household.siao_reference = reference
    _apply(household, data)
    session.flush()
    audit(session, actor=by, action="household.update", object_type="household", object_id=household.id)


def _apply(household: Household, data: HouseholdInput) -> None:
    def text(value: str | None) -> str | None:
        value = (value or "").strip()
        return value or None

    household.referred_on = data.referred_on
    household.situation = data.situation
    household.situation_since = data.situation_since
    household.couple = data.couple
    household.contact_name = text(data.contact_name)
    household.contact_phone = text(data.contact_phone)
    household.contact_email = text(data.contact_email)
    household.priority_flags = sorted(flag.value for flag in data.priority_flags)
    household.needs = sorted(need.value for need in data.needs)
    household.prefers_low_floor = data.prefers_low_floor
    household.wished_communes = list(dict.fromkeys(data.wished_communes))
    household.places = [asdict(place) for place in data.places]
    household.tax_income = data.tax_income
    household.tax_income_year = data.tax_income_year
    household.disability_card = data.disability_card
    household.needed_by = data.needed_by
    household.diagnostic_conclusion = text(data.diagnostic_conclusion)
    household.support_kind = text(data.support_kind)
    household.support_intensity = data.support_intensity
    household.referent_name = text(data.referent_name)
    household.referent_organisation = text(data.referent_organisation)
    household.referent_email = text(data.referent_email)
    household.referent_phone = text(data.referent_phone)
    household.consent_on = data.consent_on
    household.consent_scope = text(data.consent_scope)
    household.members = [
        HouseholdMember(position=position, adult=m.adult, birth_year=m.birth_year, birth_month=m.birth_month, sex=m.sex)
        for position, m in enumerate(data.members)
    ]
    household.resources = [HouseholdResource(kind=kind, monthly_amount=amount) for kind, amount in data.resources]
    household.owner_links = [HouseholdOwnerLink(landlord_id=landlord_id) for landlord_id in data.related_landlord_ids]
    household.persons_count = len(data.members)


def record_view(session: Session, household: Household, *, by: User, what: str = "file") -> None:
    """Every look at a household's personal data leaves a trace (who, when, which file, which page)."""
    audit(session, actor=by, action="household.view", object_type="household", object_id=household.id, page=what)


def park_household(session: Session, household: Household, *, until: date, reason: str, by: User, today: date) -> None:
    if until <= today:
        raise HouseholdError(["Mise en attente : la date de fin doit être dans le futur."])
    if household.status is not HouseholdStatus.ACTIVE:
        raise HouseholdError(["Mise en attente : seul un dossier en attente de logement peut être suspendu."])
    household.parked_until = until
    household.parked_reason = reason.strip() or None
    audit(session, actor=by, action="household.park", object_type="household", object_id=household.id, until=until)


def unpark_household(session: Session, household: Household, *, by: User) -> None:
    household.parked_until = None
    household.parked_reason = None
    audit(session, actor=by, action="household.unpark", object_type="household", object_id=household.id)


def close_household(session: Session, household: Household, *, reason: str, by: User, today: date) -> None:
    if household.status is HouseholdStatus.CLOSED:
        raise HouseholdError(["Ce dossier est déjà clos."])
    open_proposal = session.scalar(
        select(Proposal.id).where(Proposal.household_id == household.id, Proposal.status.in_(OPEN_PROPOSAL_STATUSES))
    )
    if open_proposal is not None:
        raise HouseholdError(["Clôture : une proposition est en cours ; refusez-la ou retirez-la d'abord."])
    household.status = HouseholdStatus.CLOSED
    household.closed_on = today
    household.closed_reason = reason.strip() or None
    audit(session, actor=by, action="household.close", object_type="household", object_id=household.id)


def export_household(session: Session, household: Household, *, by: User | None) -> dict[str, Any]:
    """Everything Passerelle holds on a household (GDPR art. 15 and 20), as JSON-ready data."""
    columns = [column.key for column in Household.__table__.columns]
    data: dict[str, Any] = {key: _plain(getattr(household, key)) for key in columns}
    data["members"] = [
        {"adult": m.adult, "birth_year": m.birth_year, "birth_month": m.birth_month, "sex": _plain(m.sex)}
        for m in household.members
    ]
    data["resources"] = [{"kind": r.kind.value, "monthly_amount": str(r.monthly_amount)} for r in household.resources]
    data["related_landlords"] = [link.landlord_id for link in household.owner_links]
    proposals = session.scalars(select(Proposal).where(Proposal.household_id == household.id).order_by(Proposal.id))
    data["proposals"] = [
        {
            "id": p.id,
            "unit_id": p.unit_id,
            "status": p.status.value,
            "decline_reason": _plain(p.decline_reason),
            "created_at": _plain(p.created_at),
            "snapshot": p.snapshot,
        }
        for p in proposals
    ]
    audit(session, actor=by, action="household.export", object_type="household", object_id=household.id)
    return data


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if value is None or isinstance(value, bool | int | str | list | dict):
        return value
    return str(value)


PERSONAL_FIELDS = (
    "contact_name",
    "contact_phone",
    "contact_email",
    "situation_since",
    "tax_income",
    "tax_income_year",
    "needed_by",
    "parked_until",
    "parked_reason",
    "diagnostic_conclusion",
    "support_kind",
    "referent_name",
    "referent_organisation",
    "referent_email",
    "referent_phone",
    "consent_on",
    "consent_scope",
    "closed_reason",
)


def anonymise_household(session: Session, household: Household, *, by: User | None) -> None:
    """Strip every personal field of a closed file; keep only what statistics need (status, dates, size)."""
    for name in PERSONAL_FIELDS:
        setattr(household, name, None)
    household.siao_reference = f"anonymise-{household.id}"
    household.priority_flags = []
    household.needs = []
    household.wished_communes = []
    household.places = []
    household.couple = False
    household.disability_card = False
    household.prefers_low_floor = False
    household.members = []
    household.resources = []
    household.owner_links = []
    household.anonymised_at = utcnow()
    session.execute(delete(HousingBenefitEstimate).where(HousingBenefitEstimate.household_id == household.id))
    for proposal in session.scalars(select(Proposal).where(Proposal.household_id == household.id)):
        proposal.snapshot = {}
        proposal.decline_note = None
        for event in proposal.events:
            event.note = None
    audit(session, actor=by, action="household.anonymise", object_type="household", object_id=household.id)


def audit_list_view(session: Session, *, by: User, count: int) -> None:
    audit(session, actor=by, action="household.list", object_type="household", object_id=None, shown=count)
