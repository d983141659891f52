"""The arrears letters (frozen dataclass → PDF), in the order the clocks of domain.md §8 call for them:

- the relance amiable: kind, offers help and the referent's contact, never a threat;
- the mise en demeure: registered letter, amounts by period, the deadline, what follows (Visale, CAF/MSA);
- the signalement d'impayé to the CAF/MSA when the benefit is paid to the operator (CCH L.824-1, R.824-4);
- the plan d'apurement: the debt by period, the schedule, the current rent, signatures.

Amounts arrive computed by the ledger (agency_backoffice/rules/arrears.py allocates, the builders only add what
they print). Same document → same bytes (contracts/agreement_layout.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table, TableStyle

from contracts.agreement_layout import BLUE, GREY, Party, Story, fit_footer, pdf_text, render
from contracts.ledger_layout import WIDTH, ZERO, check_cents, check_payer, period_text
from contracts.residential_lease import names
from contracts.typography import date_in_words, money

# --- shared parts ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Referent:
    """The person the household can call: the social worker of its support, or the operator's rent officer."""

    name: str
    role: str  # « référente sociale », « chargé de gestion locative »
    phone: str | None = None
    email: str | None = None

    def reach(self) -> str:
        """« Julie Martin, référente sociale, au 04 78 00 00 01 ou à julie.martin@… »."""
        ways = [f"au {self.phone}" if self.phone else None, f"à {self.email}" if self.email else None]
        ways_text = " ou ".join(way for way in ways if way)
        return f"{self.name}, {self.role}" + (f", {ways_text}" if ways_text else "")


@dataclass(frozen=True)
class PeriodLine:
    """One call still unpaid: the days it covers, when it was due, and the household's part of it."""

    period_start: date
    period_end: date
    due_on: date
    rent_and_charges: Decimal
    benefit: Decimal  # housing benefit paid to the operator for the period (tiers payant), else 0
    paid: Decimal  # paid on the household's share

    def __post_init__(self) -> None:
        check_cents(rent_and_charges=self.rent_and_charges, benefit=self.benefit, paid=self.paid)
        period_text(self.period_start, self.period_end)  # within one month
        if not ZERO <= self.benefit <= self.rent_and_charges or not ZERO <= self.paid <= self.share:
            raise ValueError("benefit and paid lie between 0 and what was called")

    @property
    def share(self) -> Decimal:
        return self.rent_and_charges - self.benefit

    @property
    def unpaid(self) -> Decimal:
        return self.share - self.paid


@dataclass(frozen=True, kw_only=True)
class ArrearsFile:
    """What every arrears letter says: who writes, to whom, about which lease, and what is unpaid."""

    reference: str  # « Dossier d'impayé n° 12 »
    operator: Party  # letterhead: name, address lines, identifier
    operator_contact: str | None = None  # « 04 78 00 00 00 — loyers@ais.example.org »
    tenants: tuple[str, ...]
    tenants_address: tuple[str, ...]  # where the letter goes (usually the unit)
    unit_address: tuple[str, ...]
    lease_reference: str  # « bail n° 42 du 1er décembre 2026 »
    lines: tuple[PeriodLine, ...]  # oldest first
    as_of: date  # the account at the end of this day
    place: str  # « Lyon »: « Lyon, le … »
    issued_on: date
    signatory: str
    signatory_title: str | None = None

    def __post_init__(self) -> None:
        if not self.tenants:
            raise ValueError("an arrears letter concerns at least one tenant")
        if not self.lines or any(line.unpaid <= 0 for line in self.lines):
            raise ValueError("an arrears letter lists the periods still unpaid")

    @property
    def total(self) -> Decimal:
        return sum((line.unpaid for line in self.lines), ZERO)

    @property
    def with_benefit(self) -> bool:
        return any(line.benefit for line in self.lines)


def _right(story: Story, style: str = "body", *, bold: bool = False) -> ParagraphStyle:
    parent = story.style["strong" if bold else style]
    return ParagraphStyle(f"{style}-right{'-bold' if bold else ''}", parent=parent, alignment=TA_RIGHT, spaceAfter=0)


def _letter_head(story: Story, file: ArrearsFile, recipient: Sequence[str], subject: str, *, above: str = "") -> None:
    """Sender top left, recipient on the right (window envelope), place and date, references and subject."""
    operator = file.operator
    sender = [f"<b>{pdf_text(operator.name)}</b>", *(pdf_text(line) for line in operator.address_lines)]
    sender += [pdf_text(extra) for extra in (operator.identifier, file.operator_contact) if extra]
    to = [f"<b>{pdf_text(recipient[0])}</b>", *(pdf_text(line) for line in recipient[1:])]
    table = Table(
        [
            [Paragraph("<br/>".join(sender), story.style["small"]), ""],
            ["", Paragraph("<br/>".join(to), story.style["body"])],
        ],
        colWidths=[WIDTH * 0.55, WIDTH * 0.45],
        hAlign="LEFT",
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (1, 1), (1, 1), 0.6 * cm),
            ]
        )
    )
    story.items.append(table)
    story.space(0.6 * cm)
    story.items.append(Paragraph(pdf_text(f"{file.place}, le {date_in_words(file.issued_on)}"), _right(story)))
    story.space(0.3 * cm)
    if above:
        story.para(above, "strong")
    story.para(f"Nos réf. : {file.reference} — {file.lease_reference}", "small")
    story.para(f"Objet : {subject}", "strong")
    story.space(0.2 * cm)


def _period_table(story: Story, file: ArrearsFile, *, to_household: bool) -> None:
    """The unpaid periods: called, benefit (when any), the household's part, paid, still due; a total row."""
    share = "À votre charge" if to_household else "Part du ménage"
    paid = "Déjà réglé" if to_household else "Réglé par le ménage"
    headers = ["Période", "Échéance", "Loyer et charges"]
    headers += ["Aide au logement", share] if file.with_benefit else []
    headers += [paid, "Reste dû"]
    head_style = ParagraphStyle("head", parent=story.style["small"], fontName=story.style["strong"].fontName)
    head_right = ParagraphStyle("head-right", parent=head_style, alignment=TA_RIGHT)
    small, small_right = story.style["small"], _right(story, "small")
    data: list[list[object]] = [
        [Paragraph(pdf_text(text), head_style if column < 2 else head_right) for column, text in enumerate(headers)]
    ]
    for line in file.lines:
        amounts = [line.rent_and_charges]
        amounts += [line.benefit, line.share] if file.with_benefit else []
        amounts += [line.paid, line.unpaid]
        data.append(
            [
                Paragraph(pdf_text(period_text(line.period_start, line.period_end)), small),
                Paragraph(pdf_text(line.due_on.strftime("%d/%m/%Y")), small),
                *(Paragraph(pdf_text(money(amount)), small_right) for amount in amounts),
            ]
        )
    total_style = _right(story, "small", bold=True)
    total_row: list[object] = [Paragraph(pdf_text("Total restant dû"), story.style["strong"])]
    total_row += [""] * (len(headers) - 2) + [Paragraph(pdf_text(money(file.total)), total_style)]
    data.append(total_row)
    first = 3.3 * cm
    other = (WIDTH - first) / (len(headers) - 1)
    table = Table(data, colWidths=[first] + [other] * (len(headers) - 1), hAlign="LEFT", repeatRows=1)
    last = len(data) - 1
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, BLUE),
                ("LINEBELOW", (0, 1), (-1, last - 1), 0.3, colors.HexColor("#dddddd")),
                ("LINEABOVE", (0, last), (-1, last), 0.8, GREY),
                ("SPAN", (0, last), (len(headers) - 2, last)),
                ("BACKGROUND", (0, last), (-1, last), colors.HexColor("#f5f5fe")),
            ]
        )
    )
    story.items.append(table)
    story.space(0.35 * cm)


def _sign_off(story: Story, file: ArrearsFile, closing: str) -> None:
    """The closing formula and the signature, kept on one page."""
    lines = [file.signatory, file.signatory_title, file.operator.name]
    signature = ParagraphStyle("signature", parent=story.style["body"], leftIndent=WIDTH * 0.55)
    story.items.append(
        KeepTogether(
            [
                Paragraph(pdf_text(closing), story.style["body"]),
                Spacer(1, 0.5 * cm),
                Paragraph("<br/>".join(pdf_text(line) for line in lines if line), signature),
            ]
        )
    )


def _render(story: Story, file: ArrearsFile, title: str) -> bytes:
    return render(
        story,
        title=f"{title} — {file.reference}",
        footer=fit_footer(f"{title} — {file.reference} — {file.operator.name}"),
        initials="",
        issued_on=file.issued_on,
        author=file.operator.name,
    )


def _household_recipient(file: ArrearsFile) -> list[str]:
    return [names(file.tenants), *file.tenants_address]


# --- relance amiable ------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ReminderLetter:
    file: ArrearsFile
    referent: Referent
    payment_instructions: tuple[str, ...] = ()  # « Virement : IBAN … », « Paiement en ligne : https://… »


def render_reminder_letter(doc: ReminderLetter) -> bytes:
    """The relance amiable as PDF bytes: the amounts, help on offer, the referent's contact; no threat."""
    file = doc.file
    story = Story()
    _letter_head(story, file, _household_recipient(file), "votre loyer — un point sur votre compte")
    story.para("Madame, Monsieur,")
    story.para(
        f"En faisant le point sur votre compte au {date_in_words(file.as_of)}, nous constatons que votre part du "
        f"loyer et des charges du logement situé {', '.join(file.unit_address)} n'a pas encore été entièrement "
        f"réglée : il reste {money(file.total)} à payer."
    )
    story.para(
        "Il s'agit peut-être d'un simple oubli ou d'un décalage de date. Si vous avez fait le paiement entre-temps, "
        "merci de ne pas tenir compte de ce courrier."
    )
    _period_table(story, file, to_household=True)
    story.para(
        "Si ce paiement vous met en difficulté en ce moment, n'attendez pas pour nous en parler : ensemble, nous "
        "pouvons trouver une solution adaptée à votre situation, par exemple un échéancier à votre mesure, la "
        "vérification de vos droits à l'aide au logement ou une demande d'aide au Fonds de solidarité pour le "
        "logement (FSL)."
    )
    story.box(f"Votre contact : {doc.referent.reach()}.")
    if doc.payment_instructions:
        story.para("Pour régler :")
        story.bullets(doc.payment_instructions)
    _sign_off(
        story,
        file,
        "Nous restons à votre écoute et vous prions d'agréer, Madame, Monsieur, nos salutations les meilleures.",
    )
    return _render(story, file, "Relance amiable")


# --- mise en demeure ------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class FormalNotice:
    file: ArrearsFile
    referent: Referent
    pay_by: date  # the deadline (« sous huitaine » for Visale: rules.arrears_clocks.notice_deadline)
    registered_number: str | None = None  # the registered letter's number, once posted
    reminder_sent_on: date | None = None  # the relance amiable, when one was sent
    visale: bool = False  # the lease is covered by Visale: the claim follows
    benefit_payer: str | None = None  # « CAF » / « MSA » when the benefit is paid to the operator

    def __post_init__(self) -> None:
        if self.pay_by <= self.file.issued_on:
            raise ValueError("a formal notice leaves time to pay")
        if self.benefit_payer is not None:
            check_payer(self.benefit_payer)


def render_formal_notice(doc: FormalNotice) -> bytes:
    """The mise en demeure as PDF bytes: registered letter, amounts by period, deadline, what follows."""
    file = doc.file
    story = Story()
    registered = "Lettre recommandée avec accusé de réception" + (
        f" n° {doc.registered_number}" if doc.registered_number else ""
    )
    _letter_head(
        story,
        file,
        _household_recipient(file),
        "mise en demeure de payer — loyers et charges impayés",
        above=registered,
    )
    story.para("Madame, Monsieur,")
    since = (
        f"Malgré notre courrier du {date_in_words(doc.reminder_sent_on)}, votre" if doc.reminder_sent_on else "Votre"
    )
    story.para(
        f"{since} compte locataire présente au {date_in_words(file.as_of)} un solde impayé de {money(file.total)} "
        f"pour le logement situé {', '.join(file.unit_address)} ({file.lease_reference}), détaillé ci-dessous."
    )
    _period_table(story, file, to_household=True)
    story.box(
        f"Par la présente, nous vous mettons en demeure de régler la somme de {money(file.total)} au plus tard le "
        f"{date_in_words(doc.pay_by)}."
    )
    story.para("Le loyer et les charges des mois suivants restent dus à leur échéance habituelle.")
    story.para(
        f"Si vous ne pouvez pas régler cette somme en une seule fois, contactez avant cette date "
        f"{doc.referent.reach()} : nous pouvons convenir par écrit d'un plan d'apurement et vous aider à solliciter "
        "le Fonds de solidarité pour le logement (FSL)."
    )
    story.para("À défaut de paiement ou d'accord à cette date :")
    steps = []
    if doc.visale:
        steps.append(
            "nous déclarerons l'impayé à Visale (Action Logement), garant de votre bail, qui pourra ensuite vous "
            "demander le remboursement des sommes qu'il aura versées ;"
        )
    if doc.benefit_payer:
        steps.append(
            f"nous sommes tenus de signaler l'impayé à la {doc.benefit_payer}, qui nous verse votre aide au logement "
            "(code de la construction et de l'habitation, art. L.824-1 et R.824-4) ;"
        )
    steps.append(
        "la situation pourra être soumise à la commission de coordination des actions de prévention des expulsions "
        "locatives (CCAPEX) de votre département, qui aide à trouver une solution."
    )
    story.bullets(steps)
    story.para("La présente lettre vaut mise en demeure au sens de l'article 1344 du Code civil.")
    _sign_off(story, file, "Veuillez agréer, Madame, Monsieur, l'expression de nos salutations distinguées.")
    return _render(story, file, "Mise en demeure")


# --- signalement à la CAF / MSA -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """A step taken to recover the debt (R.824-4: the landlord shows it pursues recovery by every means)."""

    on: date
    text: str  # « relance amiable par courrier »


@dataclass(frozen=True, kw_only=True)
class BenefitArrearsReport:
    file: ArrearsFile
    benefit_payer: str  # « CAF » / « MSA »
    payer_name: str  # « CAF du Rhône »
    payer_address: tuple[str, ...]
    allocataire_number: str | None = None  # None: a field left blank to fill in
    lease_starts_on: date
    monthly_rent: Decimal  # charges excluded
    monthly_charges: Decimal
    monthly_benefit: Decimal
    constituted_on: date  # CCH R.824-1
    steps: tuple[Step, ...] = ()
    referent: Referent | None = None  # the household's support, if any

    def __post_init__(self) -> None:
        check_payer(self.benefit_payer)
        check_cents(rent=self.monthly_rent, charges=self.monthly_charges, benefit=self.monthly_benefit)
        if not ZERO < self.monthly_benefit <= self.monthly_rent + self.monthly_charges:
            raise ValueError("a report concerns a benefit paid to the operator")


def render_benefit_arrears_report(doc: BenefitArrearsReport) -> bytes:
    """The signalement d'impayé to the CAF / MSA as PDF bytes (CCH L.824-1, R.824-1, R.824-4)."""
    file = doc.file
    story = Story()
    _letter_head(
        story,
        file,
        [doc.payer_name, *doc.payer_address],
        "signalement d'un impayé de loyer — aide au logement versée au bailleur (tiers payant)",
    )
    story.para("Madame, Monsieur,")
    story.para(
        f"En application des articles L.824-1 et R.824-4 du code de la construction et de l'habitation, "
        f"{file.operator.name}, qui perçoit l'aide au logement pour le compte de l'allocataire, vous signale "
        f"l'impayé ci-dessous, constitué le {date_in_words(doc.constituted_on)} au sens de l'article R.824-1."
    )
    monthly_total = doc.monthly_rent + doc.monthly_charges
    share = monthly_total - doc.monthly_benefit
    story.facts(
        [
            ("Allocataire(s)", names(file.tenants)),
            ("N° d'allocataire", doc.allocataire_number or "____________________ (à compléter)"),
            ("Logement", ", ".join(file.unit_address)),
            ("Bail", f"{file.lease_reference}, en cours depuis le {date_in_words(doc.lease_starts_on)}"),
            (
                "Loyer et charges mensuels",
                f"{money(doc.monthly_rent)} hors charges + {money(doc.monthly_charges)} de charges "
                f"= {money(monthly_total)}",
            ),
            (
                f"Aide versée par la {doc.benefit_payer}",
                f"{money(doc.monthly_benefit)} par mois ; part du ménage : {money(share)}",
            ),
            ("Impayé constitué le", date_in_words(doc.constituted_on)),
            (f"Dette au {date_in_words(file.as_of)}", money(file.total)),
        ]
    )
    _period_table(story, file, to_household=False)
    story.para("Démarches engagées pour le recouvrement", "article")
    if doc.steps:
        story.bullets([f"le {date_in_words(step.on)} : {step.text}" for step in doc.steps])
    else:
        story.para("Aucune démarche n'est encore enregistrée à ce jour.")
    if doc.referent is not None:
        story.para(f"Le ménage est accompagné ; son interlocuteur est {doc.referent.reach()}.")
    story.para(
        "Nous poursuivons le recouvrement à l'amiable et proposons au ménage un plan d'apurement, que nous vous "
        "transmettrons dès sa signature. Nous vous remercions de nous faire connaître la suite donnée à ce "
        "signalement."
    )
    _sign_off(story, file, "Veuillez agréer, Madame, Monsieur, l'expression de nos salutations distinguées.")
    return _render(story, file, f"Signalement d'impayé ({doc.benefit_payer})")


# --- plan d'apurement -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduledInstalment:
    number: int
    due_on: date
    amount: Decimal


@dataclass(frozen=True, kw_only=True)
class RepaymentPlanAgreement:
    file: ArrearsFile
    operator_role: str = "Le bailleur"  # « L'association, bailleur », « L'agence, mandataire du propriétaire »
    instalments: tuple[ScheduledInstalment, ...]
    current_share: Decimal  # the household's monthly part of rent and charges, paid on top
    grace_days: int  # arrears.plan.grace_days
    referent: Referent | None = None
    benefit_payer: str | None = None  # « CAF » / « MSA » when the benefit is paid to the operator
    signed_on: date | None = None

    def __post_init__(self) -> None:
        if not self.instalments:
            raise ValueError("a plan has at least one instalment")
        for instalment in self.instalments:
            check_cents(amount=instalment.amount)
        if sum((instalment.amount for instalment in self.instalments), ZERO) != self.file.total:
            raise ValueError("the instalments add up to the debt, to the cent")
        if self.benefit_payer is not None:
            check_payer(self.benefit_payer)


def _schedule_table(story: Story, doc: RepaymentPlanAgreement) -> None:
    head = ParagraphStyle("head", parent=story.style["small"], fontName=story.style["strong"].fontName)
    right = _right(story)
    data: list[list[object]] = [
        [
            Paragraph("N°", head),
            Paragraph("Échéance", head),
            Paragraph("Montant", ParagraphStyle("head-right", parent=head, alignment=TA_RIGHT)),
        ]
    ]
    for instalment in doc.instalments:
        data.append(
            [
                Paragraph(str(instalment.number), story.style["body"]),
                Paragraph(pdf_text(date_in_words(instalment.due_on)), story.style["body"]),
                Paragraph(pdf_text(money(instalment.amount)), right),
            ]
        )
    data.append(
        [
            "",
            Paragraph("Total", story.style["strong"]),
            Paragraph(pdf_text(money(doc.file.total)), _right(story, bold=True)),
        ]
    )
    table = Table(data, colWidths=[1.5 * cm, 7 * cm, 4 * cm], hAlign="LEFT", repeatRows=1)
    last = len(data) - 1
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, BLUE),
                ("LINEBELOW", (0, 1), (-1, last - 1), 0.3, colors.HexColor("#dddddd")),
                ("LINEABOVE", (0, last), (-1, last), 0.8, GREY),
                ("BACKGROUND", (0, last), (-1, last), colors.HexColor("#f5f5fe")),
            ]
        )
    )
    story.items.append(table)
    story.space(0.3 * cm)


def render_repayment_plan(doc: RepaymentPlanAgreement) -> bytes:
    """The plan d'apurement as PDF bytes: the debt by period, the schedule, the current rent, signatures."""
    file = doc.file
    story = Story()
    story.header(
        "Plan d'apurement",
        "Échéancier de remboursement de la dette locative",
        f"{file.reference} — établi à {file.place} le {date_in_words(file.issued_on)}",
    )
    household = Party(
        names(file.tenants), file.tenants_address, status="locataire" + ("s" if len(file.tenants) > 1 else "")
    )
    story.parties_many(
        [
            (doc.operator_role, file.operator, "le bailleur"),
            ("Le ménage", household, "le ménage"),
        ]
    )
    count = len(doc.instalments)
    story.numbered_article("La dette")
    story.para(
        f"Le ménage reconnaît devoir la somme de {money(file.total)} au titre des loyers et charges restés impayés "
        f"au {date_in_words(file.as_of)} pour le logement situé {', '.join(file.unit_address)} "
        f"({file.lease_reference}), détaillée ci-dessous."
    )
    _period_table(story, file, to_household=False)
    story.numbered_article("L'échéancier")
    story.para(
        f"Le ménage rembourse cette somme en {count} mensualité{'s' if count > 1 else ''}, en plus de sa part du "
        "loyer et des charges de chaque mois, selon l'échéancier suivant :"
    )
    _schedule_table(story, doc)
    story.numbered_article("Le loyer courant")
    story.para(
        "Pendant toute la durée du plan, le ménage continue de régler chaque mois sa part du loyer et des charges "
        f"(actuellement {money(doc.current_share)}) à son échéance habituelle."
    )
    story.numbered_article("Suivi et accompagnement")
    contact = f" Son interlocuteur est {doc.referent.reach()}." if doc.referent else ""
    story.para(
        "Si une difficulté survient, le ménage prévient le bailleur avant l'échéance concernée : le plan peut alors "
        f"être adapté par un avenant signé des deux parties.{contact}"
    )
    story.numbered_article("Si le plan n'est pas respecté")
    story.para(
        f"Le plan n'est pas respecté lorsqu'une mensualité ou la part du loyer courant n'est pas réglée dans les "
        f"{doc.grace_days} jours qui suivent son échéance. Le bailleur prend alors contact avec le ménage et, s'il "
        "y a lieu, avec son référent, pour rechercher une solution avant toute autre démarche ; à défaut, la somme "
        "restant due redevient exigible en une fois."
    )
    if doc.benefit_payer:
        story.numbered_article("Aide au logement")
        story.para(
            f"L'aide au logement étant versée au bailleur, une copie du présent plan est transmise à la "
            f"{doc.benefit_payer} (code de la construction et de l'habitation, art. R.824-4 et suivants)."
        )
    story.signatures_many(
        place=file.place,
        signed_on=doc.signed_on,
        boxes=[(f"Pour {file.operator.name}", file.signatory), *(("Locataire", tenant) for tenant in file.tenants)],
        copies=2,
    )
    return _render(story, file, "Plan d'apurement")
