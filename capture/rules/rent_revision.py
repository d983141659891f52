"""Yearly rent revision with the IRL (loi 89-462 art. 17-1; domain.md §5): pure rules, figures as inputs.

New rent = current rent (charges excluded) × IRL of the lease's reference quarter / IRL of the same quarter one
year earlier, **truncated** to the cent (ANIL's example: 500 × 129.38 / 127.22 = 508.489… → 508.48 €, never
rounded up against the household). When the index goes down the rent goes down: that is the formula too.

- **Freeze**: no revision at all for the DPE classes the caller passes in (parameter
  ``irl.revision_frozen_dpe_classes``, F and G since 24 August 2022, loi 2021-1104 art. 159): the rent stays.
- **Convention cap**: a conventioned (Anah) rent never exceeds its cap after revision. When the current rent is
  already above the cap, the result is the cap (the convention forbids the excess; a revision never keeps it).
  The cap applies after the freeze: a frozen rent above the cap comes down to the cap.
- **Which index**: the latest index of the reference quarter published at the revision date. An index without a
  publication date counts once its quarter is over, as ``agency_backoffice.queries.leases.latest_irl`` decides.
  When the index that should be out is not in the series, ``MissingIndex`` says so: never an older index instead.
- **When**: each year on the lease's anniversary (or the date the lease states); not retroactive — the revised
  rent applies from the first due date on or after the later of the revision date and the landlord's request,
  and a request more than ``claim_months`` (parameter ``irl.revision_claim_months``) after the date is too late.

Nothing here touches Flask or the database; every figure comes from the caller (versioned reference data).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_DOWN, Decimal, localcontext

from capture.rules.locavantages import add_months, add_years
from contracts.typography import money
from contracts.typography import number as french_number

CENT = Decimal("0.01")
DPE_CLASSES = ("A", "B", "C", "D", "E", "F", "G")
QUARTER_WORDS = ("1er trimestre", "2e trimestre", "3e trimestre", "4e trimestre")
QUARTER_FORMAT = "AAAA-Tn ou AAAA-Qn, par exemple 2024-T2"
_QUARTER = re.compile(r"\s*([1-9]\d{3})\s*[-/ ]?\s*[QT]\s*([1-4])\s*", re.IGNORECASE)
_QUARTER_SHAPE = re.compile(r"\s*(\d{1,4})\s*[-/ ]?\s*[QT]\s*(\d+)\s*", re.IGNORECASE)


class InvalidQuarter(ValueError):
    """A quarter that cannot be read; the message is French and says what is expected."""


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    quarter: int

    def __post_init__(self) -> None:
        if not 1 <= self.quarter <= 4:
            raise InvalidQuarter(f"Trimestre {self.quarter} impossible : de 1 à 4.")

    @property
    def code(self) -> str:
        """``2024-Q2``: the API's spelling."""
        return f"{self.year}-Q{self.quarter}"

    @property
    def label(self) -> str:
        """``2024-T2``: INSEE's spelling, as ``IrlIndex.label``."""
        return f"{self.year}-T{self.quarter}"

    @property
    def in_words(self) -> str:
        """``2e trimestre 2024``."""
        return f"{QUARTER_WORDS[self.quarter - 1]} {self.year}"

    def previous_year(self) -> Quarter:
        return Quarter(self.year - 1, self.quarter)

    def is_over_by(self, on: date) -> bool:
        """True from the first day of the month after the quarter's last month (``latest_irl``'s presumption)."""
        return (self.year, self.quarter * 3) < (on.year, on.month)


def parse_quarter(text: str) -> Quarter:
    """Read ``2024-Q2``, ``2024-T2``, ``2024T2`` or ``2024 q2``; raise InvalidQuarter in French otherwise."""
    match = _QUARTER.fullmatch(text or "")
    if match is not None:
        return Quarter(int(match[1]), int(match[2]))
    shape = _QUARTER_SHAPE.fullmatch(text or "")
    if shape is not None and not 1 <= int(shape[2]) <= 4:
        raise InvalidQuarter(f"Trimestre « {shape[2]} » impossible : de 1 à 4 ({QUARTER_FORMAT}).")
    if shape is not None:
        raise InvalidQuarter(f"Année « {shape[1]} » invalide : format attendu {QUARTER_FORMAT}.")
    raise InvalidQuarter(f"Trimestre illisible « {(text or '').strip()} » : format attendu {QUARTER_FORMAT}.")


def latest_quarter_over(quarter_number: int, on: date) -> Quarter:
    """The latest quarter with this number (1–4) that is over by ``on``, in ``latest_irl``'s sense."""
    year = on.year if quarter_number * 3 < on.month else on.year - 1
    return Quarter(year, quarter_number)


# --- indices ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IrlValue:
    """One IRL of the series: its quarter, its value, and its publication date when known."""

    quarter: Quarter
    value: Decimal
    published_on: date | None = None


class MissingIndex(LookupError):
    """The index a revision needs is not in the series: say which, never use another one instead."""

    def __init__(self, quarter: Quarter) -> None:
        super().__init__(
            f"L'IRL du {quarter.in_words} ({quarter.label}) n'est pas disponible dans Passerelle (pas encore "
            "publié par l'INSEE, ou pas encore importé) : aucune valeur n'est devinée, le calcul attend cet indice."
        )
        self.quarter = quarter


def counts_as_published(index: IrlValue, on: date) -> bool:
    """Published by ``on``: its publication date if known, else once its quarter is over (as ``latest_irl``)."""
    if index.published_on is not None:
        return index.published_on <= on
    return index.quarter.is_over_by(on)


def indices_for_revision(series: Iterable[IrlValue], quarter_number: int, on: date) -> tuple[IrlValue, IrlValue]:
    """The IRL to apply at a revision on ``on`` and the one it is compared with (same quarter, a year earlier).

    The applied index is the latest of the lease's reference quarter published by ``on``. The quarter that should
    be out by then must be in the series: when it is missing, ``MissingIndex`` names it (the revision waits for
    the import) rather than falling back to the year before. Only an index whose recorded publication date comes
    after ``on`` gives way to the year before.
    """
    by_quarter = {index.quarter: index for index in series}
    quarter = latest_quarter_over(quarter_number, on)
    while True:
        applied = by_quarter.get(quarter)
        if applied is None:
            raise MissingIndex(quarter)
        if counts_as_published(applied, on):
            break
        quarter = quarter.previous_year()
    previous = by_quarter.get(quarter.previous_year())
    if previous is None:
        raise MissingIndex(quarter.previous_year())
    return applied, previous


# --- the revision -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RentRevision:
    """The revised rent and why: the indices, the formula's result, the freeze and the cap."""

    rent: Decimal  # current rent, charges excluded
    quarter_new: Quarter
    irl_new: Decimal
    quarter_old: Quarter
    irl_old: Decimal
    indexed_rent: Decimal  # rent × irl_new / irl_old truncated to the cent, before freeze and cap
    new_rent: Decimal
    increase: Decimal  # new_rent − rent; negative when the index or the cap brings the rent down
    frozen: bool
    capped: bool
    cap: Decimal | None
    dpe_class: str | None
    explanation: str  # French, one paragraph

    @property
    def formula(self) -> str:
        """``500,00 € × 129,38 / 127,22 = 508,48 €``."""
        return (
            f"{money(self.rent)} × {french_number(self.irl_new)} / {french_number(self.irl_old)} = "
            f"{money(self.indexed_rent)}"
        )


def parse_classes(text: str) -> frozenset[str]:
    """``"F,G"`` (a parameter's text) → {"F", "G"}; an unknown letter is an error in the data."""
    classes = frozenset(part.strip().upper() for part in text.split(",") if part.strip())
    unknown = classes - set(DPE_CLASSES)
    if unknown:
        raise ValueError(f"Classes DPE inconnues : {', '.join(sorted(unknown))}")
    return classes


def indexed(rent: Decimal, irl_new: Decimal, irl_old: Decimal) -> Decimal:
    """rent × new / old, truncated to the cent (ANIL: 508.489… → 508.48; never rounded up)."""
    with localcontext() as context:
        # Rounding toward zero in the division too, so that no digit beyond the context's precision can carry
        # the result over a cent: the truncation below is then exactly the true quotient's.
        context.rounding = ROUND_DOWN
        context.prec = 34
        return (rent * irl_new / irl_old).quantize(CENT, rounding=ROUND_DOWN)


def revise_rent(
    rent: Decimal,
    new: IrlValue,
    old: IrlValue,
    *,
    dpe_class: str | None = None,
    frozen_classes: Collection[str] = (),
    cap: Decimal | None = None,
) -> RentRevision:
    """Revise a rent (charges excluded) with the IRL ``new`` over ``old`` (the same quarter one year earlier).

    ``frozen_classes``: the DPE classes whose rent may not be revised at the revision date (read by the caller
    from ``irl.revision_frozen_dpe_classes``; empty before the freeze existed). ``cap``: the convention cap.
    """
    if rent <= 0 or rent != rent.quantize(CENT):
        raise ValueError("Le loyer doit être supérieur à 0, en euros et centimes.")
    if new.value <= 0 or old.value <= 0:
        raise ValueError("Un IRL est toujours supérieur à 0.")
    if old.quarter != new.quarter.previous_year():
        raise ValueError(
            f"L'IRL du {new.quarter.in_words} se compare à celui du {new.quarter.previous_year().in_words}, "
            f"pas à celui du {old.quarter.in_words}."
        )
    if cap is not None and (cap <= 0 or cap != cap.quantize(CENT)):
        raise ValueError("Le plafond de loyer doit être supérieur à 0, en euros et centimes.")
    rent, cap = rent.quantize(CENT), cap.quantize(CENT) if cap is not None else None
    dpe = dpe_class.strip().upper() if dpe_class and dpe_class.strip() else None
    result = indexed(rent, new.value, old.value)
    frozen = dpe is not None and dpe in {c.upper() for c in frozen_classes}
    base = rent if frozen else result
    capped = cap is not None and base > cap
    new_rent = cap if capped and cap is not None else base
    revision = RentRevision(
        rent=rent,
        quarter_new=new.quarter,
        irl_new=new.value,
        quarter_old=old.quarter,
        irl_old=old.value,
        indexed_rent=result,
        new_rent=new_rent,
        increase=new_rent - rent,
        frozen=frozen,
        capped=capped,
        cap=cap,
        dpe_class=dpe,
        explanation="",
    )
    return _with_explanation(revision)


def _with_explanation(r: RentRevision) -> RentRevision:
    indices = (
        f"IRL du {r.quarter_new.in_words} ({french_number(r.irl_new)}) rapporté à celui du "
        f"{r.quarter_old.in_words} ({french_number(r.irl_old)})"
    )
    parts = []
    if r.frozen:
        parts.append(
            f"Logement classé {r.dpe_class} au DPE : le loyer est gelé, il ne peut pas être révisé (loi n° 89-462, "
            "art. 17-1, dans sa rédaction issue de la loi n° 2021-1104 du 22 août 2021, art. 159). Sans ce gel, "
            f"la révision aurait donné, avec l'{indices} : {r.formula} (tronqué au centime)."
        )
    else:
        parts.append(f"{indices} : {r.formula} (tronqué au centime).")
    if r.capped and r.cap is not None:
        if r.rent > r.cap:
            parts.append(
                f"Le loyer actuel dépasse déjà le plafond de la convention ({money(r.cap)}) : il est ramené au plafond."
            )
        else:
            parts.append(f"Ce montant dépasse le plafond de la convention ({money(r.cap)}) : il est ramené au plafond.")
    if r.increase > 0:
        change = f"soit une hausse de {money(r.increase)} par mois"
    elif r.increase < 0:
        change = f"soit une baisse de {money(-r.increase)} par mois"
    else:
        change = "inchangé"
    parts.append(f"Loyer révisé : {money(r.new_rent)} hors charges ({change}).")
    return replace(r, explanation=" ".join(parts))


# --- when ---------------------------------------------------------------------------------------------------


def _revision_on(starts_on: date, first_on: date | None, years: int) -> date:
    """The revision ``years`` after the first one, always counted from the anchor (so 29 February comes back)."""
    if first_on is None:
        return add_years(starts_on, years + 1)
    return add_years(first_on, years)


def revision_dates(starts_on: date, until: date, *, first_on: date | None = None) -> tuple[date, ...]:
    """Every yearly revision date up to ``until`` included: from ``first_on`` (a date the lease states) or else
    the lease's anniversaries; a 29 February falls on the 28th in other years."""
    if first_on is not None and first_on <= starts_on:
        raise ValueError("La première révision ne peut pas précéder la prise d'effet du bail.")
    dates: list[date] = []
    years = 0
    while (current := _revision_on(starts_on, first_on, years)) <= until:
        dates.append(current)
        years += 1
    return tuple(dates)


def next_revision_on(starts_on: date, on: date, *, first_on: date | None = None) -> date:
    """The first revision date on or after ``on``."""
    first = _revision_on(starts_on, first_on, 0)
    years = max(0, on.year - first.year - 1)
    while (current := _revision_on(starts_on, first_on, years)) < on:
        years += 1
    return current


def first_due_date_from(on: date, payment_day: int) -> date:
    """The first rent due date (the lease's payment day of a month) on or after ``on``."""
    day = min(payment_day, calendar.monthrange(on.year, on.month)[1])
    this_month = on.replace(day=day)
    if this_month >= on:
        return this_month
    following = add_months(on.replace(day=1), 1)
    return following.replace(day=min(payment_day, calendar.monthrange(following.year, following.month)[1]))


def revision_effective_on(revision_on: date, requested_on: date, payment_day: int) -> date:
    """The first due date at the revised rent: not retroactive, so never before the landlord's request."""
    return first_due_date_from(max(revision_on, requested_on), payment_day)


def revision_lapsed(revision_on: date, requested_on: date, claim_months: int) -> bool:
    """True when the landlord asks too late: the revision of that year is lost (art. 17-1, loi ALUR)."""
    return requested_on > add_months(revision_on, claim_months)
