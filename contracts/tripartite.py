"""Convention tripartite de bail glissant: owner, association and household agree how the sub-lease slides into
a direct loi 89 lease (frozen dataclass → PDF). domain.md §2: reviews every six months, support ≤ 24 months,
slide in principle within two years.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from reportlab.platypus import KeepTogether

from contracts.agreement_layout import Party, Story, fit_footer, render
from contracts.mandate import duration_text
from contracts.residential_lease import LeaseSignature, names, signature_note
from contracts.typography import date_in_words, money


@dataclass(frozen=True, kw_only=True)
class TripartiteDocument:
    reference: str  # « Convention tripartite n° 3 »
    owner: Party
    association: Party
    household: tuple[str, ...]
    unit_address: tuple[str, ...]
    main_lease_reference: str
    sublease_reference: str
    sublease_starts_on: date
    sublease_last_day: date
    review_months: int
    review_dates: tuple[date, ...]  # the next reviews, in order
    support_max_months: int
    slide_target_months: int
    rent: Decimal  # monthly, charges excluded: the rent of the future direct lease
    charges: Decimal
    deposit: Decimal  # paid by the household to the association
    deposit_outcome: str  # a French sentence: what becomes of the deposit at the slide
    place: str
    issued_on: date
    signature: LeaseSignature | None = None

    def __post_init__(self) -> None:
        if not self.household:
            raise ValueError("a tripartite agreement needs the household's names")


def render_tripartite(doc: TripartiteDocument) -> bytes:
    """The tripartite sliding agreement as PDF bytes (same document, same bytes)."""
    story = Story()
    story.header(
        "Convention tripartite de bail glissant",
        "Propriétaire, association et ménage — intermédiation locative, Logement d'abord",
        f"{doc.reference} — établie le {date_in_words(doc.issued_on)}",
    )
    household = names(doc.household)
    story.parties_many(
        [
            ("Le propriétaire", doc.owner, "le propriétaire"),
            ("L'association", doc.association, "l'association"),
            ("Le ménage", Party(household), "le ménage"),
        ]
    )
    address = ", ".join(doc.unit_address)

    story.numbered_article("Objet")
    story.para(
        f"Le ménage occupe le logement situé {address} en vertu du contrat de sous-location "
        f"({doc.sublease_reference}) consenti par l'association du {date_in_words(doc.sublease_starts_on)} au "
        f"{date_in_words(doc.sublease_last_day)}. L'association est elle-même locataire du logement en vertu du "
        f"bail principal ({doc.main_lease_reference}) conclu avec le propriétaire, qui prévoit le glissement. La "
        "présente convention fixe les conditions et le calendrier dans lesquels le bail « glisse » : le ménage "
        "devient le locataire direct du propriétaire, sans quitter le logement."
    )

    story.numbered_article("Conditions du glissement")
    story.para("Le glissement a lieu lorsque les conditions suivantes sont réunies :")
    story.bullets(
        [
            f"la redevance et les charges ({money(doc.rent + doc.charges)} par mois) sont payées régulièrement, "
            "ou un éventuel retard est soldé ou fait l'objet d'un plan d'apurement respecté ;",
            "le ménage est assuré contre les risques locatifs et en justifie ;",
            "le ménage occupe le logement à titre de résidence principale, l'entretient et en use paisiblement ;",
            "les objectifs de l'accompagnement social, notamment l'autonomie dans la gestion du budget et du "
            "logement, sont atteints ;",
            "le ménage souhaite devenir locataire en titre.",
        ]
    )
    story.para(
        "Lorsque ces conditions sont constatées lors d'un point d'étape, le propriétaire s'engage à consentir le "
        f"bail direct. Le glissement est visé dans les {duration_text(doc.slide_target_months)} qui suivent le "
        f"début de la sous-location, le {date_in_words(doc.sublease_starts_on)}."
    )

    story.numbered_article("Points d'étape")
    story.para(
        f"Tous les {doc.review_months} mois, un point d'étape réunit le propriétaire ou son représentant, "
        "l'association (gestion locative et référent de l'accompagnement) et le ménage, qui peut se faire "
        "assister de la personne de son choix. Il examine le paiement de la redevance et des charges, "
        "l'attestation d'assurance, l'occupation et l'entretien du logement, les progrès de l'accompagnement et "
        "l'avis du ménage lui-même. Il conclut, motifs à l'appui, au renouvellement de la sous-location, au "
        "glissement ou à la fin de l'occupation ; un compte rendu écrit est remis à chaque partie."
    )
    if doc.review_dates:
        story.para("Calendrier des prochains points d'étape :")
        story.bullets(
            f"{_ordinal(rank)} point d'étape : {date_in_words(on)}" for rank, on in enumerate(doc.review_dates, 1)
        )
        # The schedule reads as one list: never split it over two pages.
        story.items[-2:] = [KeepTogether(story.items[-2:])]
    else:
        story.para("Le calendrier des points d'étape est fixé par l'association et communiqué aux parties.")

    story.numbered_article("Ce que signifie le glissement")
    story.bullets(
        [
            "Le propriétaire consent au ménage un bail d'habitation direct soumis à la loi n° 89-462 du "
            "6 juillet 1989, pour le même logement et au même loyer : "
            f"{money(doc.rent)} hors charges et {money(doc.charges)} de charges par mois, révisables dans les "
            "conditions du bail ; sa durée est celle de l'article 10 de la loi (trois ans si le propriétaire est "
            "une personne physique, six ans s'il est une personne morale).",
            "La sous-location prend fin la veille de la prise d'effet du bail direct ; le ménage reste dans le "
            "logement sans déménager.",
            "Le bail principal prend fin pour ce logement à la même date. Après un état des lieux établi "
            "contradictoirement, l'association est déchargée pour l'avenir de ses obligations envers le "
            "propriétaire, dont la garantie du loyer ; elle reste tenue des sommes nées avant le glissement.",
        ]
    )

    story.numbered_article("Dépôt de garantie")
    story.para(
        f"Le ménage a versé à l'association un dépôt de garantie de {money(doc.deposit)}. {doc.deposit_outcome}"
        if doc.deposit
        else f"Le ménage n'a pas versé de dépôt de garantie à l'association. {doc.deposit_outcome}"
    )

    story.numbered_article("Si le glissement n'a pas lieu")
    story.para(
        "Si les conditions ne sont pas réunies au terme de la sous-location, celle-ci peut être renouvelée, "
        f"l'accompagnement social ne dépassant pas {duration_text(doc.support_max_months)} au total. Si le "
        "glissement n'est plus envisagé, l'occupation prend fin au terme de la sous-location ; l'association "
        "recherche alors avec le ménage et le service intégré d'accueil et d'orientation (SIAO) une solution de "
        "relogement adaptée, et le propriétaire retrouve l'association comme seule interlocutrice."
    )

    story.numbered_article("Durée")
    story.para(
        "La présente convention prend effet à sa signature. Elle prend fin à la date du glissement du bail, ou à "
        "la fin de la sous-location lorsque le glissement n'a pas lieu."
    )

    story.numbered_article("Confidentialité")
    story.para(
        "Les informations partagées aux points d'étape se limitent à ce qui est nécessaire pour apprécier les "
        "conditions du glissement ; le contenu de l'accompagnement social reste confidentiel entre le ménage et "
        "l'association."
    )

    story.signatures_many(
        place=doc.place,
        signed_on=doc.signature.signed_on if doc.signature is not None else None,
        boxes=[
            ("Le propriétaire", doc.owner.name),
            ("Pour l'association", doc.association.name),
            ("Le ménage", household),
        ],
        copies=3,
        note=signature_note(doc.signature),
    )
    return render(
        story,
        title=f"Convention tripartite de bail glissant — {doc.reference}",
        footer=fit_footer(f"Bail glissant — {doc.reference} — {doc.owner.name} / {doc.association.name}"),
        initials="Paraphes :  propriétaire ________   association ________   ménage ________",
        issued_on=doc.issued_on,
        author=doc.association.name,
    )


def _ordinal(rank: int) -> str:
    return "1er" if rank == 1 else f"{rank}e"
