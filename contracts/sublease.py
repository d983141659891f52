"""Contrat de sous-location (convention d'occupation), association → household (frozen dataclass → PDF).

Within the main lease's limits (art. 8 loi n° 89-462): the owner has authorised the sub-lease and its price in
writing, the occupant receives that authorisation and a copy of the main lease, the redevance per m² does not
exceed the main rent per m², and the occupation ends with the main lease at the latest. A bail glissant adds
the sliding article: reviews with the owner, the association and the household, then a direct lease.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from contracts.agreement_layout import Convention, Party, Story, UnitDescription, fit_footer, render
from contracts.mandate import duration_text, unit_rows
from contracts.residential_lease import (
    QUARTERS,
    LeaseSignature,
    day_of_month,
    lower_first,
    names,
    signature_note,
)
from contracts.typography import date_in_words, money

# Annexed when the operation names no annex of its own (the authorisation and the main lease always are).
DEFAULT_ANNEXES = (
    "État des lieux d'entrée",
    "Dossier de diagnostic technique (dont le diagnostic de performance énergétique)",
)


@dataclass(frozen=True)
class MainLeaseMention:
    """The lease owner → association the sub-lease depends on."""

    reference: str
    starts_on: date
    last_day: date
    rent: Decimal  # monthly, charges excluded
    charges: Decimal


@dataclass(frozen=True)
class SupportMention:
    """The social support that goes with the occupation (domain.md: diagnostic first, free consent)."""

    kind: str | None  # « accompagnement vers et dans le logement (AVDL) »
    intensity: str  # « renforcé », « soutenu », « léger »…
    referent: str | None  # organisation and/or person
    consent_on: date | None


@dataclass(frozen=True, kw_only=True)
class SubleaseDocument:
    reference: str  # « Sous-location n° 7 »
    association: Party
    occupants: tuple[str, ...]
    owner_name: str
    main_lease: MainLeaseMention
    unit: UnitDescription
    starts_on: date
    duration_months: int = 18
    last_day: date
    rent: Decimal  # redevance, charges excluded
    charges: Decimal
    charges_method: str
    deposit: Decimal
    payment_day: int
    support: SupportMention
    sliding: bool = False
    review_months: int | None = None  # bail glissant: a review every N months
    convention: Convention | None = None
    irl_quarter: int
    place: str
    issued_on: date
    signature: LeaseSignature | None = None
    annexes: tuple[str, ...] = ()  # état des lieux, diagnostics…; empty: DEFAULT_ANNEXES

    def __post_init__(self) -> None:
        if not self.occupants:
            raise ValueError("a sub-lease needs at least one occupant")
        if not 1 <= self.irl_quarter <= 4:
            raise ValueError(f"irl_quarter must be 1 to 4, not {self.irl_quarter}")
        # Art. 8 loi 89-462: never beyond the main lease, never above its rent (same unit, so same surface).
        if self.last_day > self.main_lease.last_day:
            raise ValueError("the sub-lease cannot outlast the main lease")
        if self.rent > self.main_lease.rent:
            raise ValueError("the redevance cannot exceed the main lease's rent")


def render_sublease(doc: SubleaseDocument) -> bytes:
    """The sub-lease as PDF bytes (same document, same bytes)."""
    story = Story()
    story.header(
        "Contrat de sous-location" + (" — bail glissant" if doc.sliding else ""),
        "Convention d'occupation d'un logement loué par l'association — intermédiation locative",
        f"{doc.reference} — établi le {date_in_words(doc.issued_on)}",
    )
    plural = len(doc.occupants) > 1
    occupant_word = "les occupants" if plural else "l'occupant"
    story.parties(
        ("L'association", doc.association, "l'association"),
        ("Les occupants" if plural else "L'occupant", Party(names(doc.occupants)), occupant_word),
    )
    main = doc.main_lease

    story.numbered_article("Objet")
    story.para(
        f"L'association est locataire du logement désigné ci-après en vertu du bail principal ({main.reference}) "
        f"conclu avec {doc.owner_name}, propriétaire, qui a pris effet le {date_in_words(main.starts_on)} et "
        f"court jusqu'au {date_in_words(main.last_day)}. Avec l'autorisation écrite du propriétaire, qui porte "
        f"aussi sur le montant de la redevance, elle le sous-loue à {occupant_word}, à titre de résidence "
        "principale, dans les limites du bail principal (article 8 de la loi n° 89-462 du 6 juillet 1989). "
        "L'autorisation du propriétaire et la copie du bail principal sont remises à "
        f"{occupant_word} et annexées au présent contrat. {occupant_word.capitalize()} ne peu"
        f"{'vent' if plural else 't'} se prévaloir d'aucun droit à l'encontre du propriétaire ni d'aucun titre "
        "d'occupation au-delà du bail principal."
    )

    story.numbered_article("Le logement")
    story.facts(
        [row for row in unit_rows(doc.unit) if row[0] != "Usage"]
        + [("Usage", "habitation, résidence principale de l'occupant, non meublé")]
    )

    story.numbered_article("Durée")
    story.para(
        f"La sous-location prend effet le {date_in_words(doc.starts_on)} pour une durée de "
        f"{duration_text(doc.duration_months)}, soit jusqu'au {date_in_words(doc.last_day)} inclus. Elle ne peut "
        f"en aucun cas se prolonger au-delà du bail principal, qui prend fin le {date_in_words(main.last_day)}."
    )

    story.numbered_article("Redevance et charges")
    surface = doc.unit.surface_m2
    story.facts(
        [
            ("Redevance mensuelle hors charges", money(doc.rent)),
            ("Charges mensuelles", money(doc.charges)),
            ("Total mensuel", money(doc.rent + doc.charges)),
            ("Loyer du bail principal, hors charges", money(main.rent)),
        ]
    )
    story.para(
        f"Rapportée à la surface habitable, la redevance est de {money(doc.rent / surface)} par m², pour un "
        f"loyer principal de {money(main.rent / surface)} par m² : elle ne dépasse pas le loyer du bail "
        "principal (article 8 de la loi). Les charges récupérables sont payées en sus : "
        f"{lower_first(doc.charges_method)}. La redevance est révisée chaque année à la "
        f"date anniversaire du contrat selon l'indice de référence des loyers (IRL) du "
        f"{QUARTERS[doc.irl_quarter - 1]}, sans dépasser le loyer principal révisé."
    )
    if doc.convention is not None:
        convention = doc.convention
        story.para(
            f"Le logement est conventionné Loc'Avantages, niveau {convention.level_label} : la redevance respecte "
            f"le plafond de la convention, {money(convention.rent_cap)} par mois hors charges au "
            f"{date_in_words(convention.cap_on)}, y compris après révision, et les ressources du ménage "
            "respectent le plafond du niveau."
        )

    story.numbered_article("Paiement")
    story.para(
        f"La redevance et les charges sont payées à l'association mensuellement et d'avance, le "
        f"{day_of_month(doc.payment_day)} de chaque mois. L'aide personnelle au logement peut être versée "
        "directement à l'association (tiers payant) ; elle est alors déduite des sommes dues. Une quittance, ou "
        "un reçu en cas de paiement partiel, est remise gratuitement à l'occupant qui en fait la demande."
    )

    story.numbered_article("Dépôt de garantie")
    story.para(
        f"{occupant_word.capitalize()} verse{'nt' if plural else ''} un dépôt de garantie de "
        f"{money(doc.deposit)}, qui ne dépasse pas un mois de redevance hors charges. Il est restitué dans un "
        "délai d'un mois après la remise des clés si l'état des lieux de sortie est conforme à celui d'entrée, "
        "de deux mois dans le cas contraire, déduction faite des sommes restant dues et justifiées."
        if doc.deposit
        else "Aucun dépôt de garantie n'est demandé."
    )

    _support(story, doc.support, occupant_word)

    story.numbered_article("Obligations des parties")
    story.bullets(
        [
            "L'occupant paie la redevance et les charges aux termes convenus, occupe le logement à titre de "
            "résidence principale, en use paisiblement, en assure l'entretien courant et les menues réparations.",
            "L'occupant s'assure contre les risques locatifs (incendie, dégât des eaux, explosion) et en justifie "
            "à l'entrée dans les lieux puis chaque année ; il ne sous-loue pas et ne cède pas le contrat.",
            "L'association délivre un logement décent (décret n° 2002-120), fait le lien avec le propriétaire "
            "pour les réparations qui lui incombent et informe l'occupant de toute question touchant le bail "
            "principal.",
        ]
    )

    story.numbered_article("Fin de la sous-location")
    story.para(
        f"La sous-location prend fin au plus tard à la fin du bail principal, pour quelque cause que ce soit. "
        f"{occupant_word.capitalize()} peu{'vent' if plural else 't'} y mettre fin à tout moment avec un préavis "
        "d'un mois, par lettre recommandée avec avis de réception ou remise en main propre contre récépissé. "
        "L'association peut y mettre fin à son terme ou en cas de manquement grave de l'occupant resté sans "
        "effet après mise en demeure, avec un préavis de trois mois ; elle recherche alors avec l'occupant et le "
        "service intégré d'accueil et d'orientation (SIAO) une solution de logement adaptée."
    )

    if doc.sliding:
        story.numbered_article("Glissement du bail")
        every = f"tous les {doc.review_months} mois" if doc.review_months else "régulièrement"
        story.para(
            "La présente sous-location est conclue en vue d'un glissement du bail. Un point d'étape réunit "
            f"{every} le propriétaire, l'association et {occupant_word} pour faire le bilan du paiement, de "
            "l'assurance, de l'occupation du logement et de l'accompagnement, et recueillir l'avis du ménage. "
            "Lorsque les conditions fixées par la convention tripartite sont réunies, le propriétaire consent à "
            f"{occupant_word} un bail d'habitation direct (loi n° 89-462), pour le même logement et au même loyer "
            "; la sous-location prend fin la veille de sa prise d'effet."
        )

    story.numbered_article("Annexes")
    story.bullets(
        [
            "Autorisation écrite du propriétaire de sous-louer et du montant de la redevance (article 8 de la "
            "loi n° 89-462)",
            f"Copie du bail principal en cours ({main.reference})",
            *(["Convention tripartite de bail glissant"] if doc.sliding else []),
            *(doc.annexes or DEFAULT_ANNEXES),
        ]
    )

    story.signatures_many(
        place=doc.place,
        signed_on=doc.signature.signed_on if doc.signature is not None else None,
        boxes=[("Pour l'association", doc.association.name), *(("L'occupant", name) for name in doc.occupants)],
        copies=1 + len(doc.occupants),
        note=signature_note(doc.signature),
    )
    return render(
        story,
        title=f"Contrat de sous-location — {doc.reference}",
        footer=fit_footer(
            f"Contrat de sous-location — {doc.reference} — {doc.association.name} / {names(doc.occupants)}"
        ),
        initials="Paraphes :  association ________   occupant(s) ________",
        issued_on=doc.issued_on,
        author=doc.association.name,
    )


def _support(story: Story, support: SupportMention, occupant_word: str) -> None:
    story.numbered_article("Accompagnement social")
    kind = f" Dispositif : {support.kind}." if support.kind else ""
    consent = (
        f"recueilli le {date_in_words(support.consent_on)}"
        if support.consent_on is not None
        else "qui sera recueilli par écrit avant le début de l'accompagnement"
    )
    referent = (
        f"Référent de l'accompagnement : {support.referent}."
        if support.referent
        else "L'association désigne le référent de l'accompagnement et le fait connaître à l'occupant."
    )
    story.para(
        f"{occupant_word.capitalize()} bénéficie{'nt' if occupant_word.startswith('les') else ''} d'un "
        f"accompagnement social d'intensité {support.intensity}, défini à partir d'un diagnostic de la "
        f"situation du ménage et mis en œuvre avec son libre consentement, {consent}.{kind} Il porte sur "
        "l'installation dans le logement, l'accès aux droits, la gestion du budget et l'autonomie dans le "
        f"logement ; ses objectifs sont revus avec le ménage. {referent}"
    )
