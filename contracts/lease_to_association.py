"""Bail à l'association: the owner lets the unit to the association, which sub-lets it (Code civil; PDF).

The promise this document carries (domain.md §2): the association pays rent and charges every month, even when
the unit is vacant or the occupant does not pay, and gives the unit back restored at no cost to the owner. A
bail glissant adds the sliding clause: the occupant may become the owner's direct tenant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from contracts.agreement_layout import Convention, Party, SignatureRecord, Story, UnitDescription, render
from contracts.mandate import duration_text, unit_rows
from contracts.typography import date_in_words, money


@dataclass(frozen=True)
class LeaseToAssociationDocument:
    reference: str
    owner: Party  # le bailleur
    association: Party  # le preneur
    unit: UnitDescription
    rent: Decimal
    charges: Decimal
    duration_months: int
    starts_on: date
    last_day: date
    place: str
    issued_on: date
    sliding_clause: bool = False
    review_months: int | None = None  # bail glissant: how often the slide is reviewed
    convention: Convention | None = None
    signature: SignatureRecord | None = None


def render_lease_to_association(doc: LeaseToAssociationDocument) -> bytes:
    """The lease from the owner to the association as PDF bytes (same document, same bytes)."""
    story = Story()
    story.header(
        "Bail à l'association" + (" — bail glissant" if doc.sliding_clause else ""),
        "Location en vue de sous-location — intermédiation locative, Logement d'abord",
        f"{doc.reference} — établi le {date_in_words(doc.issued_on)} — contrat régi par les articles 1709 et "
        "suivants du Code civil",
    )
    story.parties(("Le bailleur", doc.owner, "le bailleur"), ("Le preneur", doc.association, "le preneur"))
    number = _Counter()

    story.article(number(), "Objet")
    story.para(
        "Le bailleur donne en location au preneur, qui l'accepte, le logement désigné ci-dessous, afin que le "
        "preneur le sous-loue à titre de résidence principale à des ménages en difficulté de logement. Le "
        "bailleur autorise expressément cette sous-location (article 1717 du Code civil) ainsi que le montant "
        "des redevances demandées aux occupants, qui ne peut pas dépasser le loyer et les charges du présent "
        "bail. Le présent bail relève du Code civil : le preneur, personne morale, n'y établit pas sa résidence "
        "principale, et la loi n° 89-462 du 6 juillet 1989 ne s'applique qu'aux baux des occupants."
    )
    story.facts(unit_rows(doc.unit))

    story.article(number(), "Durée")
    story.para(
        f"Le bail prend effet le {date_in_words(doc.starts_on)} pour une durée de "
        f"{duration_text(doc.duration_months)}, soit jusqu'au {date_in_words(doc.last_day)} inclus. Il se "
        "renouvelle ensuite par tacite reconduction pour la même durée, sauf congé donné par l'une des parties "
        "par lettre recommandée avec avis de réception avant son terme."
    )

    story.article(number(), "Loyer et charges garantis")
    story.facts(
        [
            ("Loyer mensuel hors charges", money(doc.rent)),
            ("Charges mensuelles", money(doc.charges)),
            ("Total payé chaque mois par le preneur", money(doc.rent + doc.charges)),
        ]
    )
    story.box(
        "Le preneur paie au bailleur le loyer et les charges chaque mois, pendant toute la durée du bail, même "
        "si le logement est vacant entre deux occupants et même si l'occupant ne paie pas sa redevance. Le "
        "bailleur n'a aucune démarche à faire auprès de l'occupant."
    )
    story.para(
        "Le loyer est révisé chaque année à la date anniversaire du bail selon l'indice de référence des loyers "
        "(IRL) publié par l'INSEE."
    )
    if doc.convention is not None:
        _convention(story, doc.convention)

    story.article(number(), "Occupation du logement")
    story.para(
        "Le preneur choisit les occupants parmi les ménages orientés par le service intégré d'accueil et "
        "d'orientation (SIAO) ou ses partenaires, leur consent une sous-location ou une convention "
        "d'occupation et assure ou fait assurer leur accompagnement social. Il n'existe aucun lien contractuel "
        "entre le bailleur et les occupants"
        + (", jusqu'au glissement du bail prévu ci-après." if doc.sliding_clause else ".")
    )

    story.article(number(), "Entretien et réparations")
    story.para(
        "Le preneur assure l'entretien courant du logement et les menues réparations ; il répond des "
        "dégradations causées par les occupants. Le bailleur garde la charge des grosses réparations "
        "(article 606 du Code civil) et délivre un logement décent (décret n° 2002-120)."
    )

    story.article(number(), "Assurances")
    story.para(
        "Le preneur assure le logement contre les risques locatifs (incendie, dégât des eaux, explosion) et sa "
        "responsabilité civile, pour lui-même et pour les occupants, et en justifie chaque année. Le bailleur "
        "assure le logement en qualité de propriétaire non occupant."
    )

    story.article(number(), "Restitution du logement")
    story.box(
        "À la fin du bail, le preneur rend le logement libre de tout occupant et remis en état à ses frais, "
        "sans aucun coût pour le bailleur, l'usure normale exceptée. Un état des lieux de sortie est comparé à "
        "l'état des lieux d'entrée établi contradictoirement à la prise d'effet du bail."
    )

    if doc.sliding_clause:
        story.article(number(), "Clause de glissement du bail")
        review = (
            f" Un point d'étape réunit le bailleur, le preneur et l'occupant tous les {doc.review_months} mois."
            if doc.review_months
            else ""
        )
        story.para(
            "Le présent bail prévoit le glissement : lorsque l'occupant est en mesure d'assumer seul les "
            "obligations d'un locataire, le bailleur s'engage à lui consentir un bail d'habitation en direct "
            "(loi n° 89-462), pour le même logement et au même loyer, dans le cadre d'une convention tripartite "
            f"entre le bailleur, le preneur et l'occupant.{review} À la date du glissement, le présent bail prend "
            "fin de plein droit pour ce logement et le preneur est déchargé de ses obligations pour l'avenir, "
            "après l'état des lieux prévu ci-dessus."
        )

    story.article(number(), "Résiliation")
    story.para(
        "En cas de manquement grave de l'une des parties, l'autre peut résilier le bail après une mise en "
        "demeure restée sans effet. Le preneur reste tenu du loyer, des charges et de la remise en état "
        "jusqu'à la restitution effective du logement."
    )

    story.signatures(
        place=doc.place,
        left=("Le bailleur", doc.owner.name),
        right=("Le preneur", doc.association.name),
        signature=doc.signature,
    )
    return render(
        story,
        title=f"Bail à l'association — {doc.reference}",
        footer=f"Bail à l'association — {doc.reference} — {doc.owner.name} / {doc.association.name}",
        initials="Paraphes :  bailleur ________   preneur ________",
        issued_on=doc.issued_on,
        author=doc.association.name,
    )


class _Counter:
    """Article numbers, since the sliding clause is present only in a bail glissant."""

    def __init__(self) -> None:
        self.value = 0

    def __call__(self) -> int:
        self.value += 1
        return self.value


def _convention(story: Story, convention: Convention) -> None:
    story.para(
        f"Le logement est loué sous convention Loc'Avantages, niveau {convention.level_label}, pour "
        f"{convention.years} ans. Le loyer ne dépasse pas le plafond de la convention : "
        f"{money(convention.rent_cap)} par mois hors charges au {date_in_words(convention.cap_on)}. Le bailleur "
        f"dépose la demande de convention auprès de l'Anah dans les {convention.request_deadline_months} mois "
        "suivant la prise d'effet du bail ; le preneur l'y aide et lui fournit les pièces utiles."
    )
