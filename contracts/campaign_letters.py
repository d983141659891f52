"""A campaign's mail-merge letters: one A4 page per owner, ready for a windowed envelope.

``render_campaign_letters(CampaignLetters) -> bytes``. The body is the campaign's text, split into paragraphs,
in which ``{nom}``, ``{adresse_logement}`` and ``{commune}`` are replaced by each letter's values. A letter
always fits on its page (a long body is shrunk), so page X of the file is letter X. Same input → same bytes
(the creation date is the letters' date; only the reproducible-builds variable SOURCE_DATE_EPOCH, which
reportlab folds into the file identifier, changes the bytes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from io import BytesIO
from pathlib import Path
from xml.sax.saxutils import escape

import reportlab
from reportlab.lib.enums import TA_JUSTIFY, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Frame, KeepInFrame, Paragraph, Spacer

from contracts.typography import NBSP, NNBSP, date_in_words, nbsp

MERGE_FIELDS = ("nom", "adresse_logement", "commune")
_MERGE_FIELD = re.compile(r"\{([^{}\s]*)\}")


@dataclass(frozen=True)
class Letter:
    """One recipient: the owner, their postal address (envelope lines) and the unit the letter is about."""

    recipient_name: str
    recipient_address_lines: tuple[str, ...]
    unit_address: str
    commune: str
    reference: str = ""  # what the owner quotes when answering, e.g. « dossier n° 42 »

    def merge(self, text: str) -> str:
        """Replace the merge fields; any other brace is left as written."""
        values = {"nom": self.recipient_name, "adresse_logement": self.unit_address, "commune": self.commune}
        return _MERGE_FIELD.sub(lambda match: values.get(match.group(1), match.group(0)), text)


@dataclass(frozen=True)
class CampaignLetters:
    """The sender, the text shared by every letter, and the letters."""

    operator_name: str
    operator_address_lines: tuple[str, ...]
    operator_phone: str | None
    operator_email: str | None
    signatory: str
    signatory_title: str | None
    city: str  # where the letters are written from: « Arras, le … »
    date: date
    subject: str  # may use the merge fields
    body: tuple[str, ...]  # paragraphs, salutation and closing formula included; may use the merge fields
    letters: tuple[Letter, ...]
    title: str = "Courriers"  # document title (PDF metadata)


def unknown_merge_fields(text: str) -> list[str]:
    """The ``{…}`` fields of a text that no letter can fill (a typo such as ``{adresse}``)."""
    return sorted({match.group(0) for match in _MERGE_FIELD.finditer(text) if match.group(1) not in MERGE_FIELDS})


def paragraphs(text: str) -> tuple[str, ...]:
    """Split a text typed in a form into paragraphs (a blank line between two); line breaks are kept."""
    blocks = re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip())
    return tuple(block.strip() for block in blocks if block.strip())


def place_and_date(city: str, on: date) -> str:
    """« Arras, le 22 novembre 2026 » (« Le 22 novembre 2026 » without a place)."""
    return f"{city}, le {date_in_words(on)}" if city else f"Le {date_in_words(on)}"


# --- rendering --------------------------------------------------------------------------------------

FONT, FONT_BOLD = "PasserelleVera", "PasserelleVera-Bold"
# Bitstream Vera ships with reportlab: the same font file wherever the document is built, so the same bytes.
_FONT_DIR = Path(reportlab.__file__).parent / "fonts"

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 20 * mm
# Windowed envelope (DL, window on the right): the address block sits 110 mm from the left edge and
# 50 mm from the top of an A4 sheet folded in three.
WINDOW_LEFT, WINDOW_TOP, WINDOW_WIDTH, WINDOW_HEIGHT = 110 * mm, 50 * mm, 85 * mm, 35 * mm
BODY_TOP = 112 * mm
FOOTER_Y = 12 * mm


def _register_fonts() -> None:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, str(_FONT_DIR / "Vera.ttf")))
        pdfmetrics.registerFont(TTFont(FONT_BOLD, str(_FONT_DIR / "VeraBd.ttf")))
        pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD)


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=FONT, fontSize=10, leading=13.5)
    return {
        "base": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8.5, leading=11),
        "sender": ParagraphStyle("sender", parent=base, fontSize=9.5, leading=12.5),
        "recipient": ParagraphStyle("recipient", parent=base, fontSize=10.5, leading=14),
        "date": ParagraphStyle("date", parent=base, alignment=TA_RIGHT),
        "subject": ParagraphStyle("subject", parent=base, fontName=FONT_BOLD),
        "body": ParagraphStyle("body", parent=base, alignment=TA_JUSTIFY, spaceAfter=7),
        "signature": ParagraphStyle("signature", parent=base, leftIndent=95 * mm),
    }


def typeset(text: str) -> str:
    """Plain text as it is drawn: runs of spaces collapsed, French no-break spaces put in.

    reportlab breaks lines at U+202F and Vera has no glyph for it: the narrow no-break space is drawn as a
    plain no-break space, which reportlab never breaks.
    """
    return nbsp(re.sub(r"[ \t]+", " ", text)).replace(NNBSP, NBSP)


def _markup(text: str) -> str:
    """Plain text to reportlab markup: typeset, escaped, line breaks kept."""
    return "<br/>".join(escape(line.strip()) for line in typeset(text).split("\n"))


def _block(canvas: Canvas, lines: list[str], style: ParagraphStyle, x: float, top: float, width: float) -> float:
    """Draw paragraphs from a top edge downwards; return the bottom edge."""
    y = top
    for line in lines:
        paragraph = Paragraph(line, style)
        _, height = paragraph.wrap(width, PAGE_HEIGHT)
        y -= height
        paragraph.drawOn(canvas, x, y)
    return y


def _draw_letter(canvas: Canvas, doc: CampaignLetters, letter: Letter, page: int, pages: int) -> None:
    styles = _styles()
    width = PAGE_WIDTH - 2 * MARGIN
    top = PAGE_HEIGHT - MARGIN

    sender = [f"<b>{_markup(doc.operator_name)}</b>", *(_markup(line) for line in doc.operator_address_lines)]
    if doc.operator_phone:
        sender.append(_markup(f"Tél. : {doc.operator_phone}"))
    if doc.operator_email:
        sender.append(_markup(doc.operator_email))
    _block(canvas, sender, styles["sender"], MARGIN, top, 80 * mm)

    recipient = [_markup(letter.recipient_name), *(_markup(line) for line in letter.recipient_address_lines)]
    _block(canvas, recipient, styles["recipient"], WINDOW_LEFT, PAGE_HEIGHT - WINDOW_TOP, WINDOW_WIDTH)

    y = PAGE_HEIGHT - WINDOW_TOP - WINDOW_HEIGHT - 8 * mm
    y = _block(canvas, [_markup(place_and_date(doc.city, doc.date))], styles["date"], MARGIN, y, width)
    if letter.reference:
        _block(canvas, [_markup(f"Nos réf. : {letter.reference}")], styles["small"], MARGIN, y - 2 * mm, width)

    story = [
        Paragraph(_markup(f"Objet : {letter.merge(doc.subject)}"), styles["subject"]),
        Spacer(0, 6 * mm),
        *(Paragraph(_markup(letter.merge(text)), styles["body"]) for text in doc.body),
        Spacer(0, 8 * mm),
        Paragraph(_markup(doc.signatory), styles["signature"]),
    ]
    if doc.signatory_title:
        story.append(Paragraph(_markup(doc.signatory_title), styles["signature"]))
    story.append(Paragraph(_markup(doc.operator_name), styles["signature"]))
    frame_bottom = FOOTER_Y + 10 * mm
    frame = Frame(
        MARGIN, frame_bottom, width, PAGE_HEIGHT - BODY_TOP - frame_bottom, leftPadding=0, rightPadding=0, topPadding=0
    )
    # A long text is shrunk to fit: each letter stays on its own page.
    frame.addFromList([KeepInFrame(width, frame.height, story, mode="shrink")], canvas)

    contact = " · ".join(part for part in (doc.operator_name, doc.operator_phone, doc.operator_email) if part)
    canvas.setFont(FONT, styles["small"].fontSize)
    canvas.drawString(MARGIN, FOOTER_Y, typeset(contact))
    canvas.drawRightString(PAGE_WIDTH - MARGIN, FOOTER_Y, f"page{NBSP}{page}{NBSP}/{NBSP}{pages}")


def render_campaign_letters(doc: CampaignLetters) -> bytes:
    """Build the PDF: one page per letter, in the order given."""
    if not doc.letters:
        raise ValueError("no letters to render")
    _register_fonts()
    buffer = BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=1, pageCompression=1)
    # Dated by the letters themselves, not by the clock or SOURCE_DATE_EPOCH: same input, same bytes.
    stamp = f"D:{doc.date:%Y%m%d}000000+00'00'"
    canvas.setDateFormatter(lambda *_: stamp)
    canvas.setTitle(doc.title)
    canvas.setAuthor(doc.operator_name)
    canvas.setSubject("Courriers de campagne (publipostage)")
    canvas.setCreator("Passerelle")
    canvas.setProducer("Passerelle (reportlab)")
    for page, letter in enumerate(doc.letters, 1):
        _draw_letter(canvas, doc, letter, page, len(doc.letters))
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()
