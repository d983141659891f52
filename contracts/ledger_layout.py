"""Layout shared by the rent ledger's documents (contracts/rent_documents.py, contracts/owner_statement.py): the
period in words, amounts tables that add up, side-by-side address blocks, IBANs printed or masked.

Built on contracts/agreement_layout.py (Story, fonts, footer); pure, no database. A month's receipts share most of
their text and their characters: ``LedgerStory`` remembers how a paragraph is parsed and broken into lines
(``CachedParagraph``) and builds each distinct font subset once (``remember_font_subsets``) — same bytes, faster.
"""

from __future__ import annotations

import calendar
import zlib
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any
from weakref import WeakKeyDictionary

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Table, TableStyle

from contracts.agreement_layout import BLUE, FONT, FONT_BOLD, FONT_ITALIC, GREY, MARGIN, Story, pdf_text
from contracts.residential_lease import names
from contracts.typography import MONTHS, NBSP, date_in_words, money

ZERO = Decimal("0")
CENT = Decimal("0.01")
MINUS = "\u2212"  # the minus sign, not a hyphen, before an amount deducted
BENEFIT_PAYERS = ("CAF", "MSA")
# The frame of agreement_layout.render: A4 less its margins and the frame's own 6 pt padding on each side.
WIDTH = A4[0] - 2 * MARGIN - 12


# --- layout remembered across documents -------------------------------------------------------------------------
# How a paragraph is parsed and broken into lines depends only on its text, its style and the width it is given:
# the captions, labels and legal mentions that every quittance repeats are parsed and measured once, not 10,000
# times. The same lines come out, hence the same bytes. Bounded: a full cache is emptied and refills at once.
LAYOUT_CACHE_SIZE = 4_096
_parsed: dict[tuple[str, str], dict[str, Any]] = {}
_broken: dict[tuple[str, str, tuple[float, ...], int], Any] = {}
_style_keys: WeakKeyDictionary[ParagraphStyle, str] = WeakKeyDictionary()
_UNSET = object()
_OWN = ("_source", "_key", "_breaks")  # CachedParagraph's own attributes, not a parse's


def _style_key(style: ParagraphStyle) -> str:
    """Every attribute that shapes a paragraph (styles are rebuilt for each document, equal in content)."""
    key = _style_keys.get(style)
    if key is None:
        attributes = sorted((name, value) for name, value in vars(style).items() if name not in ("name", "parent"))
        key = _style_keys[style] = repr(attributes)
    return key


def _remember(cache: dict[Any, Any], key: Any, value: Any, size: int = LAYOUT_CACHE_SIZE) -> None:
    if len(cache) >= size:
        cache.clear()
    cache[key] = value


def clear_layout_cache() -> None:
    _parsed.clear()
    _broken.clear()
    _subsets.clear()


class CachedParagraph(Paragraph):
    """A Paragraph that reuses the parse and the line breaks of an equal paragraph laid out before.

    reportlab breaks a paragraph again each time it is wrapped (a table cell: twice) and the first break rewrites
    the paragraph's fragments, so each break is remembered with its rank and with what it changed on the paragraph:
    replayed, they leave it exactly as breaking it would have.
    """

    def __init__(self, text: str, style: ParagraphStyle) -> None:
        self._source = text
        self._key = (text, _style_key(style))
        self._breaks = 0
        parsed = _parsed.get(self._key)
        if parsed is None:
            super().__init__(text, style)
            parsed = {name: value for name, value in self.__dict__.items() if name not in _OWN}
            _remember(_parsed, self._key, parsed)
            return
        self.__dict__.update(parsed)

    def breakLines(self, width: Sequence[float]) -> Any:
        if self.bulletText:  # a bullet narrows ``width`` in place: not worth remembering
            return super().breakLines(width)
        key = (*self._key, tuple(width), self._breaks)
        self._breaks += 1
        remembered = _broken.get(key)
        if remembered is None:
            before = dict(self.__dict__)
            lines = super().breakLines(width)
            changed = {name: value for name, value in self.__dict__.items() if before.get(name, _UNSET) is not value}
            _remember(_broken, key, (lines, changed))
            return lines
        lines, changed = remembered
        self.__dict__.update(changed)
        return lines

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:
        # Splitting across pages edits the fragments it hands on: split a paragraph of its own, not shared ones.
        parts: list[Flowable] = Paragraph(self._source, self.style).split(availWidth, availHeight)
        return parts


# Each PDF embeds the subset of the font it uses: the ASCII characters and, in order of first use, the others
# (é, €, «…). A month's receipts use very few distinct subsets: each is built and compressed once, and the same
# bytes are embedded again (Length1, Filter and Length as reportlab writes them). About 45 kB each: 64 at most.
SUBSET_CACHE_SIZE = 64
_subsets: dict[tuple[str, tuple[int, ...]], tuple[bytes, bytes]] = {}


def _subset(face: Any, subset: Sequence[int]) -> tuple[bytes, bytes]:
    key = (face.filename, tuple(subset))
    found = _subsets.get(key)
    if found is None:
        raw = face.__class__.makeSubset(face, subset)
        found = (raw, zlib.compress(raw))
        _remember(_subsets, key, found, SUBSET_CACHE_SIZE)
    return found


def _remembering(face: Any, add_subset_objects: Callable[..., Any]) -> Callable[..., Any]:
    def add(doc: Any, fontname: str, subset: Sequence[int]) -> Any:
        reference = add_subset_objects(doc, fontname, subset)
        stream = doc.idToObject.get(f"fontFile:{face.filename}({fontname})")
        if stream is not None and stream.filters == [pdfdoc.PDFZCompress]:
            stream.content = _subset(face, subset)[1]  # what the FlateDecode filter would have written
            stream.dictionary["Filter"] = pdfdoc.PDFArray([pdfdoc.PDFName(pdfdoc.PDFZCompress.pdfname)])
        return reference

    return add


def remember_font_subsets() -> None:
    """Have the fonts of contracts/agreement_layout.py build and compress each distinct subset once (idempotent)."""
    for name in (FONT, FONT_BOLD, FONT_ITALIC, f"{FONT}-BoldItalic"):
        face = pdfmetrics.getFont(name).face
        if "addSubsetObjects" not in vars(face):
            face.makeSubset = lambda subset, face=face: _subset(face, subset)[0]
            face.addSubsetObjects = _remembering(face, face.addSubsetObjects)


_LEDGER_STYLES: dict[str, ParagraphStyle] = {}


class LedgerStory(Story):
    """A Story whose paragraphs are ``CachedParagraph``, on one set of styles shared by every ledger document
    (styles are never modified once built, and the caches find shared ones at once)."""

    def __init__(self) -> None:
        super().__init__()
        if not _LEDGER_STYLES:
            _LEDGER_STYLES.update(self.style)
            remember_font_subsets()
        self.style = _LEDGER_STYLES

    def para(self, text: str, style: str = "body", *, markup: bool = False) -> None:
        self.items.append(CachedParagraph(text if markup else pdf_text(text), self.style[style]))


def check_cents(**amounts: Decimal) -> None:
    """Refuse a sub-cent amount: the ledger rounds (it knows the rule), the document only adds what it prints."""
    for name, value in amounts.items():
        if value != value.quantize(CENT):
            raise ValueError(f"{name} must be a whole number of cents, not {value}")


def check_period(start: date, end: date) -> None:
    if start > end or (start.year, start.month) != (end.year, end.month):
        raise ValueError(f"a rent period lies within one month: {start} to {end}")


def period_text(start: date, end: date) -> str:
    """« décembre 2026 » for a whole month; a prorated month names its days: « du 10 au 31 décembre 2026 (22 jours
    sur 31) »."""
    check_period(start, end)
    days_in_month = calendar.monthrange(start.year, start.month)[1]
    month = f"{MONTHS[start.month - 1]} {start.year}"
    if start.day == 1 and end.day == days_in_month:
        return month
    days = (end - start).days + 1
    first = "1er" if start.day == 1 else str(start.day)
    covered = f"le {first} {month}" if days == 1 else f"du {first} au {end.day} {month}"
    return f"{covered} ({days} jour{'s' if days > 1 else ''} sur {days_in_month})"


def compact_iban(iban: str) -> str:
    compact = "".join(iban.split()).upper()
    if len(compact) < 15 or not compact.isalnum():
        raise ValueError("not an IBAN")
    return compact


def iban_groups(iban: str) -> str:
    """« FR76 3000 … » in groups of four, kept on one line."""
    compact = compact_iban(iban)
    return NBSP.join(compact[start : start + 4] for start in range(0, len(compact), 4))


def masked_iban(iban: str) -> str:
    """Only the last four characters of an owner's IBAN: « •••• 0189 »."""
    return f"••••{NBSP}{compact_iban(iban)[-4:]}"


def minus(amount: Decimal) -> str:
    """An amount deducted: « − 238,00 € »."""
    return f"{MINUS}{NBSP}{money(amount)}"


def address_blocks(story: Story, left: tuple[str, Sequence[str]], right: tuple[str, Sequence[str]]) -> None:
    """Two side-by-side blocks (who issues, who receives), each a caption then lines, the first line bold."""
    cells = []
    for caption, lines in (left, right):
        text = "<br/>".join(
            f"<b>{pdf_text(line)}</b>" if number == 0 else pdf_text(line) for number, line in enumerate(lines)
        )
        cells.append(
            [CachedParagraph(pdf_text(caption), story.style["small"]), CachedParagraph(text, story.style["body"])]
        )
    table = Table([cells], colWidths=[WIDTH / 2, WIDTH / 2], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (0, 0), 0),
                ("LEFTPADDING", (1, 0), (1, 0), 12),
                ("LINEBEFORE", (1, 0), (1, 0), 0.6, colors.HexColor("#dddddd")),
            ]
        )
    )
    story.items.append(table)
    story.space(0.35 * cm)


LINE, DETAIL, TOTAL, GRAND_TOTAL = "line", "detail", "total", "grand_total"


def _amount_styles(style: dict[str, ParagraphStyle]) -> dict[str, ParagraphStyle]:
    """The amounts table's styles, derived once per set of styles (a LedgerStory's set is shared)."""
    if "grand-amount" not in style:
        body = style["body"]
        right = style["amount"] = ParagraphStyle("amount", parent=body, alignment=TA_RIGHT, spaceAfter=0)
        style["detail"] = ParagraphStyle("detail", parent=style["small"], leftIndent=12, spaceAfter=0)
        style["detail-amount"] = ParagraphStyle(
            "detail-amount", parent=style["small"], alignment=TA_RIGHT, spaceAfter=0
        )
        total = style["total-amount"] = ParagraphStyle("total-amount", parent=right, fontName=style["strong"].fontName)
        style["grand"] = ParagraphStyle("grand", parent=style["strong"], textColor=BLUE, fontSize=10.5, leading=14)
        style["grand-amount"] = ParagraphStyle("grand-amount", parent=total, textColor=BLUE, fontSize=10.5, leading=14)
    return style


def amounts_table(story: Story, rows: Sequence[tuple[str, str, str]], *, width: float = WIDTH) -> Table:
    """Label and right-aligned amount per row; a row is (label, amount text, LINE | DETAIL | TOTAL | GRAND_TOTAL).

    A DETAIL row (« dont … ») is small and indented: it explains the row above and is not added.
    """
    style = _amount_styles(story.style)
    styles = {
        LINE: (style["body"], style["amount"]),
        DETAIL: (style["detail"], style["detail-amount"]),
        TOTAL: (style["strong"], style["total-amount"]),
        GRAND_TOTAL: (style["grand"], style["grand-amount"]),
    }
    data = []
    commands: list[tuple[object, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 0),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    for index, (label, amount, kind) in enumerate(rows):
        label_style, amount_style = styles[kind]
        data.append([CachedParagraph(pdf_text(label), label_style), CachedParagraph(pdf_text(amount), amount_style)])
        if kind in (TOTAL, GRAND_TOTAL):
            commands.append(("LINEABOVE", (0, index), (-1, index), 0.8 if kind == GRAND_TOTAL else 0.5, GREY))
            commands.append(("TOPPADDING", (0, index), (-1, index), 4))
        if kind == GRAND_TOTAL:
            commands.append(("BACKGROUND", (0, index), (-1, index), colors.HexColor("#f5f5fe")))
    table = Table(data, colWidths=[width - 4 * cm, 4 * cm], hAlign="LEFT")
    table.setStyle(TableStyle(commands))
    story.items.append(table)
    story.space(0.25 * cm)
    return table


def keep_together(story: Story, start: int) -> None:
    """Keep the flowables added since ``start`` on one page (a unit's block, a closing mention and its signer)."""
    block = story.items[start:]
    del story.items[start:]
    story.items.append(KeepTogether(block))


def of(name: str) -> str:
    """« de Claire Dupont », « d'Amina Diallo »: « de » is elided before a vowel."""
    return f"d'{name}" if name[:1].lower() in "aeiouyàâäéèêëîïôöùûüœ" else f"de {name}"


def on_dates(days: Sequence[date]) -> str:
    """« le 3 décembre 2026 », « les 3 décembre 2026 et 5 décembre 2026 »."""
    words = [date_in_words(day) for day in days]
    return f"le {words[0]}" if len(words) == 1 else f"les {names(tuple(words))}"


def check_payer(payer: str) -> None:
    if payer not in BENEFIT_PAYERS:
        raise ValueError(f"the housing benefit is paid by the CAF or the MSA, not {payer!r}")
