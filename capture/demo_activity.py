"""Demo: a believable year of capture activity in the demo territory, and ``--scale N`` more cases over 5 years.

Everything is invented: names come from short lists of common French first and last names, phone numbers from
the range ARCEP keeps for fiction (06 39 98 xx xx), e-mails end in ``.test``, IP addresses are documentation
ones (192.0.2.0/24). The same seed gives the same data for a given day. Rows are written with bulk inserts so
that 50,000 cases and their history take seconds, on SQLite as on PostgreSQL. Running it twice adds nothing.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from capture.models import (
    ActivityKind,
    Agreement,
    Campaign,
    CampaignChannel,
    CaptureActivity,
    CaptureCase,
    CaptureStage,
    CaptureStageChange,
    ConventionLevel,
    DeclarationStatus,
    Heating,
    IMLMode,
    Landlord,
    LandlordKind,
    LeadSource,
    SignatureMethod,
    StockEntry,
    StockStatus,
    Unit,
    campaign_communes,
)
from capture.operations.targets import set_targets
from capture.rules.pipeline import LOST_REASONS
from passerelle import demo_data
from passerelle.audit import audit
from passerelle.demo import DemoContext, bulk_insert, scale_done
from passerelle.models import Organisation, Territory, User
from passerelle.reference.queries import parameter_at

PARIS = ZoneInfo("Europe/Paris")
SEED = "passerelle-demo-captation"
BASE_CASES = 130  # the year told by the dashboard
SCALE_YEARS = 5
CHUNK = 5_000
SCALE_MARKER = "demo.capture_activity_scale"

FIRST_NAMES = (
    "Marie", "Jean", "Nathalie", "Philippe", "Isabelle", "Michel", "Sylvie", "Alain", "Catherine", "Patrick",
    "Martine", "Nicolas", "Christine", "Christophe", "Sandrine", "Pierre", "Valérie", "Laurent", "Céline", "Éric",
    "Sophie", "Thierry", "Stéphanie", "Frédéric", "Véronique", "Olivier", "Nadia", "Mohamed", "Karine", "Bernard",
)  # fmt: skip
LAST_NAMES = (
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
    "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier",
    "Morel", "Girard", "Andre", "Lefèvre", "Mercier", "Dupont", "Lambert", "Bonnet", "François", "Martinez",
    "Legrand", "Garnier", "Faure", "Rousseau", "Blanc", "Guerin", "Muller", "Henry", "Roussel", "Nicolas",
)  # fmt: skip
STREETS = (
    "rue Victor Hugo", "rue de la République", "rue Jean Jaurès", "avenue du Maréchal Foch", "rue Pasteur",
    "rue des Écoles", "rue de l'Église", "place de la Mairie", "rue du Moulin", "rue des Tilleuls",
    "rue Gambetta", "rue de la Gare", "boulevard Carnot", "rue des Jardins", "rue du Général de Gaulle",
    "impasse des Lilas", "rue Saint-Michel", "rue de Paris", "rue des Rosiers", "chemin des Prés",
)  # fmt: skip
# Postal codes of the demo territory's communes (La Poste), for believable addresses.
POSTAL_CODES = {
    "62041": "62000", "62263": "62000", "62817": "62217", "62869": "62217", "62097": "62123", "62712": "62173",
    "62611": "62217", "62172": "62128", "62428": "62128", "62085": "62123", "62152": "62175", "62761": "62128",
}  # fmt: skip

# stage -> (probability of moving on, delay in days (min, max), lost reasons with weights)
STEPS: dict[CaptureStage, tuple[float, tuple[int, int], dict[str, int]]] = {
    CaptureStage.NEW: (0.88, (2, 15), {"no_answer": 7, "other": 2, "prefers_to_sell": 1}),
    CaptureStage.CONTACTED: (0.72, (7, 40), {"rent_level": 35, "prefers_to_sell": 30, "no_answer": 20, "other": 15}),
    CaptureStage.VISIT_PLANNED: (0.88, (5, 25), {"no_answer": 5, "other": 5}),
    CaptureStage.VISITED: (0.78, (7, 35), {"not_decent": 40, "works_too_costly": 45, "other": 15}),
    CaptureStage.PROPOSAL_SENT: (0.72, (10, 50), {"rent_level": 50, "prefers_to_sell": 30, "other": 20}),
}
NEXT = {
    CaptureStage.NEW: CaptureStage.CONTACTED,
    CaptureStage.CONTACTED: CaptureStage.VISIT_PLANNED,
    CaptureStage.VISIT_PLANNED: CaptureStage.VISITED,
    CaptureStage.VISITED: CaptureStage.PROPOSAL_SENT,
    CaptureStage.PROPOSAL_SENT: CaptureStage.SIGNED,
}
ACTIVITY = {
    CaptureStage.CONTACTED: (ActivityKind.CALL, "Premier appel : présentation de l'intermédiation locative."),
    CaptureStage.VISIT_PLANNED: (ActivityKind.CALL, "Visite du logement fixée avec le propriétaire."),
    CaptureStage.VISITED: (ActivityKind.VISIT, "Visite réalisée : surfaces relevées, grille de décence remplie."),
    CaptureStage.PROPOSAL_SENT: (ActivityKind.EMAIL, "Proposition envoyée : formule, niveau et loyer proposés."),
    CaptureStage.SIGNED: (ActivityKind.NOTE, "Accord signé, logement mis à disposition."),
    CaptureStage.PAUSED: (ActivityKind.NOTE, "Dossier mis en pause à la demande du propriétaire."),
}
SOURCES = {
    LeadSource.PORTAL: 30,
    LeadSource.CALLBACK: 18,
    LeadSource.PHONE: 15,
    LeadSource.OFFICE_HOURS: 10,
    LeadSource.PARTNER: 17,
}
MODES = {IMLMode.MANDATE: 33, IMLMode.SUBLEASE: 48, IMLMode.BAIL_GLISSANT: 19}
# Every case row carries the same keys, so that each table is written in one batched statement.
CASE_DEFAULTS: dict[str, Any] = dict.fromkeys(
    (
        "landlord_id", "unit_id", "contact_name", "contact_phone", "contact_email", "owner_address", "unit_address",
        "vacancy_months", "lost_reason", "stage_before_pause", "paused_until", "next_action_on", "campaign_id",
    )
)  # fmt: skip
LEVELS = {ConventionLevel.LOC1: 20, ConventionLevel.LOC2: 50, ConventionLevel.LOC3: 25, ConventionLevel.NONE: 5}


@dataclass(frozen=True)
class CampaignSpec:
    name: str
    channel: CampaignChannel
    starts_on: date
    ends_on: date
    cost: Decimal
    runner: str  # metropolis | ais | association
    leads: int


@dataclass
class World:
    """What the generator draws from: the territory's operators, staff, communes and rents."""

    context: DemoContext
    now: datetime
    communes: list[str]
    weights: list[int]
    rents: dict[str, Decimal]
    discounts: dict[ConventionLevel, Decimal]
    staff: dict[int, int | None]  # operator id -> staff user id
    campaigns: list[tuple[int, CampaignChannel, date, date]] = field(default_factory=list)

    def operator_for(self, mode: IMLMode) -> Organisation:
        # The demo's routing: mandates to the AIS, sous-location and bail glissant to the association.
        return self.context.ais if mode is IMLMode.MANDATE else self.context.association


@dataclass
class CasePlan:
    case: dict[str, Any]
    landlord: dict[str, Any] | None
    unit: dict[str, Any] | None
    changes: list[tuple[CaptureStage | None, CaptureStage, datetime]]
    activities: list[tuple[ActivityKind, date, str]]
    agreement: dict[str, Any] | None


def seed_activity(context: DemoContext) -> None:
    """Seed the demo year once, then add cases until ``context.scale`` extra cases exist."""
    session = context.session
    world = _world(context)
    rng = random.Random(SEED)
    base = _base_campaigns(world.now.astimezone(PARIS).date())
    if not _exists(session, Campaign, Campaign.name == base[0].name, Campaign.territory_id == context.territory.id):
        context.echo("Captation : une année d'activité (campagnes, dossiers, accords, objectifs)…")
        _seed_base_year(session, world, rng, base)
    if context.scale > 0:
        done = scale_done(session, context.territory, SCALE_MARKER, "cases")
        if context.scale > done:
            _seed_scale(session, world, random.Random(f"{SEED}-{done}"), context.scale - done)
    session.flush()


def demo_context(session: Session, *, scale: int = 0, echo: Any = None) -> DemoContext:
    """The context ``passerelle demo`` hands to each package, read back from a seeded database (bench, tests)."""
    from passerelle.demo import DEMO_ACCOUNTS, ORGANISATIONS

    territory = session.scalar(select(Territory).where(Territory.epci_code == demo_data.CUA_EPCI))
    if territory is None:
        raise LookupError("Démonstration absente : lancez d'abord « passerelle demo ».")
    organisations = {
        key: session.scalar(
            select(Organisation).where(Organisation.territory_id == territory.id, Organisation.name == fields["name"])
        )
        for key, fields in ORGANISATIONS.items()
    }
    accounts = {key: session.scalar(select(User).where(User.email == email)) for key, email, *_rest in DEMO_ACCOUNTS}
    context = DemoContext(
        session=session,
        scale=scale,
        territory=territory,
        ais=organisations["ais"],  # type: ignore[arg-type]
        association=organisations["association"],  # type: ignore[arg-type]
        metropolis=organisations["metropolis"],  # type: ignore[arg-type]
        accounts={key: user for key, user in accounts.items() if user is not None},
    )
    if echo is not None:
        context.echo = echo
    return context


def _exists(session: Session, model: Any, *conditions: Any) -> bool:
    return session.scalar(select(func.count()).select_from(model).where(*conditions)) != 0


def _world(context: DemoContext) -> World:
    session = context.session
    today = date.today()
    communes = sorted(c.insee for c in context.territory.communes)
    rented = [insee for insee, *_rest in demo_data.CUA_RENTS if insee in communes]
    communes = rented or communes
    staff = {}
    for key, operator in (("staff_ais", context.ais), ("staff_asso", context.association)):
        user = context.accounts.get(key)
        staff[operator.id] = user.id if user is not None else None
    discounts = {}
    for level in (ConventionLevel.LOC1, ConventionLevel.LOC2, ConventionLevel.LOC3):
        value = parameter_at(session, f"locavantages.discount.{level.value}", today).value
        assert isinstance(value, Decimal)
        discounts[level] = value
    discounts[ConventionLevel.NONE] = Decimal(0)
    return World(
        context=context,
        now=datetime.now(UTC),
        communes=communes,
        weights=[12 if insee == "62041" else 1 for insee in communes],
        rents={insee: rent for insee, _name, rent, *_rest in demo_data.CUA_RENTS},
        discounts=discounts,
        staff=staff,
    )


# --- the demo year -------------------------------------------------------------------------------------------


def _base_campaigns(today: date) -> list[CampaignSpec]:
    """Three campaigns over the 13 months before today: social media, then letters, then posters."""
    start = today - timedelta(days=395)
    return [
        CampaignSpec(
            "Courriers aux propriétaires de logements vacants (fichier des logements vacants)",
            CampaignChannel.LETTERS, start + timedelta(days=100), start + timedelta(days=160),
            Decimal("4200.00"), "metropolis", 22,
        ),
        CampaignSpec(
            "Réseaux sociaux « Propriétaires solidaires »",
            CampaignChannel.SOCIAL_MEDIA, start + timedelta(days=10), start + timedelta(days=70),
            Decimal("2400.00"), "association", 10,
        ),
        CampaignSpec(
            "Affichage en mairies et commerces « Louez solidaire »",
            CampaignChannel.POSTERS, start + timedelta(days=220), start + timedelta(days=300),
            Decimal("1850.00"), "ais", 10,
        ),
    ]  # fmt: skip


def _seed_base_year(session: Session, world: World, rng: random.Random, specs: list[CampaignSpec]) -> None:
    context = world.context
    today = world.now.astimezone(PARIS).date()
    plans = []
    for spec, campaign_id in zip(specs, _add_campaigns(session, world, specs, rng), strict=True):
        for _ in range(spec.leads):
            opened = spec.starts_on + timedelta(days=rng.randint(0, (spec.ends_on - spec.starts_on).days + 20))
            if opened < today:
                plans.append(_plan_case(rng, world, opened, LeadSource.CAMPAIGN, (campaign_id, spec.channel)))
    first = today - timedelta(days=395)
    for _ in range(BASE_CASES - len(plans)):
        opened = first + timedelta(days=rng.randint(0, 394))
        plans.append(_plan_case(rng, world, opened, _pick(rng, SOURCES), None))
    _insert(session, plans)
    signed_this_year = sum(
        1 for p in plans if p.changes[-1][1] is CaptureStage.SIGNED and p.changes[-1][2].year == today.year
    )
    # Targets a little above this year's pace, so that the dashboard has something to say.
    factor = Decimal(1) + Decimal(context.scale) / (SCALE_YEARS * BASE_CASES)
    total = int((Decimal(max(signed_this_year, 20)) * Decimal("1.6") * factor).to_integral_value())
    set_targets(
        session,
        context.territory,
        today.year,
        total=total,
        by_mode={IMLMode.MANDATE: total // 2, IMLMode.SUBLEASE: total * 7 // 20, IMLMode.BAIL_GLISSANT: total // 7},
        by_level={ConventionLevel.LOC1: total // 5, ConventionLevel.LOC2: total // 2, ConventionLevel.LOC3: total // 4},
        by_operator={context.ais.id: total // 2, context.association.id: total - total // 2},
        mandate_share=Decimal("0.5"),
        by=context.accounts["metro"],
    )


def _add_campaigns(session: Session, world: World, specs: Sequence[CampaignSpec], rng: random.Random) -> list[int]:
    context = world.context
    runners = {"metropolis": context.metropolis, "ais": context.ais, "association": context.association}
    ids = []
    for spec in specs:
        existing = session.scalar(
            select(Campaign.id).where(Campaign.territory_id == context.territory.id, Campaign.name == spec.name)
        )
        if existing is None:
            campaign = Campaign(
                territory_id=context.territory.id,
                organisation_id=runners[spec.runner].id,
                name=spec.name,
                channel=spec.channel,
                starts_on=spec.starts_on,
                ends_on=spec.ends_on,
                cost=spec.cost,
                description=f"Campagne {spec.channel.label.lower()} sur une partie des communes du territoire.",
            )
            session.add(campaign)
            session.flush()
            targeted = rng.sample(world.communes, k=min(len(world.communes), 4))
            session.execute(
                insert(campaign_communes), [{"campaign_id": campaign.id, "commune_insee": c} for c in targeted]
            )
            existing = campaign.id
        ids.append(existing)
        world.campaigns.append((existing, spec.channel, spec.starts_on, spec.ends_on))
    return ids


# --- volume: N more cases over five years ----------------------------------------------------------------------


def _seed_scale(session: Session, world: World, rng: random.Random, count: int) -> None:
    context = world.context
    today = world.now.astimezone(PARIS).date()
    specs = []
    for year in range(today.year - SCALE_YEARS, today.year + 1):
        specs.append(
            CampaignSpec(
                f"Courriers aux propriétaires de logements vacants, printemps {year}",
                CampaignChannel.LETTERS,
                date(year, 3, 1),
                date(year, 4, 30),
                Decimal("5200.00"),
                "metropolis",
                0,
            )
        )
        specs.append(
            CampaignSpec(f"Réseaux sociaux « Propriétaires solidaires », automne {year}",
                         CampaignChannel.SOCIAL_MEDIA, date(year, 9, 15), date(year, 10, 31), Decimal("2600.00"),
                         "association", 0)
        )  # fmt: skip
    _add_campaigns(session, world, [s for s in specs if s.starts_on < today], rng)
    first = today - timedelta(days=365 * SCALE_YEARS)
    span = (today - first).days - 1
    written = 0
    while written < count:
        size = min(CHUNK, count - written)
        plans = []
        for _ in range(size):
            opened = first + timedelta(days=rng.randint(0, span))
            campaign = _campaign_at(world, opened) if rng.random() < 0.3 else None
            source = LeadSource.CAMPAIGN if campaign else _pick(rng, SOURCES)
            plans.append(_plan_case(rng, world, opened, source, campaign))
        _insert(session, plans)
        written += size
        context.echo(f"Captation, volume : {written} / {count} dossiers…")
    audit(
        session,
        actor=None,
        action=SCALE_MARKER,
        object_type="territory",
        object_id=context.territory.id,
        cases=count,
    )


def _campaign_at(world: World, day: date) -> tuple[int, CampaignChannel] | None:
    """The campaign a lead opened that day answers: one running, or ended less than a month before."""
    for campaign_id, channel, starts_on, ends_on in world.campaigns:
        if starts_on <= day <= ends_on + timedelta(days=30):
            return campaign_id, channel
    return None


# --- one case ------------------------------------------------------------------------------------------------


def _pick(rng: random.Random, weights: dict[Any, int]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _moment(rng: random.Random, day: date) -> datetime:
    """A working-hours moment (Paris) on that day, moved to Monday when it falls on a weekend."""
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, time(rng.randint(8, 17), rng.choice((0, 15, 30, 45))), PARIS).astimezone(UTC)


def _person(rng: random.Random) -> tuple[str, str, str]:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    ascii_name = unicodedata.normalize("NFKD", f"{first}.{last}").encode("ascii", "ignore").decode().lower()
    email = f"{ascii_name}{rng.randint(1, 99)}@proprietaires.demo.passerelle.test"
    phone = f"06 39 98 {rng.randint(0, 99):02d} {rng.randint(0, 99):02d}"  # ARCEP range kept for fiction
    return f"{first} {last}", email, phone


def _address(rng: random.Random, insee: str) -> tuple[str, str | None]:
    return f"{rng.randint(1, 140)} {rng.choice(STREETS)}", POSTAL_CODES.get(insee)


def _plan_case(
    rng: random.Random,
    world: World,
    opened: date,
    source: LeadSource,
    campaign: tuple[int, CampaignChannel] | None,
) -> CasePlan:
    mode: IMLMode = _pick(rng, MODES)
    level: ConventionLevel = _pick(rng, LEVELS)
    operator = world.operator_for(mode)
    staff_id = world.staff.get(operator.id)
    insee = rng.choices(world.communes, weights=world.weights)[0]
    opened_at = min(_moment(rng, opened), world.now - timedelta(hours=1))
    letters = campaign is not None and campaign[1] is CampaignChannel.LETTERS
    changes, state = _history(rng, opened_at, world.now, first_step=0.5 if letters else None)
    stage, extra = state
    name, email, phone = _person(rng)
    case: dict[str, Any] = {
        **CASE_DEFAULTS,
        "operator_id": operator.id,
        "owner_id": staff_id,
        "stage": stage,
        "source": source,
        "campaign_id": campaign[0] if campaign else None,
        "commune_insee": insee,
        "created_at": opened_at,
        **extra,
    }
    activities = []
    if letters:
        street, _postal = _address(rng, insee)
        case |= {
            "contact_name": name,
            "owner_address": f"{rng.randint(1, 90)} {rng.choice(STREETS)}, 59000 Lille",
            "unit_address": street,
            "vacancy_months": rng.randint(6, 60),
        }
        activities.append((ActivityKind.LETTER, opened, "Courrier de la campagne envoyé au propriétaire."))
    elif source is not LeadSource.PORTAL:
        case |= {"contact_name": name, "contact_phone": phone, "contact_email": email if rng.random() < 0.6 else None}
    reached_unit = source is LeadSource.PORTAL or any(to is CaptureStage.VISIT_PLANNED for _f, to, _a in changes)
    landlord = unit = agreement = None
    if reached_unit:
        street, postal = _address(rng, insee)
        kind = _pick(rng, {LandlordKind.PERSON: 85, LandlordKind.FAMILY_SCI: 8, LandlordKind.INDIVISION: 7})
        landlord = {
            "kind": kind,
            "name": name
            if kind is LandlordKind.PERSON
            else f"{'SCI' if kind is LandlordKind.FAMILY_SCI else 'Indivision'} {name.split()[-1]}",
            "representative": None if kind is LandlordKind.PERSON else name,
            "email": email,
            "phone": phone,
            "address": f"{rng.randint(1, 90)} {rng.choice(STREETS)}",
            "postal_code": postal,
            "city": None,
            "preferred_contact": rng.choice(("email", "phone")),
            "created_at": opened_at,
        }
        surface = Decimal(rng.randint(18, 95))
        unit = {
            "status": DeclarationStatus.SUBMITTED,
            "address": street,
            "postal_code": postal,
            "commune_insee": insee,
            "surface_m2": surface,
            "annexes_m2": Decimal(rng.choice((0, 0, 0, 3, 5, 8))),
            "rooms": max(1, int(surface) // 22),
            "floor": rng.randint(0, 5),
            "heating": _pick(
                rng,
                {
                    Heating.INDIVIDUAL_GAS: 45,
                    Heating.INDIVIDUAL_ELECTRIC: 30,
                    Heating.COLLECTIVE: 15,
                    Heating.HEAT_PUMP: 10,
                },
            ),
            "dpe_class": _pick(rng, {"B": 4, "C": 18, "D": 38, "E": 28, "F": 9, "G": 3}),
            "furnished": False,
            "vacant_since": opened - timedelta(days=rng.randint(30, 900)) if rng.random() < 0.8 else None,
            "available_from": opened + timedelta(days=rng.randint(15, 90)),
            "desired_mode": mode,
            "desired_level": level,
            "created_at": opened_at,
            "submitted_at": opened_at,
        }
        if stage is CaptureStage.SIGNED:
            agreement = _agreement(rng, world, changes[-1][2], mode, level, surface, insee, name, staff_id)
    for _from_stage, to_stage, at in changes[1:]:
        if to_stage in ACTIVITY:
            kind, summary = ACTIVITY[to_stage]
            activities.append((kind, at.astimezone(PARIS).date(), summary))
        elif to_stage is CaptureStage.LOST:
            reason = LOST_REASONS[case["lost_reason"]]
            activities.append((ActivityKind.NOTE, at.astimezone(PARIS).date(), f"Dossier clos : {reason.lower()}."))
    return CasePlan(case, landlord, unit, changes, activities, agreement)


def _history(
    rng: random.Random, opened_at: datetime, now: datetime, *, first_step: float | None
) -> tuple[list[tuple[CaptureStage | None, CaptureStage, datetime]], tuple[CaptureStage, dict[str, Any]]]:
    """Walk a case through the pipeline until it is signed, lost, or its next step is still to come."""
    changes: list[tuple[CaptureStage | None, CaptureStage, datetime]] = [(None, CaptureStage.NEW, opened_at)]
    stage, at = CaptureStage.NEW, opened_at
    while True:
        chance, (low, high), reasons = STEPS[stage]
        if stage is CaptureStage.NEW and first_step is not None:
            chance = first_step
        nxt_at = _moment(rng, at.astimezone(PARIS).date() + timedelta(days=rng.randint(low, high)))
        if nxt_at > now:
            overdue = rng.random() < 0.2
            today = now.astimezone(PARIS).date()
            due = today - timedelta(days=rng.randint(1, 12)) if overdue else nxt_at.astimezone(PARIS).date()
            return changes, (stage, {"next_action_on": due})
        if rng.random() < 0.04:  # the owner asks for a pause
            until = nxt_at.astimezone(PARIS).date() + timedelta(days=rng.randint(30, 120))
            changes.append((stage, CaptureStage.PAUSED, nxt_at))
            resume = _moment(rng, until)
            if resume > now:
                return changes, (
                    CaptureStage.PAUSED,
                    {"stage_before_pause": stage, "paused_until": until, "next_action_on": until},
                )
            changes.append((CaptureStage.PAUSED, stage, resume))
            at = resume
            continue
        if rng.random() < chance:
            target = NEXT[stage]
            if stage is CaptureStage.NEW and rng.random() < 0.12:
                target = CaptureStage.VISIT_PLANNED  # a first call that fixes the visit at once
            changes.append((stage, target, nxt_at))
            if target is CaptureStage.SIGNED:
                return changes, (CaptureStage.SIGNED, {})
            stage, at = target, nxt_at
        else:
            reason = _pick(rng, reasons)
            changes.append((stage, CaptureStage.LOST, nxt_at))
            return changes, (CaptureStage.LOST, {"lost_reason": reason})


def _agreement(
    rng: random.Random,
    world: World,
    signed_at: datetime,
    mode: IMLMode,
    level: ConventionLevel,
    surface: Decimal,
    insee: str,
    signatory: str,
    staff_id: int | None,
) -> dict[str, Any]:
    if mode is not IMLMode.MANDATE and rng.random() < 0.15:
        mode = IMLMode.BAIL_GLISSANT if mode is IMLMode.SUBLEASE else IMLMode.SUBLEASE  # changed at the proposal
    market = world.rents.get(insee, Decimal("10.4"))
    rent = (surface * market * (1 - world.discounts[level]) * Decimal("0.92")).quantize(Decimal("1"))
    signed_on = signed_at.astimezone(PARIS).date()
    click = rng.random() < 0.2
    operator = world.operator_for(mode)
    return {
        "operator_id": operator.id,
        "mode": mode,
        "level": level,
        "rent": rent,
        "rent_cap": None,
        "charges": Decimal(rng.choice((25, 30, 40, 50, 60, 80))),
        "duration_months": 36 if mode is not IMLMode.BAIL_GLISSANT else 24,
        "fee_rate": operator.management_fee_rate if mode is IMLMode.MANDATE else None,
        "starts_on": signed_on + timedelta(days=rng.randint(0, 30)),
        "sliding_clause": mode is IMLMode.BAIL_GLISSANT,
        "status": "signed",
        "signed_on": signed_on,
        "signatory_name": signatory,
        "signature_method": SignatureMethod.CLICK if click else SignatureMethod.PAPER,
        "signature_ip": f"192.0.2.{rng.randint(1, 254)}" if click else None,
        "signed_at": signed_at if click else None,
        "recorded_by_id": staff_id,
        "created_at": signed_at,
    }


# --- bulk writing ------------------------------------------------------------------------------------------------


def _insert(session: Session, plans: list[CasePlan]) -> None:
    """Write the planned cases and everything they carry, one statement per table."""
    session.flush()
    landlord_ids = iter(bulk_insert(session, Landlord, [p.landlord for p in plans if p.landlord is not None], ids=True))
    for plan in plans:
        if plan.landlord is not None and plan.unit is not None:
            landlord_id = next(landlord_ids)
            plan.unit["landlord_id"] = plan.case["landlord_id"] = landlord_id
            if plan.agreement is not None:
                plan.agreement["landlord_id"] = landlord_id
    unit_ids = iter(bulk_insert(session, Unit, [p.unit for p in plans if p.unit is not None], ids=True))
    for plan in plans:
        if plan.unit is not None:
            plan.case["unit_id"] = next(unit_ids)
    case_ids = bulk_insert(session, CaptureCase, [p.case for p in plans], ids=True)
    changes, activities, agreements = [], [], []
    for case_id, plan in zip(case_ids, plans, strict=True):
        owner = plan.case["owner_id"]
        changes += [
            {"case_id": case_id, "from_stage": f, "to_stage": t, "at": at, "by_id": owner if f else None}
            for f, t, at in plan.changes
        ]
        activities += [
            {"case_id": case_id, "kind": k, "occurred_on": on, "summary": s, "author_id": owner,
             "created_at": datetime.combine(on, time(18), PARIS).astimezone(UTC)}
            for k, on, s in plan.activities
        ]  # fmt: skip
        if plan.agreement is not None:
            agreements.append({**plan.agreement, "case_id": case_id, "unit_id": plan.case["unit_id"]})
    bulk_insert(session, CaptureStageChange, changes)
    bulk_insert(session, CaptureActivity, activities)
    agreement_ids = bulk_insert(session, Agreement, agreements, ids=True)
    bulk_insert(
        session,
        StockEntry,
        [
            {
                "unit_id": a["unit_id"],
                "agreement_id": agreement_id,
                "operator_id": a["operator_id"],
                "mode": a["mode"],
                "level": a["level"],
                "rent": a["rent"],
                "charges": a["charges"],
                "available_on": a["starts_on"],
                "status": StockStatus.AVAILABLE,
                "created_at": a["created_at"],
            }
            for agreement_id, a in zip(agreement_ids, agreements, strict=True)
        ],
    )
