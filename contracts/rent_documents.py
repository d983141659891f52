"""The household's rent documents (frozen dataclass → PDF): the avis d'échéance of a month, and the quittance or
reçu of loi 89-462 art. 21 once the household has paid.

Amounts arrive computed by the ledger (prorated, in cents): the builders only add and subtract them, so what is
printed always adds up. Same document → same bytes (contracts/agreement_layout.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from xml.sax.saxutils import escape

from reportlab.graphics.barcode.qr import QrCode
from reportlab.lib.units import cm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Paragraph, Table, TableStyle

from contracts.agreement_layout import Party, Story, fit_footer, pdf_text, render
from contracts.ledger_layout import (
    GRAND_TOTAL,
    LINE,
    TOTAL,
    WIDTH,
    ZERO,
    LedgerStory,
    address_blocks,
    amounts_table,
    check_cents,
    check_payer,
    check_period,
    iban_groups,
    keep_together,
    minus,
    of,
    on_dates,
    period_text,
)
from contracts.residential_lease import names
from contracts.typography import date_in_words, money

# The payment address in a fixed-width font (Courier is one of the PDF's standard fonts: nothing embedded).
URL_FONT, URL_SIZE = "Courier", 8.5
QR_COLUMN = 2.6 * cm

# --- avis d'échéance -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BankDetails:
    """Where the household transfers the rent: the operator's account (printed in full, it is meant to be used)."""

    holder: str
    iban: str
    bic: str | None = None


@dataclass(frozen=True, kw_only=True)
class RentCallNotice:
    number: str  # « AE-2026-12-000042 »
    issuer: Party  # the operator: name, address lines, identifier « SIRET … »
    landlord_name: str | None = None  # under mandate: the owner for whom the operator calls the rent
    tenants: tuple[str, ...]
    unit_address: tuple[str, ...]
    lease_reference: str  # « Bail n° 42 » or « Contrat de sous-location n° 7 »
    period_start: date  # the days the call covers, within one month (prorated first and last months)
    period_end: date
    due_on: date
    rent: Decimal  # for the period, charges excluded (already prorated by the ledger)
    charges: Decimal  # provision for the period
    housing_benefit: Decimal = ZERO  # expected from the CAF / MSA, paid to the operator (tiers payant)
    benefit_payer: str = "CAF"  # « CAF » or « MSA »
    previous_balance: Decimal = ZERO  # the account before this call: > 0 arrears, < 0 credit
    bank: BankDetails | None  # None: the operator has not given its account yet (transfer on request)
    transfer_reference: str  # what the household writes in the transfer label
    payment_url: str | None = None  # tokenised online payment link, printed in full
    payment_url_expires_on: date | None = None
    other_payment_methods: tuple[str, ...] = ()  # « Chèque à l'ordre de … », « Espèces à l'accueil … »
    contact: str | None = None  # « 04 78 00 00 00 — loyers@ais.example.org »
    issued_on: date

    def __post_init__(self) -> None:
        check_cents(
            rent=self.rent,
            charges=self.charges,
            housing_benefit=self.housing_benefit,
            previous_balance=self.previous_balance,
        )
        check_period(self.period_start, self.period_end)
        check_payer(self.benefit_payer)
        if not self.tenants:
            raise ValueError("a notice is addressed to at least one tenant")
        if self.rent < 0 or self.charges < 0:
            raise ValueError("rent and charges are not negative")
        if not ZERO <= self.housing_benefit <= self.total:
            raise ValueError("the housing benefit lies between 0 and the rent and charges called")

    @property
    def total(self) -> Decimal:
        return self.rent + self.charges

    @property
    def household_share(self) -> Decimal:
        return self.total - self.housing_benefit

    @property
    def amount_to_pay(self) -> Decimal:
        """The share plus arrears, less a credit; nothing when the credit covers it all."""
        return max(self.household_share + self.previous_balance, ZERO)

    @property
    def credit_left(self) -> Decimal:
        return max(-(self.household_share + self.previous_balance), ZERO)


def render_rent_call_notice(doc: RentCallNotice) -> bytes:
    """The avis d'échéance as PDF bytes (same document, same bytes)."""
    story = LedgerStory()
    period = period_text(doc.period_start, doc.period_end)
    story.header(
        "Avis d'échéance",
        f"Loyer et charges — {period}",
        f"Avis n° {doc.number} — établi le {date_in_words(doc.issued_on)}",
    )
    issuer = doc.issuer
    issuer_lines = [issuer.name, *issuer.address_lines, *(part for part in (issuer.identifier,) if part)]
    if doc.landlord_name:
        issuer_lines.append(f"mandataire, pour le compte {of(doc.landlord_name)}, bailleur")
    address_blocks(
        story,
        ("Émetteur", issuer_lines),
        (
            ("Locataires" if len(doc.tenants) > 1 else "Locataire") + " — logement loué",
            [names(doc.tenants), *doc.unit_address],
        ),
    )
    story.facts(
        [
            ("Contrat", doc.lease_reference),
            ("Période", period),
            ("Date d'échéance", f"à payer au plus tard le {date_in_words(doc.due_on)}"),
        ]
    )

    story.para("Détail de l'échéance", "article")
    rows = [
        ("Loyer hors charges", money(doc.rent), LINE),
        ("Provision pour charges", money(doc.charges), LINE),
        ("Total loyer et charges", money(doc.total), TOTAL),
    ]
    if doc.housing_benefit:
        rows += [
            (
                f"Aide au logement versée par la {doc.benefit_payer} (tiers payant), à déduire",
                minus(doc.housing_benefit),
                LINE,
            ),
            ("Part à la charge du ménage", money(doc.household_share), TOTAL),
        ]
    if doc.previous_balance > 0:
        rows.append(("Solde antérieur restant dû (échéances précédentes)", money(doc.previous_balance), LINE))
    elif doc.previous_balance < 0:
        rows.append(("Solde antérieur en votre faveur (trop-perçu), à déduire", minus(-doc.previous_balance), LINE))
    rows.append(("Total à payer", money(doc.amount_to_pay), GRAND_TOTAL))
    amounts_table(story, rows)
    if doc.credit_left:
        story.para(
            f"Rien à payer pour cette échéance : votre compte reste créditeur de {money(doc.credit_left)}, "
            "reporté sur les prochaines échéances."
        )
    if doc.housing_benefit:
        story.para(
            f"L'aide au logement nous est versée directement par la {doc.benefit_payer}. Si elle n'est pas versée ou "
            "si son montant change, la différence reste due et figurera sur le prochain avis.",
            "small",
        )

    if doc.amount_to_pay:
        _how_to_pay(story, doc)
    start = len(story.items)
    story.space(0.2 * cm)
    story.box(
        "Cet avis n'est pas une quittance. Après paiement, une quittance vous est remise gratuitement lorsque "
        "l'échéance est entièrement réglée, ou un reçu en cas de paiement partiel."
    )
    if doc.contact:
        story.para(f"Une question, une difficulté pour payer ? Contactez-nous : {doc.contact}.", "small")
    keep_together(story, start)
    return render(
        story,
        title=f"Avis d'échéance — {doc.number}",
        footer=fit_footer(f"Avis d'échéance n° {doc.number} — {period} — {names(doc.tenants)}"),
        initials="",
        issued_on=doc.issued_on,
        author=issuer.name,
    )


def _how_to_pay(story: Story, doc: RentCallNotice) -> None:
    start = len(story.items)
    story.para("Comment payer", "article")
    bank = doc.bank
    transfer = (
        [
            ("Par virement", f"à {bank.holder}"),
            ("IBAN", iban_groups(bank.iban)),
            *([("BIC", bank.bic)] if bank.bic else []),
            ("Référence à indiquer", doc.transfer_reference),
        ]
        if bank is not None
        else [
            ("Par virement", f"demandez les coordonnées bancaires de {doc.issuer.name}"),
            ("Référence à indiquer", doc.transfer_reference),
        ]
    )
    story.facts(transfer)
    if doc.payment_url:
        lines = [
            pdf_text(
                "En ligne, par carte bancaire ou prélèvement SEPA, sans créer de compte : scannez le code ou "
                "ouvrez l'adresse :"
            ).replace("En ligne", "<b>En ligne</b>", 1),
            _url_markup(doc.payment_url, room=WIDTH - QR_COLUMN - 12),
        ]
        if doc.payment_url_expires_on is not None:
            lines.append(pdf_text(f"Lien valable jusqu'au {date_in_words(doc.payment_url_expires_on)}."))
        text = Paragraph("<br/>".join(lines), story.style["body"])
        table = Table([[_qr_code(doc.payment_url), text]], colWidths=[QR_COLUMN, WIDTH - QR_COLUMN], hAlign="LEFT")
        table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("LEFTPADDING", (0, 0), (0, 0), 0)]))
        story.items.append(table)
        story.space(0.15 * cm)
    if doc.other_payment_methods:
        story.bullets(doc.other_payment_methods)
    keep_together(story, start)


def _url_lines(url: str, room: float) -> list[str]:
    """The address cut into lines that fit, after a « / » where one can (copied back, the lines join)."""
    lines: list[str] = []
    rest = url
    while stringWidth(rest, URL_FONT, URL_SIZE) > room:
        fitting = next(end for end in range(len(rest), 0, -1) if stringWidth(rest[:end], URL_FONT, URL_SIZE) <= room)
        slash = rest.rfind("/", 0, fitting)
        cut = slash + 1 if slash > 0 else fitting
        lines.append(rest[:cut])
        rest = rest[cut:]
    return [*lines, rest]


def _url_markup(url: str, room: float) -> str:
    href = escape(url, {'"': "&quot;"})
    text = "<br/>".join(escape(line) for line in _url_lines(url, room))
    return f'<font name="{URL_FONT}" size="{URL_SIZE}"><a href="{href}" color="#000091">{text}</a></font>'


def _qr_code(value: str, size: float = 2.3 * cm) -> QrCode:
    """The payment address as a QR code, drawn straight on the page (a flowable: faster than a drawing)."""
    return QrCode(value, width=size, height=size, qrBorder=0, qrLevel="M")


# --- quittance and reçu ----------------------------------------------------------------------------------------


class ReceiptKind(StrEnum):
    """Same values as the ledger's document kinds: a quittance settles the period, a reçu records part of it."""

    QUITTANCE = "quittance"
    RECU = "recu"


@dataclass(frozen=True)
class ReceivedPayment:
    """A payment allocated to the period: its date, the part of it that settles this period, how it was paid."""

    paid_on: date
    amount: Decimal
    method_label: str  # « Virement », « Chèque n° 1234567 », « Aide au logement versée par la CAF »
    housing_benefit: bool = False  # paid by the CAF / MSA to the operator (tiers payant)


@dataclass(frozen=True, kw_only=True)
class RentReceipt:
    kind: ReceiptKind
    number: str  # « Q-2026-000123 »
    landlord: Party  # the owner (mandate, bail glissant after the slide) or the association (sous-location)
    agent: Party | None = None  # under mandate: the operator, who issues it « pour le compte de » the landlord
    tenants: tuple[str, ...]
    unit_address: tuple[str, ...]
    lease_reference: str
    period_start: date
    period_end: date
    rent: Decimal  # called for the period, charges excluded
    charges: Decimal
    payments: tuple[ReceivedPayment, ...]  # the housing benefit received included, flagged
    benefit_payer: str = "CAF"
    signatory: str | None = None  # « Nadia Benali, gestionnaire locative »
    issued_on: date

    def __post_init__(self) -> None:
        check_cents(
            rent=self.rent, charges=self.charges, **{f"payment {i}": p.amount for i, p in enumerate(self.payments)}
        )
        check_period(self.period_start, self.period_end)
        check_payer(self.benefit_payer)
        if not self.tenants:
            raise ValueError("a receipt names at least one tenant")
        if not self.payments:
            raise ValueError("a receipt records at least one payment")
        if any(payment.amount <= 0 for payment in self.payments):
            raise ValueError("a payment on a receipt is positive")
        if self.paid > self.total:
            raise ValueError("payments allocated to a period never exceed what was called for it")
        # loi 89-462 art. 21: a quittance only for a period fully paid, a reçu for a partial payment.
        if self.kind is ReceiptKind.QUITTANCE and self.still_due != 0:
            raise ValueError("a quittance is issued only when the period is fully paid")
        if self.kind is ReceiptKind.RECU and self.still_due == 0:
            raise ValueError("a reçu records a partial payment: something is still due for the period")

    @property
    def total(self) -> Decimal:
        return self.rent + self.charges

    @property
    def paid(self) -> Decimal:
        return sum((payment.amount for payment in self.payments), ZERO)

    @property
    def benefit_received(self) -> Decimal:
        return sum((payment.amount for payment in self.payments if payment.housing_benefit), ZERO)

    @property
    def still_due(self) -> Decimal:
        return self.total - self.paid


def render_rent_receipt(doc: RentReceipt) -> bytes:
    """The quittance or the reçu as PDF bytes (same document, same bytes)."""
    quittance = doc.kind is ReceiptKind.QUITTANCE
    word = "Quittance" if quittance else "Reçu"
    story = LedgerStory()
    period = period_text(doc.period_start, doc.period_end)
    story.header(
        "Quittance de loyer" if quittance else "Reçu de paiement partiel",
        f"Loyer et charges — {period}",
        f"{word} n° {doc.number} — délivré{'e' if quittance else ''} le {date_in_words(doc.issued_on)}",
    )
    landlord_lines = [doc.landlord.name, *doc.landlord.address_lines]
    if doc.agent is not None:
        agent = doc.agent
        landlord_lines.append(
            f"représenté par son mandataire {agent.name}"
            + (f", {', '.join(agent.address_lines)}" if agent.address_lines else "")
            + (f", {agent.identifier}" if agent.identifier else "")
        )
    elif doc.landlord.identifier:
        landlord_lines.append(doc.landlord.identifier)
    plural = len(doc.tenants) > 1
    address_blocks(
        story,
        ("Bailleur", landlord_lines),
        (("Locataires" if plural else "Locataire") + " — logement loué", [names(doc.tenants), *doc.unit_address]),
    )
    story.facts(
        [
            ("Contrat", doc.lease_reference),
            ("Période", period),
        ]
    )

    issuer = (
        f"{doc.agent.name}, mandataire, pour le compte {of(doc.landlord.name)}, bailleur,"
        if doc.agent is not None
        else f"{doc.landlord.name}, bailleur,"
    )
    days = sorted({payment.paid_on for payment in doc.payments})
    # Many payments: the span here, each one dated in the detail below.
    dates = on_dates(days) if len(days) <= 2 else f"entre le {date_in_words(days[0])} et le {date_in_words(days[-1])}"
    benefit = (
        f" (dont {money(doc.benefit_received)} d'aide au logement versée par la {doc.benefit_payer})"
        if doc.benefit_received
        else ""
    )
    if quittance:
        story.para(
            f"{issuer} déclare avoir reçu {of(names(doc.tenants))} la somme de {money(doc.paid)}{benefit}, "
            f"{dates}, au titre du loyer et des charges du logement ci-dessus pour la période : {period}, et "
            f"{'leur' if len(doc.tenants) > 1 else 'lui'} en donne quittance."
        )
    else:
        story.para(
            f"{issuer} déclare avoir reçu {of(names(doc.tenants))} la somme de {money(doc.paid)}{benefit}, "
            f"{dates}, en paiement partiel du loyer et des charges du logement ci-dessus pour la période : "
            f"{period}."
        )

    story.para("Détail", "article")
    rows = [
        ("Loyer hors charges", money(doc.rent), LINE),
        ("Charges (provision)", money(doc.charges), LINE),
        ("Total dû pour la période", money(doc.total), TOTAL),
    ]
    for payment in sorted(doc.payments, key=lambda payment: (payment.paid_on, not payment.housing_benefit)):
        suffix = " (tiers payant)" if payment.housing_benefit else ""
        rows.append((f"{date_in_words(payment.paid_on)} — {payment.method_label}{suffix}", money(payment.amount), LINE))
    rows.append(("Total reçu pour la période", money(doc.paid), TOTAL))
    rows.append(("Reste dû pour la période", money(doc.still_due), GRAND_TOTAL))
    amounts_table(story, rows)

    start = len(story.items)  # the mention and who issues it stay together
    if quittance:
        story.box(
            "Le loyer et les charges de cette période sont entièrement réglés. Quittance délivrée gratuitement "
            "(article 21 de la loi n° 89-462 du 6 juillet 1989). Elle annule les reçus délivrés pour des paiements "
            "partiels de la même période."
        )
    else:
        story.box(
            f"Ce reçu n'est pas une quittance : il constate un paiement partiel. Reste dû pour la période : "
            f"{money(doc.still_due)}. Une quittance sera délivrée gratuitement lorsque le loyer et les charges de "
            "la période auront été entièrement réglés (article 21 de la loi n° 89-462 du 6 juillet 1989)."
        )
    signer = f"Pour {doc.landlord.name}" + (f", son mandataire {doc.agent.name}" if doc.agent is not None else "")
    story.space(0.2 * cm)
    story.para(
        f"Le {date_in_words(doc.issued_on)}. {signer}" + (f" — {doc.signatory}" if doc.signatory else "") + ".",
        "small",
    )
    keep_together(story, start)
    return render(
        story,
        title=f"{'Quittance de loyer' if quittance else 'Reçu de paiement partiel'} — {doc.number}",
        footer=fit_footer(f"{word} n° {doc.number} — {period} — {names(doc.tenants)}"),
        initials="",
        issued_on=doc.issued_on,
        author=doc.agent.name if doc.agent is not None else doc.landlord.name,
    )


def render_rent_receipts(docs: Sequence[RentReceipt]) -> list[bytes]:
    """Several receipts at once: a worker process's task (agency_backoffice/operations/receipt_rendering.py)."""
    return [render_rent_receipt(doc) for doc in docs]
