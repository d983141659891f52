"""Campaign writes: create and update campaigns, import a list of vacant units into leads (add, flush, never commit)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from capture.models import Campaign, CampaignChannel, CaptureCase, LeadSource
from capture.operations.cases import CaptureError, open_capture_case
from capture.queries import campaigns as queries
from capture.rules import lead_import
from contracts.campaign_letters import unknown_merge_fields
from passerelle.audit import audit
from passerelle.models import Organisation, Territory, User

CENT = Decimal("0.01")
CAMPAIGN_FIELDS = ("name", "channel", "starts_on", "ends_on", "cost", "communes", "description", "letter_body")


def create_campaign(
    session: Session,
    *,
    territory: Territory,
    organisation: Organisation,
    name: str,
    channel: CampaignChannel,
    starts_on: date,
    ends_on: date,
    cost: Decimal,
    communes: Sequence[str],
    letter_body: str | None = None,
    description: str | None = None,
    by: User,
) -> Campaign:
    """A campaign run by an operator on some communes of its territory, over a period, at a cost."""
    if not organisation.kind.is_operator or organisation.territory_id != territory.id:
        raise CaptureError("Seul un opérateur du territoire peut mener une campagne de captation sur ce territoire.")
    campaign = Campaign(territory_id=territory.id, organisation=organisation)
    _apply(
        session,
        campaign,
        name=name,
        channel=channel,
        starts_on=starts_on,
        ends_on=ends_on,
        cost=cost,
        communes=communes,
        letter_body=letter_body,
        description=description,
    )
    session.add(campaign)
    session.flush()
    audit(
        session,
        actor=by,
        action="campaign.create",
        object_type="campaign",
        object_id=campaign.id,
        name=campaign.name,
        channel=campaign.channel.value,
        cost=campaign.cost,
        communes=[commune.insee for commune in campaign.communes],
    )
    return campaign


def update_campaign(session: Session, campaign: Campaign, *, by: User, **fields: object) -> Campaign:
    """Change any of the campaign's fields (name, channel, period, cost, communes, description, letter)."""
    unknown = set(fields) - set(CAMPAIGN_FIELDS)
    if unknown:
        raise TypeError(f"unexpected campaign field(s) {sorted(unknown)}")
    before = _snapshot(campaign)
    _apply(session, campaign, **{**before, **fields})
    session.flush()
    after = _snapshot(campaign)
    changed = sorted(key for key in CAMPAIGN_FIELDS if before[key] != after[key])
    if changed:
        audit(
            session,
            actor=by,
            action="campaign.update",
            object_type="campaign",
            object_id=campaign.id,
            changed=changed,
            **{key: after[key] for key in changed if key not in ("letter_body", "description")},
        )
    return campaign


def _snapshot(campaign: Campaign) -> dict[str, object]:
    return {
        "name": campaign.name,
        "channel": campaign.channel,
        "starts_on": campaign.starts_on,
        "ends_on": campaign.ends_on,
        "cost": campaign.cost,
        "communes": sorted(commune.insee for commune in campaign.communes),
        "description": campaign.description,
        "letter_body": campaign.letter_body,
    }


def _apply(session: Session, campaign: Campaign, **values: object) -> None:
    """Check every value, then set them all (a refused value changes nothing)."""
    name = str(values["name"] or "").strip()
    starts_on, ends_on, cost = values["starts_on"], values["ends_on"], values["cost"]
    assert isinstance(starts_on, date) and isinstance(ends_on, date)
    if not name or len(name) > 200:
        raise CaptureError("Donnez à la campagne un nom de 200 caractères au plus.")
    if ends_on < starts_on:
        raise CaptureError("La fin de la campagne ne peut pas précéder son début.")
    if not isinstance(cost, Decimal) or not cost.is_finite() or cost < 0 or cost >= Decimal("1e10"):
        raise CaptureError("Le coût de la campagne est un montant positif ou nul, en euros.")
    letter_body = (str(values["letter_body"] or "")).strip() or None
    unknown = unknown_merge_fields(letter_body or "")
    if unknown:
        raise CaptureError(
            f"Champ(s) de fusion inconnu(s) dans le courrier : {', '.join(unknown)}. "
            "Champs possibles : {nom}, {adresse_logement}, {commune}."
        )
    communes = values["communes"] or ()
    assert isinstance(communes, list | tuple)
    insee_codes = sorted({str(code) for code in communes})
    allowed = {commune.insee: commune for commune in queries.territory_communes_of(session, campaign.territory_id)}
    outside = [code for code in insee_codes if code not in allowed]
    if outside:
        raise CaptureError(f"Commune(s) hors du territoire : {', '.join(outside)}.")
    if not insee_codes:
        raise CaptureError("Choisissez au moins une commune ciblée par la campagne.")
    campaign.name = name
    campaign.channel = CampaignChannel(str(values["channel"]))
    campaign.starts_on, campaign.ends_on = starts_on, ends_on
    campaign.cost = cost.quantize(CENT)
    campaign.communes = [allowed[code] for code in insee_codes]
    campaign.description = (str(values["description"] or "")).strip() or None
    campaign.letter_body = letter_body


def import_leads(
    session: Session,
    *,
    operator: Organisation,
    file: lead_import.LeadFile,
    by: User,
    today: date,
    campaign: Campaign | None = None,
    source: LeadSource | None = None,
) -> lead_import.LeadImportReport:
    """Turn a list of vacant units into leads of the operator: all of them or, if one line is rejected, none.

    Owners who asked not to be contacted are left out and units the operator already follows are skipped:
    both are reported, neither stops the import. Each lead is a case at « nouveau », due for action today.
    """
    if campaign is not None and campaign.organisation_id != operator.id:
        raise CaptureError("Cette campagne est menée par un autre opérateur.")
    source = source or (LeadSource.CAMPAIGN if campaign is not None else LeadSource.PARTNER)
    if source is LeadSource.CAMPAIGN and campaign is None:
        raise CaptureError("Des pistes d'origine « Campagne » doivent être rattachées à une campagne.")
    report = lead_import.check_leads(
        file,
        communes=queries.commune_index(session, operator.territory_id),
        followed=queries.followed_units(session, operator.id),
        do_not_contact=queries.do_not_contact_owners(session),
    )
    if not report.imported:
        return report
    # A savepoint: should anything fail half-way, the cases already added go with it.
    with session.begin_nested():
        for lead in report.leads:
            _open_lead(session, lead, operator=operator, campaign=campaign, source=source, by=by, today=today)
    report.created = len(report.leads)
    audit(
        session,
        actor=by,
        action="capture_case.import",
        object_type="campaign" if campaign is not None else "organisation",
        object_id=campaign.id if campaign is not None else operator.id,
        source=source.value,
        file=file.name,
        lines=report.lines,
        created=report.created,
        excluded=len(report.excluded),
        already_followed=len(report.already_followed),
    )
    return report


def _open_lead(
    session: Session,
    lead: lead_import.Lead,
    *,
    operator: Organisation,
    campaign: Campaign | None,
    source: LeadSource,
    by: User,
    today: date,
) -> CaptureCase:
    case = open_capture_case(
        session,
        operator=operator,
        source=source,
        by=by,
        commune_insee=lead.commune_insee,
        contact={"name": lead.owner_name},
    )
    case.campaign_id = campaign.id if campaign is not None else None
    case.owner_address = lead.owner_address
    case.unit_address = lead.unit_address
    case.vacancy_months = lead.vacancy_months
    case.next_action_on = today
    return case
