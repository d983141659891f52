"""Reads for campaigns: the loader, figures per campaign, what a lead import compares with, the letters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from flask import abort
from sqlalchemy import ColumnElement, func, select
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session, selectinload

from capture.models import Campaign, CaptureCase, CaptureStage, Landlord, Unit
from capture.rules import lead_import
from contracts.campaign_letters import CampaignLetters, Letter, paragraphs
from passerelle.models import Commune, Organisation, Role, User, territory_communes

CENT = Decimal("0.01")
# A campaign letter is a first contact: it goes to the campaign's leads nobody has reached yet.
LETTER_STAGES = (CaptureStage.NEW,)
LETTER_SUBJECT = "mise en location solidaire de votre logement situé {adresse_logement}, {commune}"


def get_campaign_for_staff_or_404(session: Session, user: User, campaign_id: int) -> Campaign:
    """A campaign of the user's operator, or 404 (another operator's campaign does not exist for them)."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None or user.role is not Role.AGENCY_STAFF or campaign.organisation_id != user.organisation_id:
        abort(404)
    return campaign


# --- figures ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CampaignFigures:
    campaign: Campaign
    leads: int  # cases attributed to the campaign
    captured: int  # … that reached « accord signé »

    @property
    def cost_per_captured(self) -> Decimal | None:
        """The campaign's cost divided by the units it brought that were captured (None before the first)."""
        if not self.captured:
            return None
        return (self.campaign.cost / self.captured).quantize(CENT, rounding=ROUND_HALF_UP)


def campaign_figures(
    session: Session, *, territory_id: int | None = None, organisation_id: int | None = None
) -> list[CampaignFigures]:
    """Campaigns of a territory and/or an operator, newest first, with their lead and capture counts."""
    conditions = []
    if territory_id is not None:
        conditions.append(Campaign.territory_id == territory_id)
    if organisation_id is not None:
        conditions.append(Campaign.organisation_id == organisation_id)
    return _figures(session, *conditions)


def figures_of(session: Session, campaign: Campaign) -> CampaignFigures:
    return _figures(session, Campaign.id == campaign.id)[0]


def _figures(session: Session, *conditions: ColumnElement[bool]) -> list[CampaignFigures]:
    counts = (
        select(
            CaptureCase.campaign_id.label("campaign_id"),
            func.count().label("leads"),
            func.sum(sql_case((CaptureCase.stage == CaptureStage.SIGNED, 1), else_=0)).label("captured"),
        )
        .where(CaptureCase.campaign_id.is_not(None))
        .group_by(CaptureCase.campaign_id)
        .subquery()
    )
    query = (
        select(Campaign, func.coalesce(counts.c.leads, 0), func.coalesce(counts.c.captured, 0))
        .outerjoin(counts, counts.c.campaign_id == Campaign.id)
        .where(*conditions)
        .options(selectinload(Campaign.communes))
        .order_by(Campaign.starts_on.desc(), Campaign.id.desc())
    )
    return [
        CampaignFigures(campaign, int(leads), int(captured)) for campaign, leads, captured in session.execute(query)
    ]


def stage_counts(session: Session, campaign: Campaign) -> dict[CaptureStage, int]:
    """How many of the campaign's leads are at each stage (every stage listed, zeros included)."""
    rows = session.execute(
        select(CaptureCase.stage, func.count())
        .where(CaptureCase.campaign_id == campaign.id)
        .group_by(CaptureCase.stage)
    )
    found = {stage: int(count) for stage, count in rows}
    return {stage: found.get(stage, 0) for stage in CaptureStage}


# --- what an import compares with ------------------------------------------------------------------


def territory_communes_of(session: Session, territory_id: int | None) -> list[Commune]:
    if territory_id is None:
        return []
    return list(
        session.scalars(
            select(Commune)
            .join(territory_communes, territory_communes.c.commune_insee == Commune.insee)
            .where(territory_communes.c.territory_id == territory_id)
            .order_by(Commune.name)
        )
    )


def commune_index(session: Session, territory_id: int | None) -> lead_import.CommuneIndex:
    """The communes a lead of this territory may be in."""
    return lead_import.CommuneIndex(
        lead_import.CommuneRef(commune.insee, commune.name, commune.departement)
        for commune in territory_communes_of(session, territory_id)
    )


def followed_units(session: Session, operator_id: int) -> dict[tuple[str, str], int]:
    """The units the operator already has a case for (imported or declared), by unit key → latest case id."""
    rows = session.execute(
        select(
            CaptureCase.id,
            func.coalesce(CaptureCase.unit_address, Unit.address),
            func.coalesce(CaptureCase.commune_insee, Unit.commune_insee),
        )
        .outerjoin(Unit, Unit.id == CaptureCase.unit_id)
        .where(CaptureCase.operator_id == operator_id)
        .order_by(CaptureCase.id)
    )
    return {
        lead_import.unit_key(address, commune): case_id for case_id, address, commune in rows if address and commune
    }


def do_not_contact_owners(session: Session) -> set[tuple[str, str]]:
    """Owners who asked not to be contacted (by any operator): name and street address, normalised."""
    rows = session.execute(
        select(Landlord.name, Landlord.address).where(Landlord.do_not_contact.is_(True), Landlord.address.is_not(None))
    )
    return {lead_import.owner_key(name, address) for name, address in rows if address}


# --- letters ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LettersBatch:
    """The letters of a campaign, and the leads left out (so the page can say why there are fewer)."""

    document: CampaignLetters | None
    without_address: int
    do_not_contact: int
    case_ids: tuple[int, ...]


def campaign_letters(session: Session, campaign: Campaign, *, signatory: User, today: date) -> LettersBatch:
    """One letter per lead of the campaign not yet contacted, with a postal address and not refusing contact."""
    operator = campaign.organisation
    refusing = do_not_contact_owners(session)
    cases = session.scalars(
        select(CaptureCase)
        .where(CaptureCase.campaign_id == campaign.id, CaptureCase.stage.in_(LETTER_STAGES))
        .options(
            selectinload(CaptureCase.landlord),
            selectinload(CaptureCase.unit),
            selectinload(CaptureCase.commune),
        )
        .order_by(CaptureCase.id)
    )
    letters: list[Letter] = []
    case_ids: list[int] = []
    without_address = excluded = 0
    for case in cases:
        recipient = _recipient(case)
        if recipient is None:
            without_address += 1
            continue
        name, street, lines = recipient
        if (case.landlord is not None and case.landlord.do_not_contact) or lead_import.owner_key(
            name, street
        ) in refusing:
            excluded += 1
            continue
        unit_address = case.unit_address or (case.unit.address if case.unit else None) or ""
        letters.append(
            Letter(
                recipient_name=name,
                recipient_address_lines=lines,
                unit_address=unit_address,
                commune=case.commune.name if case.commune else "",
                reference=f"dossier n° {case.id}",
            )
        )
        case_ids.append(case.id)
    document = None
    if letters:
        document = CampaignLetters(
            operator_name=operator.name,
            operator_address_lines=_sender_lines(operator),
            operator_phone=operator.phone,
            operator_email=operator.email,
            signatory=signatory.full_name or operator.name,
            signatory_title=None,
            city=_city(operator),
            date=today,
            subject=LETTER_SUBJECT,
            body=paragraphs(campaign.letter_body or ""),
            letters=tuple(letters),
            title=f"Courriers — {campaign.name}",
        )
    return LettersBatch(document, without_address, excluded, tuple(case_ids))


def _recipient(case: CaptureCase) -> tuple[str, str, tuple[str, ...]] | None:
    """(name, street, envelope lines) of the owner, from the landlord record or the imported lead."""
    landlord = case.landlord
    if landlord is not None and landlord.address and landlord.postal_code and landlord.city:
        address = lead_import.compose_owner_address(landlord.address, landlord.postal_code, landlord.city)
        return landlord.name, landlord.address, lead_import.postal_lines(address)
    if case.contact_name and case.owner_address and "," in case.owner_address:
        street = case.owner_address.rsplit(",", 1)[0]
        return case.contact_name, street, lead_import.postal_lines(case.owner_address)
    return None


def _sender_lines(operator: Organisation) -> tuple[str, ...]:
    return tuple(part.strip() for part in (operator.address or "").split(",") if part.strip())


def _city(operator: Organisation) -> str:
    """« Arras » from « 12 rue de la Demo, 62000 Arras »; empty when the address has no postal code."""
    last = _sender_lines(operator)[-1:] or ("",)
    words = last[0].split(" ", 1)
    return words[1].strip() if len(words) == 2 and lead_import.POSTAL_CODE.fullmatch(words[0]) else ""


def communes_in(session: Session, insee_codes: Sequence[str]) -> list[Commune]:
    if not insee_codes:
        return []
    return list(session.scalars(select(Commune).where(Commune.insee.in_(list(insee_codes))).order_by(Commune.name)))
