"""The yearly rent revision letter to the tenant(s) (frozen dataclass → PDF bytes, same input → same bytes).

Written by the landlord, or by the operator as landlord (sous-location) or as the owner's agent (mandat de
gestion). It gives the lease, the revision date, the current rent, both IRL values and the formula, the revised
rent, the charges (unchanged), the first due date at the new rent (never retroactive), and, when they apply, the
freeze of a DPE F/G unit's rent and the convention cap. Legal basis: loi 89-462 art. 17-1 (and loi 2021-1104
art. 159 for the freeze). The figures are the caller's (``capture.rules.rent_revision``): nothing is computed
here but the monthly total.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from reportlab.lib.units import cm
from reportlab.platypus import Paragraph, Table, TableStyle

from contracts.agreement_layout import Party, Story, fit_footer, pdf_text, render
from contracts.residential_lease import names
from contracts.typography import date_in_words, money, number

LEGAL_BASIS = "article 17-1 de la loi n° 89-462 du 6 juillet 1989"
FREEZE_BASIS = "loi n° 2021-1104 du 22 août 2021, article 159, modifiant l'article 17-1 de la loi n° 89-462"


@dataclass(frozen=True, kw_only=True)
class RentRevisionLetterDocument:
    reference: str  # « Révision n° 7 »
    sender: Party  # who writes and signs: the operator, or the owner
    sender_capacity: str  # « bailleur », « mandataire de Claire Dupont-Moreau, bailleresse »…
    tenants: tuple[str, ...]
    recipient_address_lines: tuple[str, ...]  # where the letter goes (usually the unit)
    unit_address: tuple[str, ...]
    lease_reference: str  # « Bail n° 42 du 1er décembre 2025 »
    revision_on: date  # the lease's anniversary, or the date the lease states
    effective_on: date  # first due date at the revised rent: never before the request (not retroactive)
    current_rent: Decimal  # monthly, charges excluded
    charges: Decimal  # monthly provision or flat charges, unchanged by the revision
    quarter_new: str  # « 1er trimestre 2019 »
    irl_new: Decimal
    quarter_old: str  # « 1er trimestre 2018 »
    irl_old: Decimal
    indexed_rent: Decimal  # current_rent × irl_new / irl_old truncated to the cent
    new_rent: Decimal  # after freeze and cap
    frozen: bool = False
    dpe_class: str | None = None
    cap: Decimal | None = None
    capped: bool = False
    convention_label: str | None = None  # « convention Loc'Avantages Loc2 (social) avec l'Anah »
    contact: str | None = None  # « 04 78 00 00 00, gestion@exemple.fr »
    place: str
    issued_on: date
    signatory: str  # « Nadia Benali, responsable de la gestion locative »

    def __post_init__(self) -> None:
        if not self.tenants:
            raise ValueError("a revision letter needs at least one tenant")
        if self.frozen and not self.dpe_class:
            raise ValueError("a frozen rent needs the DPE class that freezes it")
        if self.capped and self.cap is None:
            raise ValueError("a capped rent needs the cap")
        if self.effective_on < self.revision_on:
            raise ValueError("a revision is not retroactive: it applies on or after the revision date")

    @property
    def total(self) -> Decimal:
        return self.new_rent + self.charges

    @property
    def formula(self) -> str:
        return (
            f"{money(self.current_rent)} × {number(self.irl_new)} / {number(self.irl_old)} = "
            f"{money(self.indexed_rent)} (tronqué au centime)"
        )


def _addresses(story: Story, doc: RentRevisionLetterDocument) -> None:
    """Sender on the left, recipients on the right (the window of a DL envelope)."""
    sender = [f"<b>{pdf_text(doc.sender.name)}</b>", pdf_text(doc.sender_capacity)]
    sender += [pdf_text(line) for line in doc.sender.address_lines]
    recipient = [f"<b>{pdf_text(names(doc.tenants))}</b>"] + [pdf_text(line) for line in doc.recipient_address_lines]
    table = Table(
        [
            [
                Paragraph("<br/>".join(sender), story.style["body"]),
                Paragraph("<br/>".join(recipient), story.style["body"]),
            ]
        ],
        colWidths=[None, 8 * cm],
    )
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    story.items.append(table)
    story.space(0.35 * cm)


def render_rent_revision_letter(doc: RentRevisionLetterDocument) -> bytes:
    """The revision letter as PDF bytes (same document, same bytes)."""
    story = Story()
    story.header(
        "Révision annuelle du loyer",
        f"{doc.lease_reference} — {', '.join(doc.unit_address)}",
        f"{doc.reference} — le {date_in_words(doc.issued_on)}",
    )
    _addresses(story, doc)
    story.para(f"Objet : révision du loyer au {date_in_words(doc.revision_on)}", "strong")
    story.para("Madame, Monsieur,")
    story.para(
        f"Votre bail ({doc.lease_reference}) prévoit la révision du loyer chaque année selon la variation de "
        f"l'indice de référence des loyers (IRL) publié par l'INSEE ({LEGAL_BASIS}). À la date de révision du "
        f"{date_in_words(doc.revision_on)}, l'indice à appliquer est celui du {doc.quarter_new}, "
        f"{number(doc.irl_new)}, comparé à celui du même trimestre un an plus tôt, le {doc.quarter_old}, "
        f"{number(doc.irl_old)}."
    )
    rows = [
        ("Loyer actuel hors charges", money(doc.current_rent)),
        (f"IRL du {doc.quarter_new}", number(doc.irl_new)),
        (f"IRL du {doc.quarter_old}", number(doc.irl_old)),
        ("Calcul" if not doc.frozen else "Calcul (pour information)", doc.formula),
    ]
    if doc.cap is not None:
        rows.append(("Plafond de la convention", money(doc.cap)))
    rows += [
        ("Loyer révisé hors charges", money(doc.new_rent)),
        ("Charges mensuelles (inchangées)", money(doc.charges)),
        ("Total mensuel", money(doc.total)),
    ]
    story.facts(rows)

    if doc.frozen:
        frozen = (
            f"Le logement est classé {doc.dpe_class} au diagnostic de performance énergétique : son loyer ne peut "
            f"faire l'objet d'aucune révision ({FREEZE_BASIS}) ; le calcul ci-dessus n'est donné que pour information."
        )
        if not doc.capped:
            frozen += f" Le loyer gelé reste de {money(doc.current_rent)} hors charges."
        story.para(f"<b>Loyer gelé.</b> {pdf_text(frozen)}", markup=True)
    if doc.capped and doc.cap is not None:
        convention = f" ({doc.convention_label})" if doc.convention_label else ""
        capped = (
            f"Le logement est conventionné{convention} : son loyer ne peut pas dépasser le plafond de "
            f"{money(doc.cap)} par mois hors charges. "
        )
        if doc.current_rent > doc.cap:
            capped += "Le loyer actuel dépassant déjà ce plafond, il est ramené au plafond."
        else:
            capped += (
                f"Le résultat du calcul ({money(doc.indexed_rent)}) le dépassant, le loyer révisé est fixé au plafond."
            )
        story.para(f"<b>Plafond de la convention.</b> {pdf_text(capped)}", markup=True)

    if doc.new_rent == doc.current_rent:
        decision = (
            f"Votre loyer reste de {money(doc.new_rent)} hors charges, et vos charges de {money(doc.charges)}, soit "
            f"{money(doc.total)} par mois."
        )
    else:
        decision = (
            f"À compter de l'échéance du {date_in_words(doc.effective_on)}, votre loyer sera de "
            f"{money(doc.new_rent)} hors charges au lieu de {money(doc.current_rent)}. Les charges restent de "
            f"{money(doc.charges)} : vous paierez {money(doc.total)} par mois."
        )
    story.box(decision)
    if doc.new_rent != doc.current_rent:
        story.para(
            "Ce nouveau loyer n'est pas rétroactif : il s'applique à partir de l'échéance indiquée, sans rappel "
            "pour les mois passés."
            + (
                " L'indice ayant baissé, votre loyer baisse."
                if doc.new_rent < doc.current_rent and not doc.capped
                else ""
            )
        )
    if doc.contact:
        story.para(f"Pour toute question sur ce calcul, vous pouvez nous joindre : {doc.contact}.")
    story.para("Nous vous prions d'agréer, Madame, Monsieur, l'expression de nos salutations distinguées.")
    story.signatures_many(
        place=doc.place,
        signed_on=doc.issued_on,
        boxes=[(f"Pour {doc.sender.name}", doc.signatory)],
        copies=None,
        caption="Signature :",
    )
    return render(
        story,
        title=f"Révision du loyer — {doc.reference}",
        footer=fit_footer(f"Révision du loyer — {doc.reference} — {doc.lease_reference} — {names(doc.tenants)}"),
        initials="",
        issued_on=doc.issued_on,
        author=doc.sender.name,
    )
