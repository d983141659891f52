"""Bail d'habitation loi n° 89-462, owner → household, unfurnished main residence (frozen dataclass → PDF).

Used under a mandat de gestion (the operator signs as the owner's agent) and when a bail glissant slides (the
household becomes the owner's direct tenant). Every mention of art. 3 is printed, « sans objet » included, so a
reader sees that nothing was forgotten.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from contracts.agreement_layout import Convention, Party, Story, UnitDescription, fit_footer, render
from contracts.mandate import duration_text, unit_rows
from contracts.typography import MONTHS, date_in_words, money

QUARTERS = ("1er trimestre", "2e trimestre", "3e trimestre", "4e trimestre")


@dataclass(frozen=True)
class SlideMention:
    """The bail glissant this lease comes from: the household already lives in the unit."""

    sublease_reference: str
    occupied_since: date
    tripartite_reference: str | None
    deposit_outcome: str  # a French sentence: what became of the deposit paid to the association


@dataclass(frozen=True)
class LeaseSignature:
    signed_on: date
    method_label: str  # « Signature manuscrite en agence », « Signature électronique »…
    signatories: str  # who signed, as printed: « Claire Dupont-Moreau et Amina Diallo »


@dataclass(frozen=True, kw_only=True)
class ResidentialLeaseDocument:
    reference: str  # « Bail n° 42 »
    landlord: Party
    agent: Party | None = None  # the operator, mandataire of the landlord
    agent_mandate: str | None = None  # « mandat de gestion n° 12 du 1er décembre 2026 »
    landlord_is_legal_person: bool  # art. 10: 6 years instead of 3
    tenants: tuple[str, ...]
    unit: UnitDescription
    private_parts: str | None = None  # cellar, parking… for the tenant's sole use
    common_parts: str | None = None
    equipment: str | None = None
    starts_on: date
    duration_months: int
    last_day: date
    rent: Decimal  # monthly, charges excluded
    charges: Decimal  # monthly
    charges_method: str  # « Provision mensuelle avec régularisation annuelle sur justificatifs »
    deposit: Decimal
    payment_day: int
    irl_quarter: int  # 1–4: the IRL reference quarter of the revision clause
    irl_reference: str | None = None  # « 3e trimestre 2025 : 145,77 »
    previous_rent: Decimal | None = None  # art. 3: last rent of a tenant who left less than 18 months ago
    previous_tenant_left_on: date | None = None
    rent_control: str | None = None  # reference rents where rent control applies
    works: str | None = None  # works since the last lease
    annexes: tuple[str, ...]
    convention: Convention | None = None
    slide: SlideMention | None = None
    housing_benefit_to_agent: bool = False  # tiers payant
    place: str
    issued_on: date
    signature: LeaseSignature | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.irl_quarter <= 4:
            raise ValueError(f"irl_quarter must be 1 to 4, not {self.irl_quarter}")
        if not 1 <= self.payment_day <= 31:
            raise ValueError(f"payment_day must be 1 to 31, not {self.payment_day}")
        if not self.tenants:
            raise ValueError("a lease needs at least one tenant")


def names(people: tuple[str, ...]) -> str:
    """« A », « A et B », « A, B et C »."""
    return people[0] if len(people) == 1 else f"{', '.join(people[:-1])} et {people[-1]}"


def day_of_month(day: int) -> str:
    return "1er" if day == 1 else str(day)


def signature_note(signature: LeaseSignature | None) -> str | None:
    if signature is None:
        return None
    return (
        f"Signature enregistrée : {signature.method_label.lower()} par {signature.signatories}, le "
        f"{date_in_words(signature.signed_on)}."
    )


def revision_clause(anniversary: date, irl_quarter: int, irl_reference: str | None) -> str:
    """The art. 17-1 clause: yearly, on the anniversary, with the IRL of the named quarter."""
    quarter = QUARTERS[irl_quarter - 1]
    text = (
        f"Le loyer est révisé chaque année à la date anniversaire du contrat, le {day_of_month(anniversary.day)} "
        f"{MONTHS[anniversary.month - 1]}, selon la variation de l'indice de référence des loyers "
        f"(IRL) publié par l'INSEE. Trimestre de référence : le {quarter}. Le loyer révisé est égal au loyer en "
        f"cours multiplié par le dernier IRL publié du {quarter} à la date de révision, divisé par l'IRL du "
        "même trimestre de l'année précédente (article 17-1 de la loi n° 89-462)."
    )
    if irl_reference:
        text += f" Indice de référence connu à la signature : {irl_reference}."
    return text + (
        " La révision n'est pas rétroactive : le bailleur dispose d'un an à compter de la date anniversaire pour "
        "la demander."
    )


def render_residential_lease(doc: ResidentialLeaseDocument) -> bytes:
    """The loi 89 lease as PDF bytes (same document, same bytes)."""
    story = Story()
    story.header(
        "Contrat de location — logement nu",
        "Bail d'habitation à usage de résidence principale — loi n° 89-462 du 6 juillet 1989",
        f"{doc.reference} — établi le {date_in_words(doc.issued_on)}",
    )
    plural = len(doc.tenants) > 1
    tenant_word = "les locataires" if plural else "le locataire"
    story.parties(
        ("Le bailleur", _landlord_with_agent(doc), "le bailleur"),
        ("Les locataires" if plural else "Le locataire", Party(names(doc.tenants)), tenant_word),
    )

    story.numbered_article("Objet du contrat")
    story.para(
        f"Le bailleur donne en location à {tenant_word}, qui l'accepte{'nt' if plural else ''}, le logement "
        "désigné ci-après, non meublé, à usage exclusif d'habitation et de résidence principale. Le présent "
        "contrat est régi par le titre Ier de la loi n° 89-462 du 6 juillet 1989."
        + (
            ""
            if doc.convention is not None
            else " Il est établi selon le contrat type défini par le décret n° 2015-587 du 29 mai 2015."
        )
    )
    if doc.slide is not None:
        _slide(story, doc, doc.slide)

    story.numbered_article("Désignation du logement")
    story.facts(
        [
            *unit_rows(doc.unit),
            ("Parties privatives", doc.private_parts or "le logement seul, sans dépendance"),
            ("Parties et équipements communs", doc.common_parts or "sans objet"),
            ("Équipements du logement", doc.equipment or "aucun équipement particulier"),
        ]
    )

    story.numbered_article("Date de prise d'effet et durée")
    years, why = (
        ("six ans", "une personne morale") if doc.landlord_is_legal_person else ("trois ans", "une personne physique")
    )
    story.para(
        f"Le bail prend effet le {date_in_words(doc.starts_on)} pour une durée de "
        f"{duration_text(doc.duration_months)}, soit jusqu'au {date_in_words(doc.last_day)} inclus. Le bailleur "
        f"étant {why}, la durée du bail est au moins de {years} (article 10 de la loi)."
    )
    story.para(
        f"À son terme, le bail est reconduit tacitement pour {years} si aucune des parties n'a donné congé. "
        f"{tenant_word.capitalize()} peu{'vent' if plural else 't'} donner congé à tout moment, avec un préavis "
        "de trois mois, réduit à un mois dans les cas prévus à l'article 15 (notamment en zone tendue) ; le "
        "bailleur ne peut donner congé que pour le terme du bail, au moins six mois à l'avance, pour reprendre "
        "ou vendre le logement ou pour un motif légitime et sérieux."
    )

    _money_articles(story, doc, tenant_word)

    story.numbered_article("Travaux")
    story.para(
        doc.works
        or "Aucuns travaux n'ont été réalisés dans le logement depuis la fin du dernier contrat de location ou "
        "depuis son dernier renouvellement."
    )

    story.numbered_article("Assurance et obligations du locataire")
    story.para(
        f"{tenant_word.capitalize()} s'assure{'nt' if plural else ''} contre les risques locatifs (incendie, "
        "dégât des eaux, explosion) et en justifie à la remise des clés puis chaque année à la demande du "
        "bailleur (article 7 g de la loi). Le locataire paie le loyer et les charges aux termes convenus, "
        "use paisiblement du logement, en assure l'entretien courant et les menues réparations, ne le "
        "transforme pas sans l'accord écrit du bailleur et ne le sous-loue pas."
    )

    story.numbered_article("Clause résolutoire")
    story.para(
        "Le bail est résilié de plein droit à défaut de paiement du loyer ou des charges aux termes convenus ou "
        "de versement du dépôt de garantie, six semaines après un commandement de payer demeuré infructueux "
        "(article 24 de la loi), et à défaut d'assurance, un mois après un commandement demeuré infructueux. "
        + (
            "Dès le premier impayé, le mandataire recherche avec le locataire une solution (plan d'apurement, "
            "fonds de solidarité pour le logement) avant toute procédure."
            if doc.agent is not None
            else "Dès le premier impayé, le bailleur informe le locataire des aides existantes (fonds de "
            "solidarité pour le logement, plan d'apurement) avant toute procédure."
        )
    )

    if doc.convention is not None:
        _convention(story, doc.convention)

    story.numbered_article("Annexes")
    story.para("Sont annexés au présent contrat et remis au locataire :")
    story.bullets(doc.annexes or ("aucune annexe",))

    landlord_box = (
        ("Le mandataire, pour le bailleur", doc.agent.name)
        if doc.agent is not None
        else ("Le bailleur", doc.landlord.name)
    )
    story.signatures_many(
        place=doc.place,
        signed_on=doc.signature.signed_on if doc.signature is not None else None,
        boxes=[landlord_box, *(("Le locataire", tenant) for tenant in doc.tenants)],
        copies=1 + len(doc.tenants),
        note=signature_note(doc.signature),
    )
    return render(
        story,
        title=f"Bail d'habitation — {doc.reference}",
        footer=fit_footer(
            f"Bail d'habitation loi n° 89-462 — {doc.reference} — {doc.landlord.name} / {names(doc.tenants)}"
        ),
        initials="Paraphes :  bailleur ________   locataire(s) ________",
        issued_on=doc.issued_on,
        author=doc.agent.name if doc.agent is not None else doc.landlord.name,
    )


def _landlord_with_agent(doc: ResidentialLeaseDocument) -> Party:
    """The landlord, represented by the agent when there is one (art. 3: the agent's name and address too)."""
    if doc.agent is None:
        return doc.landlord
    agent = doc.agent
    details = [agent.status, agent.identifier, ", ".join(agent.address_lines) or None]
    if agent.represented_by:
        details.append(f"lui-même représenté par {agent.represented_by}")
    if doc.agent_mandate:
        details.append(f"agissant en vertu du {doc.agent_mandate}")
    text = ", ".join(detail for detail in details if detail)
    return replace(doc.landlord, represented_by=f"son mandataire {agent.name}" + (f" ({text})" if text else ""))


def _slide(story: Story, doc: ResidentialLeaseDocument, slide: SlideMention) -> None:
    story.numbered_article("Glissement du bail")
    tripartite = f" ({slide.tripartite_reference})" if slide.tripartite_reference else ""
    ended = date_in_words(doc.starts_on - timedelta(days=1))
    story.para(
        f"Le présent bail fait suite au glissement du bail prévu par la convention tripartite{tripartite} entre "
        "le bailleur, l'association locataire principale et le ménage. Le locataire occupe déjà le logement "
        f"depuis le {date_in_words(slide.occupied_since)}, au titre du contrat de sous-location "
        f"({slide.sublease_reference}) qui a pris fin le {ended}, veille de la prise d'effet du présent bail. "
        "Le locataire devient ainsi le locataire direct du bailleur, pour le même logement et sans changer "
        f"de domicile. {slide.deposit_outcome}"
    )


def _money_articles(story: Story, doc: ResidentialLeaseDocument, tenant_word: str) -> None:
    story.numbered_article("Loyer et modalités de paiement")
    story.facts(
        [
            ("Loyer mensuel hors charges", money(doc.rent)),
            ("Charges récupérables", f"{money(doc.charges)} par mois"),
            ("Total mensuel", money(doc.rent + doc.charges)),
            ("Paiement", f"mensuel, d'avance, le {day_of_month(doc.payment_day)} de chaque mois"),
        ]
    )
    payee = "entre les mains du mandataire, pour le compte du bailleur" if doc.agent is not None else "au bailleur"
    story.para(
        f"Le loyer et les charges sont payés {payee}, par virement, prélèvement ou tout autre moyen convenu. "
        "Une quittance distinguant le loyer et les charges est remise gratuitement au locataire qui en fait la "
        "demande (article 21 de la loi)."
    )
    if doc.housing_benefit_to_agent:
        to = "au mandataire, pour le compte du bailleur" if doc.agent is not None else "au bailleur"
        story.para(
            f"L'aide personnelle au logement de {tenant_word} est versée directement {to} (tiers payant) ; elle "
            "est déduite du loyer et des charges dus, et le locataire paie le solde."
        )

    story.numbered_article("Révision du loyer")
    story.para(revision_clause(doc.starts_on, doc.irl_quarter, doc.irl_reference))
    if doc.unit.dpe_class in ("F", "G"):
        dpe = (
            f"Le logement étant classé {doc.unit.dpe_class} au diagnostic de performance énergétique, le loyer "
            "ne peut faire l'objet d'aucune hausse, ni à la révision ni au renouvellement, tant que ce classement "
            "demeure (loi n° 2021-1104 du 22 août 2021, dite « Climat et résilience »)."
        )
    else:
        dpe = (
            "Aucune hausse de loyer n'est possible, ni à la révision ni au renouvellement, pour un logement classé "
            "F ou G au diagnostic de performance énergétique (loi n° 2021-1104 du 22 août 2021, dite « Climat et "
            "résilience »)."
        )
    story.para(dpe)
    if doc.convention is not None:
        story.para("Le loyer révisé reste dans la limite du plafond de la convention Loc'Avantages.")

    story.numbered_article("Charges")
    story.para(
        f"Les charges récupérables (décret n° 87-713 du 26 août 1987) s'ajoutent au loyer : {money(doc.charges)} "
        f"par mois. Modalité de récupération : {lower_first(doc.charges_method)}. Lorsque les charges sont "
        "payées par provisions, elles sont régularisées au moins une fois par an ; un mois avant, le bailleur "
        "communique le décompte par nature de charges, et les justificatifs sont tenus à la disposition du "
        "locataire pendant six mois (article 23 de la loi)."
    )

    story.numbered_article("Dépôt de garantie")
    if doc.deposit:
        story.para(
            f"Le locataire verse à la signature un dépôt de garantie de {money(doc.deposit)}, qui ne dépasse pas un "
            "mois de loyer hors charges (article 22 de la loi). Il n'est ni révisable ni productif d'intérêts. Il "
            "est restitué dans un délai d'un mois à compter de la remise des clés lorsque l'état des lieux de "
            "sortie est conforme à l'état des lieux d'entrée, de deux mois dans le cas contraire, déduction faite "
            "des sommes restant dues et justifiées ; en cas de retard, la somme due est majorée de 10 % du loyer "
            "mensuel hors charges pour chaque mois de retard commencé."
        )
    else:
        story.para("Aucun dépôt de garantie n'est demandé au locataire.")

    story.numbered_article("Dernier loyer et encadrement des loyers")
    if doc.previous_rent is not None:
        left = (
            f", qui a quitté le logement le {date_in_words(doc.previous_tenant_left_on)}"
            if doc.previous_tenant_left_on is not None
            else ""
        )
        previous = f"Dernier loyer acquitté par le précédent locataire{left} : {money(doc.previous_rent)} hors charges."
    else:
        previous = (
            "Dernier loyer acquitté par le précédent locataire : sans objet (aucun locataire n'a quitté le "
            "logement au cours des dix-huit mois précédant la signature)."
        )
    control = (
        f"Encadrement des loyers : {doc.rent_control}"
        if doc.rent_control
        else "Encadrement des loyers : sans objet, le logement n'étant pas situé dans une commune où "
        "s'appliquent un loyer de référence et un loyer de référence majoré."
    )
    story.bullets([previous, control])


def _convention(story: Story, convention: Convention) -> None:
    story.numbered_article("Convention Loc'Avantages")
    story.para(
        f"Le logement fait l'objet d'une convention conclue avec l'Anah (article L.321-8 du code de la "
        f"construction et de l'habitation), dispositif Loc'Avantages, niveau {convention.level_label}, pour "
        f"{convention.years} ans. Le loyer ne dépasse pas le plafond de la convention, "
        f"{money(convention.rent_cap)} par mois hors charges au {date_in_words(convention.cap_on)}, et il reste "
        "dans cette limite après chaque révision. Le locataire déclare que les ressources de son ménage ne "
        "dépassent pas le plafond du niveau de la convention, et qu'il n'est ni membre du foyer fiscal, ni "
        "ascendant ou descendant du bailleur ; il occupe le logement à titre de résidence principale."
    )
    story.para(
        "Le contrat type du décret n° 2015-587 du 29 mai 2015 ne s'applique pas aux logements conventionnés en "
        "application de l'article L.321-8 ; le présent bail comporte les mentions de l'article 3 de la loi "
        "n° 89-462."
    )


def lower_first(text: str) -> str:
    """A label used inside a sentence: « Provision mensuelle » → « provision mensuelle »."""
    return text[:1].lower() + text[1:]
