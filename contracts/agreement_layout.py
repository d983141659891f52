"""Shared layout of the agreements with owners (mandate, lease to the association): parties, articles,
signatures, a footer with initials and « page X / N ». Reproducible: same document → same bytes.

The font is Bitstream Vera, shipped inside reportlab (the same on every machine, so the bytes are too). It has
no narrow no-break space (U+202F): amounts keep a no-break space (U+00A0) in its place.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    ListFlowable,
    ListItem,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from contracts.typography import NBSP, NNBSP, date_in_words, nbsp

# Names of our own: another builder may register the same files under its names with another family.
FONT, FONT_BOLD, FONT_ITALIC = "AgreementVera", "AgreementVera-Bold", "AgreementVera-Italic"
BLUE = colors.HexColor("#000091")
GREY = colors.HexColor("#3a3a3a")
MARGIN = 2 * cm
COPIES_IN_WORDS = ("un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix")


# --- input parts shared by the documents ----------------------------------------------------------------------


@dataclass(frozen=True)
class Party:
    name: str
    address_lines: tuple[str, ...] = ()
    status: str | None = None  # « personne physique », « association agréée (CCH L.365-4) »…
    represented_by: str | None = None
    identifier: str | None = None  # SIREN / SIRET


@dataclass(frozen=True)
class UnitDescription:
    address_lines: tuple[str, ...]
    surface_m2: Decimal
    annexes_m2: Decimal = Decimal("0")
    rooms: int | None = None
    dpe_class: str | None = None


@dataclass(frozen=True)
class Convention:
    """A Loc'Avantages commitment: the level, the cap at the signature date, the duration, the deadlines."""

    level_label: str
    rent_cap: Decimal
    cap_on: date
    years: int
    request_deadline_months: int


@dataclass(frozen=True)
class SignatureRecord:
    """How the owner signed: on paper (recorded by staff) or by a click in the portal (time and IP kept)."""

    method_label: str
    signed_on: date
    signatory: str
    accepted_at: datetime | None = None  # click-to-accept, already in Paris time
    ip: str | None = None


# --- text ---------------------------------------------------------------------------------------------------


def pdf_text(text: str) -> str:
    """Plain French text → Paragraph markup: typographic spaces, XML escaped, glyphs the font has."""
    return escape(nbsp(text)).replace(NNBSP, NBSP)


def styles() -> dict[str, ParagraphStyle]:
    _register_fonts()
    body = ParagraphStyle("body", fontName=FONT, fontSize=9.5, leading=13, spaceAfter=4)
    return {
        "title": ParagraphStyle(
            "title", parent=body, fontName=FONT_BOLD, fontSize=17, leading=21, textColor=BLUE, spaceAfter=2
        ),
        "subtitle": ParagraphStyle("subtitle", parent=body, fontSize=10.5, leading=14, textColor=GREY),
        "article": ParagraphStyle(
            "article", parent=body, fontName=FONT_BOLD, fontSize=11, leading=14, textColor=BLUE, spaceBefore=9
        ),
        "body": body,
        "bullet": ParagraphStyle("bullet", parent=body, spaceAfter=1),
        "small": ParagraphStyle("small", parent=body, fontSize=8, leading=10.5, textColor=GREY),
        "party": ParagraphStyle("party", parent=body, leftIndent=8, spaceAfter=6),
        "center": ParagraphStyle("center", parent=body, alignment=TA_CENTER),
        "strong": ParagraphStyle("strong", parent=body, fontName=FONT_BOLD),
    }


_fonts_registered = False


def _register_fonts() -> None:
    global _fonts_registered
    if _fonts_registered:
        return
    # reportlab finds its own Vera files on its font search path.
    pdfmetrics.registerFont(TTFont(FONT, "Vera.ttf"))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, "VeraBd.ttf"))
    pdfmetrics.registerFont(TTFont(FONT_ITALIC, "VeraIt.ttf"))
    pdfmetrics.registerFont(TTFont(f"{FONT}-BoldItalic", "VeraBI.ttf"))
    pdfmetrics.registerFontFamily(
        FONT, normal=FONT, bold=FONT_BOLD, italic=FONT_ITALIC, boldItalic=f"{FONT}-BoldItalic"
    )
    _fonts_registered = True


class Story:
    """The flowables of a document, added in reading order with French text."""

    def __init__(self) -> None:
        self.style = styles()
        self.items: list[Flowable] = []
        self.article_count = 0  # for numbered_article

    def para(self, text: str, style: str = "body", *, markup: bool = False) -> None:
        self.items.append(Paragraph(text if markup else pdf_text(text), self.style[style]))

    def article(self, number: int, title: str) -> None:
        # Keep a title with at least the start of its text.
        self.items.append(CondPageBreak(3 * cm))
        self.para(f"Article {number} — {title}", "article")

    def numbered_article(self, title: str) -> None:
        """The next article: numbers follow each other when optional articles come and go."""
        self.article_count += 1
        self.article(self.article_count, title)

    def bullets(self, lines: Iterable[str]) -> None:
        self.items.append(
            ListFlowable(
                [ListItem(Paragraph(pdf_text(line), self.style["bullet"]), leftIndent=14) for line in lines],
                bulletType="bullet",
                start="•",
                leftIndent=14,
                bulletFontName=FONT,
                bulletFontSize=9,
            )
        )

    def space(self, height: float = 0.3 * cm) -> None:
        self.items.append(Spacer(1, height))

    def facts(self, rows: Sequence[tuple[str, str]]) -> None:
        """A two-column table of labelled facts (the unit, the money)."""
        data = [
            [Paragraph(pdf_text(label), self.style["strong"]), Paragraph(pdf_text(value), self.style["body"])]
            for label, value in rows
        ]
        table = Table(data, colWidths=[6 * cm, None], hAlign="LEFT")
        table.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.4, colors.HexColor("#dddddd")),
                    ("TOPPADDING", (0, 0), (-1, -1), 3),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ]
            )
        )
        self.items += [table, Spacer(1, 0.2 * cm)]

    def box(self, text: str) -> None:
        """A framed paragraph for the clause that matters most to the owner."""
        table = Table([[Paragraph(pdf_text(text), self.style["body"])]], colWidths=[None])
        table.setStyle(
            TableStyle(
                [
                    ("BOX", (0, 0), (-1, -1), 1, BLUE),
                    ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#f5f5fe")),
                    ("LEFTPADDING", (0, 0), (-1, -1), 8),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 8),
                    ("TOPPADDING", (0, 0), (-1, -1), 6),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
                ]
            )
        )
        self.items += [Spacer(1, 0.1 * cm), table, Spacer(1, 0.2 * cm)]

    def header(self, title: str, subtitle: str, reference: str) -> None:
        self.para(title, "title")
        self.para(subtitle, "subtitle")
        self.para(reference, "small")
        self.space(0.4 * cm)

    def parties(self, first: tuple[str, Party, str], second: tuple[str, Party, str]) -> None:
        self.para("Entre les soussignés :", "strong")
        for role, party, alias in (first, second):
            lines = [f"<b>{pdf_text(role)}</b> — {pdf_text(party.name)}"]
            if party.status:
                lines.append(pdf_text(party.status))
            if party.identifier:
                lines.append(pdf_text(party.identifier))
            if party.address_lines:
                lines.append(pdf_text(", ".join(party.address_lines)))
            if party.represented_by:
                lines.append(pdf_text(f"représenté(e) par {party.represented_by}"))
            lines.append(f"ci-après {pdf_text(f'« {alias} »')}")
            self.para("<br/>".join(lines), "party", markup=True)
        self.para("Il a été convenu ce qui suit.")

    def signatures(
        self,
        *,
        place: str,
        left: tuple[str, str],
        right: tuple[str, str],
        signature: SignatureRecord | None,
    ) -> None:
        """« Fait à …, le … » (dated once signed), two signature boxes, how the owner signed when recorded."""
        on = date_in_words(signature.signed_on) if signature is not None else "____________________"
        block: list[Flowable] = [
            Spacer(1, 0.4 * cm),
            Paragraph(pdf_text(f"Fait à {place}, le {on}, en deux exemplaires originaux."), self.style["body"]),
            Spacer(1, 0.2 * cm),
        ]
        cells = []
        for role, name in (left, right):
            cells.append(
                [
                    Paragraph(f"<b>{pdf_text(role)}</b><br/>{pdf_text(name)}", self.style["body"]),
                    Paragraph(pdf_text("« Lu et approuvé », date et signature :"), self.style["small"]),
                    Spacer(1, 2.2 * cm),
                ]
            )
        table = Table([cells], colWidths=[None, None])
        table.setStyle(
            TableStyle(
                [
                    ("BOX", (0, 0), (0, 0), 0.6, GREY),
                    ("BOX", (1, 0), (1, 0), 0.6, GREY),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 6),
                ]
            )
        )
        block.append(table)
        if signature is not None:
            text = (
                f"Signature enregistrée : {signature.method_label.lower()} par {signature.signatory}, le "
                f"{date_in_words(signature.signed_on)}"
            )
            if signature.accepted_at is not None:
                text += f" à {signature.accepted_at:%H:%M} (heure de Paris)"
            if signature.ip:
                text += f", depuis l'adresse IP {signature.ip}"
            block += [Spacer(1, 0.25 * cm), Paragraph(pdf_text(text + "."), self.style["small"])]
        self.items.append(KeepTogether(block))

    def parties_many(self, entries: Sequence[tuple[str, Party, str]]) -> None:
        """« Entre les soussignés » with any number of parties: (role, party, « ci-après » alias) each."""
        self.para("Entre les soussignés :", "strong")
        for role, party, alias in entries:
            details = [party.status, party.identifier, ", ".join(party.address_lines) or None]
            if party.represented_by:
                details.append(f"représenté(e) par {party.represented_by}")
            lines = [f"<b>{pdf_text(role)}</b> — {pdf_text(party.name)}"]
            lines += [pdf_text(detail) for detail in details if detail]
            lines.append(f"ci-après {pdf_text(f'« {alias} »')}")
            self.para("<br/>".join(lines), "party", markup=True)
        self.para("Il a été convenu ce qui suit.")

    def signatures_many(
        self,
        *,
        place: str,
        signed_on: date | None,
        boxes: Sequence[tuple[str, str]],
        copies: int | None,
        caption: str = "« Lu et approuvé », date et signature :",
        note: str | None = None,
    ) -> None:
        """« Fait à …, le … » (blank until signed), one box per signatory, three a row, then an optional note.

        ``copies`` writes « en N exemplaires originaux » (None for a one-sided attestation); a single box sits
        on the right half of the page.
        """
        on = date_in_words(signed_on) if signed_on is not None else "____________________"
        made = f"Fait à {place}, le {on}"
        if copies is not None:
            copies_text = "exemplaires originaux" if copies > 1 else "exemplaire original"
            made += f", en {COPIES_IN_WORDS[copies - 1]} {copies_text}"
        block: list[Flowable] = [
            Spacer(1, 0.4 * cm),
            Paragraph(pdf_text(made + "."), self.style["body"]),
            Spacer(1, 0.2 * cm),
        ]
        per_row = min(3, len(boxes))
        cells: list[Any] = [
            [
                Paragraph(f"<b>{pdf_text(role)}</b><br/>{pdf_text(name)}", self.style["body"]),
                Paragraph(pdf_text(caption), self.style["small"]),
                Spacer(1, 2.2 * cm),
            ]
            for role, name in boxes
        ]
        rows = [cells[start : start + per_row] for start in range(0, len(cells), per_row)]
        rows[-1] += [""] * (per_row - len(rows[-1]))
        commands: list[Any] = [("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 6)]
        commands += [
            ("BOX", (i % per_row, i // per_row), (i % per_row, i // per_row), 0.6, GREY) for i in range(len(boxes))
        ]
        if len(boxes) == 1:
            table = Table(rows, colWidths=[8.5 * cm], hAlign="RIGHT")
        else:
            table = Table(rows, colWidths=[None] * per_row)
        table.setStyle(TableStyle(commands))
        block.append(table)
        if note:
            block += [Spacer(1, 0.25 * cm), Paragraph(pdf_text(note), self.style["small"])]
        self.items.append(KeepTogether(block))


# --- the document -------------------------------------------------------------------------------------------


def _numbered_canvas(footer: str, initials: str, issued_on: date) -> type[Canvas]:
    """A canvas that knows the page count when it draws each footer (« page X / N »)."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            # The document's date, not the build time: same input, same bytes.
            stamp = f"D:{issued_on:%Y%m%d}000000+00'00'"
            self.setDateFormatter(lambda *_: stamp)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for number, state in enumerate(self._pages, 1):
                self.__dict__.update(state)
                self._footer(number, total)
                super().showPage()
            super().save()

        def _footer(self, number: int, total: int) -> None:
            width, _ = A4
            self.saveState()
            self.setStrokeColor(colors.HexColor("#dddddd"))
            self.line(MARGIN, 1.55 * cm, width - MARGIN, 1.55 * cm)
            self.setFillColor(GREY)
            self.setFont(FONT, 7.5)
            self.drawString(MARGIN, 1.15 * cm, footer.replace(NNBSP, NBSP))
            self.drawString(MARGIN, 0.75 * cm, initials)
            self.drawRightString(width - MARGIN, 1.15 * cm, f"page {number} / {total}")
            self.restoreState()

    return NumberedCanvas


def fit_footer(text: str) -> str:
    """Shorten a footer with « … » so that it never runs into « page X / N » (drawn on one line, 7.5 pt)."""
    _register_fonts()
    room = A4[0] - 2 * MARGIN - 2.5 * cm
    if pdfmetrics.stringWidth(text, FONT, 7.5) <= room:
        return text
    while text and pdfmetrics.stringWidth(text + "…", FONT, 7.5) > room:
        text = text[:-1]
    return text.rstrip() + "…"


def render(story: Story, *, title: str, footer: str, initials: str, issued_on: date, author: str) -> bytes:
    """Lay the story out on A4 pages and return the PDF bytes."""
    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=1.8 * cm,
        bottomMargin=2.2 * cm,
        title=title,
        author=author,
        subject=title,
        creator="Passerelle",
        lang="fr-FR",
        invariant=1,
    )
    document.build(story.items, canvasmaker=_numbered_canvas(footer, initials, issued_on))
    return buffer.getvalue()
