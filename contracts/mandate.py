"""Mandat de gestion: the owner entrusts the management of a unit to the operator (frozen dataclass → PDF)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from contracts.agreement_layout import Convention, Party, SignatureRecord, Story, UnitDescription, render
from contracts.typography import date_in_words, money, number, percent


@dataclass(frozen=True)
class MandateDocument:
    reference: str  # « Accord n° 12 »
    owner: Party  # le mandant
    operator: Party  # le mandataire
    unit: UnitDescription
    rent: Decimal  # monthly, charges excluded
    charges: Decimal  # monthly provision
    fee_rate: Decimal  # share of the rent collected (0.07 for 7 %)
    duration_months: int
    starts_on: date
    last_day: date  # last day of the initial term
    place: str  # « Fait à … »
    issued_on: date  # the document's date (also its PDF creation date)
    convention: Convention | None = None
    signature: SignatureRecord | None = None


def duration_text(months: int) -> str:
    years, rest = divmod(months, 12)
    if rest == 0:
        return f"{months} mois ({years} an{'s' if years > 1 else ''})"
    return f"{months} mois"


def unit_rows(unit: UnitDescription) -> list[tuple[str, str]]:
    rows = [
        ("Adresse", ", ".join(unit.address_lines)),
        ("Surface habitable", f"{number(unit.surface_m2)} m²"),
    ]
    if unit.annexes_m2:
        rows.append(("Annexes à usage privatif", f"{number(unit.annexes_m2)} m²"))
    if unit.rooms:
        rows.append(("Pièces principales", str(unit.rooms)))
    if unit.dpe_class:
        rows.append(("Classe énergie (DPE)", unit.dpe_class))
    rows.append(("Usage", "habitation, résidence principale du locataire, loué non meublé"))
    return rows


def render_mandate(doc: MandateDocument) -> bytes:
    """The management mandate as PDF bytes (same document, same bytes)."""
    story = Story()
    story.header(
        "Mandat de gestion locative",
        "Intermédiation locative — Logement d'abord",
        f"{doc.reference} — établi le {date_in_words(doc.issued_on)}",
    )
    story.parties(("Le mandant", doc.owner, "le mandant"), ("Le mandataire", doc.operator, "le mandataire"))

    story.article(1, "Objet du mandat")
    story.para(
        "Le mandant confie au mandataire, qui l'accepte, la gestion locative du logement désigné à l'article 2, "
        "pour le louer à un ménage en difficulté de logement proposé par le mandataire, dans le cadre de "
        "l'intermédiation locative. Le mandant reste le bailleur : le bail est conclu en son nom, par "
        "l'intermédiaire du mandataire."
    )

    story.article(2, "Le logement")
    story.facts(unit_rows(doc.unit))

    story.article(3, "Mission du mandataire")
    story.para("Le mandataire agit au nom et pour le compte du mandant. Il s'engage à :")
    story.bullets(
        [
            "rechercher et proposer au mandant un ménage locataire, orienté notamment par le SIAO, dont il "
            "vérifie les ressources et la solvabilité ;",
            "rédiger le bail d'habitation (loi n° 89-462 du 6 juillet 1989) et ses annexes, et réaliser les "
            "états des lieux d'entrée et de sortie ;",
            "encaisser les loyers et les charges, délivrer les quittances et reçus, réviser le loyer et "
            "régulariser les charges dans les conditions du bail ;",
            "mettre en place avant la signature du bail la garantie Visale, ou à défaut le fonds de garantie "
            "du mandataire, et mener les démarches en cas d'impayé : relances, mise en demeure, déclaration "
            "à la garantie dans les délais, saisine des dispositifs de prévention des expulsions ;",
            "veiller à l'accompagnement social du ménage lorsqu'il est prévu, et servir d'interlocuteur au "
            "mandant à tout moment ;",
            "rendre compte de sa gestion au mandant chaque mois par un relevé de gérance, et lui reverser les "
            "sommes encaissées pour son compte, déduction faite de sa rémunération.",
        ]
    )

    story.article(4, "Loyer et charges")
    rows = [
        ("Loyer mensuel hors charges", money(doc.rent)),
        ("Provision mensuelle pour charges", money(doc.charges)),
        ("Total mensuel", money(doc.rent + doc.charges)),
    ]
    story.facts(rows)
    story.para(
        "Le loyer est révisé chaque année selon l'indice de référence des loyers (IRL) publié par l'INSEE, "
        "dans les conditions prévues au bail."
    )
    if doc.convention is not None:
        _convention(story, doc.convention)

    story.article(5, "Rémunération du mandataire")
    example = money(doc.rent * doc.fee_rate)
    story.para(
        f"Le mandataire perçoit des frais de gestion de {percent(doc.fee_rate)} des loyers hors charges "
        "effectivement encaissés, prélevés sur chaque reversement au mandant. Aucun frais n'est dû sur un loyer "
        f"non encaissé. Pour un loyer de {money(doc.rent)} encaissé en entier, les frais sont de {example} "
        "par mois."
    )

    story.article(6, "Durée et renouvellement")
    story.para(
        f"Le mandat prend effet le {date_in_words(doc.starts_on)} pour une durée de "
        f"{duration_text(doc.duration_months)}, soit jusqu'au {date_in_words(doc.last_day)} inclus. Il se "
        "renouvelle ensuite par tacite reconduction pour la même durée, sauf dénonciation par l'une des parties."
    )

    story.article(7, "Résiliation")
    story.para(
        "Chaque partie peut mettre fin au mandat à son échéance par lettre recommandée avec avis de réception. "
        "En cas de manquement grave de l'une des parties à ses obligations, l'autre peut le résilier après une "
        "mise en demeure restée sans effet. La fin du mandat ne met pas fin au bail en cours : le mandant en "
        "reprend la gestion ou la confie à un autre mandataire, et le mandataire lui remet les pièces du "
        "dossier et le solde des comptes."
    )

    story.article(8, "Engagements du mandant")
    story.bullets(
        [
            "louer un logement décent (décret n° 2002-120) et fournir les diagnostics obligatoires (dossier de "
            "diagnostic technique) ;",
            "assurer le logement en qualité de propriétaire non occupant ;",
            "réaliser les travaux qui lui incombent et informer le mandataire de toute vente ou changement de "
            "situation du logement.",
        ]
    )

    story.article(9, "Données personnelles")
    story.para(
        "Les données des parties et du ménage sont traitées par le mandataire pour l'exécution du mandat et "
        "l'intermédiation locative ; chacun peut y accéder et les faire rectifier auprès du mandataire."
    )

    story.signatures(
        place=doc.place,
        left=("Le mandant", doc.owner.name),
        right=("Le mandataire", doc.operator.name),
        signature=doc.signature,
    )
    return render(
        story,
        title=f"Mandat de gestion — {doc.reference}",
        footer=f"Mandat de gestion — {doc.reference} — {doc.owner.name} / {doc.operator.name}",
        initials="Paraphes :  mandant ________   mandataire ________",
        issued_on=doc.issued_on,
        author=doc.operator.name,
    )


def _convention(story: Story, convention: Convention) -> None:
    story.para(
        f"Le logement est loué sous convention Loc'Avantages, niveau {convention.level_label}. Le mandant "
        f"s'engage pour {convention.years} ans à louer le logement nu, comme résidence principale, à un "
        "locataire dont les ressources respectent le plafond du niveau, qui n'est ni membre de son foyer fiscal "
        "ni un ascendant ou descendant, et à un loyer ne dépassant pas le plafond de la convention : "
        f"{money(convention.rent_cap)} par mois hors charges au {date_in_words(convention.cap_on)}. La demande de "
        f"convention est déposée auprès de l'Anah dans les {convention.request_deadline_months} mois suivant la "
        "signature du premier bail ; le mandataire accompagne le mandant dans cette démarche et dans la demande "
        "de prime d'intermédiation locative lorsqu'elle est due."
    )
