"""The owner's monthly statement (frozen dataclass → PDF): the relevé de gérance under mandate, and under
sous-location the rent the association pays under the main lease, guaranteed whatever happens to the household.

One block per unit (what came in, what was deducted, the net), then what is owed to the owner, the amount paid
out and the transfer. The owner's IBAN is never printed: only its last four characters. Same document → same
bytes (contracts/agreement_layout.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from reportlab.lib.units import cm
from reportlab.platypus import Paragraph

from contracts.agreement_layout import Party, Story, fit_footer, pdf_text, render
from contracts.ledger_layout import (
    DETAIL,
    GRAND_TOTAL,
    LINE,
    TOTAL,
    ZERO,
    address_blocks,
    amounts_table,
    check_cents,
    check_payer,
    compact_iban,
    keep_together,
    masked_iban,
    minus,
)
from contracts.residential_lease import names
from contracts.typography import MONTHS, date_in_words, money, percent

GUARANTEED_RENT = "loyer garanti, versé que le logement soit occupé ou non et que le ménage ait payé ou non"


@dataclass(frozen=True)
class StatementDeduction:
    label: str  # « Remplacement du chauffe-eau (facture n° 2026-118) »
    amount: Decimal  # > 0, deducted from what is owed to the owner


@dataclass(frozen=True, kw_only=True)
class StatementUnit:
    unit_address: tuple[str, ...]
    lease_reference: str  # « Bail n° 42 »; under sous-location the main lease: « Bail à l'association n° 13 »
    tenants: tuple[str, ...] = ()  # under mandate, the owner's tenants; left empty under sous-location
    guaranteed_rent: bool = False  # sous-location: the association pays the main lease's rent, whatever happens
    rent: Decimal  # mandate: rent collected for the owner, housing benefit included; sous-location: rent due
    charges: Decimal  # charges collected (mandate) or due (sous-location)
    housing_benefit: Decimal = ZERO  # mandate: the part of rent and charges paid by the CAF / MSA (tiers payant)
    benefit_payer: str = "CAF"
    fee_rate: Decimal | None = None  # mandate: management fees as a share of the rent collected (0.07 for 7 %)
    fees: Decimal = ZERO  # computed and rounded by the ledger
    deductions: tuple[StatementDeduction, ...] = ()
    notes: tuple[str, ...] = ()  # « Arriéré de novembre encaissé le 12 décembre », « Logement vacant depuis le … »

    def __post_init__(self) -> None:
        check_cents(
            rent=self.rent,
            charges=self.charges,
            housing_benefit=self.housing_benefit,
            fees=self.fees,
            **{f"deduction {i}": deduction.amount for i, deduction in enumerate(self.deductions)},
        )
        check_payer(self.benefit_payer)
        if min(self.rent, self.charges, self.housing_benefit, self.fees) < 0:
            raise ValueError("amounts on a statement line are not negative")
        if any(deduction.amount <= 0 for deduction in self.deductions):
            raise ValueError("a deduction is a positive amount taken off")
        if self.housing_benefit > self.rent + self.charges:
            raise ValueError("the housing benefit is part of the rent and charges collected")
        if self.fees and self.fee_rate is None:
            raise ValueError("management fees are printed with their rate")
        if self.guaranteed_rent and (self.housing_benefit or self.fees or self.fee_rate is not None):
            # Under sous-location the association is the owner's tenant: the household's benefit is paid to it,
            # and it charges the owner no management fees.
            raise ValueError("a guaranteed rent carries neither housing benefit nor management fees")

    @property
    def collected(self) -> Decimal:
        return self.rent + self.charges

    @property
    def deducted(self) -> Decimal:
        return self.fees + sum((deduction.amount for deduction in self.deductions), ZERO)

    @property
    def net(self) -> Decimal:
        return self.collected - self.deducted


@dataclass(frozen=True, kw_only=True)
class OwnerStatement:
    number: str  # « RG-2026-12-0042 »
    operator: Party  # name, address lines, identifier « SIRET … »
    owner: Party
    period: date  # the month: its first day
    units: tuple[StatementUnit, ...]
    previous_balance: Decimal = ZERO  # carried from the last statement: > 0 still owed to the owner, < 0 owed by them
    paid_out: Decimal
    transfer_on: date
    owner_iban: str  # the full IBAN: only its last four characters are printed
    contact: str | None = None
    issued_on: date

    def __post_init__(self) -> None:
        check_cents(previous_balance=self.previous_balance, paid_out=self.paid_out)
        compact_iban(self.owner_iban)
        if self.period.day != 1:
            raise ValueError("a statement's period is the first day of its month")
        if not self.units:
            raise ValueError("a statement covers at least one unit")
        if not ZERO <= self.paid_out <= max(self.balance, ZERO):
            raise ValueError(f"the amount paid out lies between 0 and what is owed ({self.balance})")

    @property
    def balance(self) -> Decimal:
        """What is owed to the owner: the units' nets and the balance carried from the last statement."""
        return sum((unit.net for unit in self.units), ZERO) + self.previous_balance

    @property
    def carried_forward(self) -> Decimal:
        return self.balance - self.paid_out

    @property
    def month(self) -> str:
        return f"{MONTHS[self.period.month - 1]} {self.period.year}"


def render_owner_statement(doc: OwnerStatement) -> bytes:
    """The relevé de gérance as PDF bytes (same document, same bytes)."""
    story = Story()
    managed = any(not unit.guaranteed_rent for unit in doc.units)
    title = "Relevé de gérance" if managed else "Relevé des loyers versés"
    story.header(
        title,
        f"{doc.month.capitalize()} — {doc.owner.name}",
        f"Relevé n° {doc.number} — établi le {date_in_words(doc.issued_on)}",
    )
    operator = doc.operator
    address_blocks(
        story,
        (
            "Établi par",
            [operator.name, *operator.address_lines, *([operator.identifier] if operator.identifier else [])],
        ),
        ("Propriétaire", [doc.owner.name, *doc.owner.address_lines]),
    )
    guaranteed = sum(unit.guaranteed_rent for unit in doc.units)
    if guaranteed:
        which = "Logement loué" if guaranteed == 1 else "Logements loués"
        story.box(
            f"{which} à {operator.name} (location / sous-location) : l'association, locataire en titre, vous paie "
            f"chaque mois le loyer et les charges du bail principal — {GUARANTEED_RENT}."
        )

    for number, unit in enumerate(doc.units, 1):
        _unit_block(story, doc, unit, number)

    _summary(story, doc)
    if doc.contact:
        story.para(f"Une question sur ce relevé ? Contactez-nous : {doc.contact}.", "small")
    story.para(
        "Conservez ce relevé : il justifie les loyers perçus et les frais payés pour la déclaration de vos revenus "
        "fonciers.",
        "small",
    )
    return render(
        story,
        title=f"{title} — {doc.number}",
        footer=fit_footer(f"{title} n° {doc.number} — {doc.month} — {doc.owner.name}"),
        initials="",
        issued_on=doc.issued_on,
        author=operator.name,
    )


def _unit_block(story: Story, doc: OwnerStatement, unit: StatementUnit, number: int) -> None:
    """Heading, lines and net of one unit, kept on one page."""
    start = len(story.items)
    heading = (
        f"Logement {number} — {', '.join(unit.unit_address)}" if len(doc.units) > 1 else ", ".join(unit.unit_address)
    )
    story.para(heading, "article")
    details = [unit.lease_reference]
    if unit.guaranteed_rent:
        details.append("location à l'association, loyer garanti")
    else:
        details.append("mandat de gestion")
        if unit.tenants:
            details.append(f"locataire{'s' if len(unit.tenants) > 1 else ''} : {names(unit.tenants)}")
    story.para(" — ".join(details), "small")

    if unit.guaranteed_rent:
        rows = [
            (f"Loyer dû par {doc.operator.name} au titre du bail principal", money(unit.rent), LINE),
            ("Charges dues au titre du bail principal", money(unit.charges), LINE),
        ]
    else:
        rows = [
            ("Loyer encaissé", money(unit.rent), LINE),
            ("Charges encaissées", money(unit.charges), LINE),
        ]
        if unit.housing_benefit:
            rows.append(
                (
                    f"dont aide au logement versée par la {unit.benefit_payer} pour votre compte (tiers payant)",
                    money(unit.housing_benefit),
                    DETAIL,
                )
            )
    rows.append(
        (
            "Total dû pour ce logement" if unit.guaranteed_rent else "Total perçu pour votre compte",
            money(unit.collected),
            TOTAL,
        )
    )
    if unit.fee_rate is not None:
        rows.append((f"Frais de gestion ({percent(unit.fee_rate)} du loyer encaissé)", minus(unit.fees), LINE))
    rows += [(deduction.label, minus(deduction.amount), LINE) for deduction in unit.deductions]
    if unit.deducted:
        rows.append(("Net pour ce logement", money(unit.net), TOTAL))
    amounts_table(story, rows)
    for note in unit.notes:
        story.para(note, "small")
    keep_together(story, start)


def _summary(story: Story, doc: OwnerStatement) -> None:
    start = len(story.items)
    story.para("Récapitulatif et versement", "article")
    rows: list[tuple[str, str, str]] = []
    if len(doc.units) > 1:
        rows += [(f"Net du logement {number}", money(unit.net), LINE) for number, unit in enumerate(doc.units, 1)]
    else:
        rows.append(("Net du mois", money(doc.units[0].net), LINE))
    if doc.previous_balance > 0:
        rows.append(("Solde du relevé précédent, en votre faveur", money(doc.previous_balance), LINE))
    elif doc.previous_balance < 0:
        rows.append(("Solde du relevé précédent, à votre charge", minus(-doc.previous_balance), LINE))
    rows.append(("Montant dû au propriétaire", money(doc.balance), TOTAL))
    rows.append(("Montant versé", money(doc.paid_out), GRAND_TOTAL))
    if doc.carried_forward:
        rows.append(("Solde reporté sur le prochain relevé", money(doc.carried_forward), LINE))
    amounts_table(story, rows)

    account = f"sur votre compte IBAN {masked_iban(doc.owner_iban)}"
    if doc.paid_out:
        done = "effectué" if doc.transfer_on <= doc.issued_on else "programmé"
        text = f"Virement de {money(doc.paid_out)} {done} le {date_in_words(doc.transfer_on)} {account}."
    elif doc.carried_forward:
        text = f"Aucun virement ce mois-ci ({account}) : le solde est reporté sur le prochain relevé."
    else:
        text = f"Aucun virement ce mois-ci ({account}) : rien ne vous est dû pour ce mois."
    story.items.append(Paragraph(pdf_text(text), story.style["strong"]))
    story.space(0.3 * cm)
    keep_together(story, start)
