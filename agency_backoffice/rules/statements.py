"""Owner statements (relevé de gérance), pure rules: the arithmetic of a month and what a statement says.

- ``management_fees``: the fees on the rent collected, truncated to the cent;
- ``guaranteed_month``: the main lease's rent owed for the days of a month (sous-location, bail glissant before
  its slide), prorated as every rent;
- ``rent_first``: how the payments allocated to a call split between rent and charges;
- ``UnitLine`` and ``StatementDraft``: one unit on a statement and an owner's month, before it is issued;
- the dates and numbers a statement carries (``transfer_day``, ``statement_number``, ``of_month``).
What is owed to whom, and from which payments, is decided by agency_backoffice/operations/statements.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal
from typing import Any

from agency_backoffice.rules.ledger import CENT, ZERO, month_end, month_start, next_month, prorate
from contracts import owner_statement as document
from contracts.typography import MONTHS

# Statements go out on the 1st for the month before; the transfer is announced for the 5th.
PAYOUT_DAY = 5


# --- arithmetic ------------------------------------------------------------------------------------------------


def management_fees(rent_collected: Decimal, rate: Decimal | None) -> Decimal:
    """Fees on the rent collected, charges excluded (the mandate's article 5: « des loyers hors charges
    effectivement encaissés », contracts/mandate.py), truncated to the cent: a fraction of a cent is never taken
    from the owner (as the ledger never rounds up against the household: rules/ledger.py prorate)."""
    if rate is None or rent_collected <= 0:
        return ZERO
    return (rent_collected * rate).quantize(CENT, rounding=ROUND_DOWN)


@dataclass(frozen=True)
class GuaranteedMonth:
    rent: Decimal
    charges: Decimal
    start: date
    end: date

    @property
    def whole(self) -> bool:
        return self.start.day == 1 and self.end == month_end(self.start)


def guaranteed_month(
    rent: Decimal, charges: Decimal, starts_on: date, ended_on: date | None, period: date
) -> GuaranteedMonth | None:
    """The main lease's rent for the days of ``period`` the agreement runs (first and last months prorated by days,
    truncated to the cent as every prorated rent), or None outside the agreement."""
    first, last = month_start(period), month_end(period)
    start = max(first, starts_on)
    end = last if ended_on is None else min(last, ended_on)
    if end < start:
        return None
    days, days_in_month = (end - start).days + 1, last.day
    return GuaranteedMonth(
        rent=prorate(rent, days, days_in_month), charges=prorate(charges, days, days_in_month), start=start, end=end
    )


def rent_first(rent: Decimal, allocations: Iterable[tuple[int, Decimal]]) -> dict[int, tuple[Decimal, Decimal]]:
    """Split each allocation of a call into (rent, charges), in the order they settled it: rent first, then the
    charges provision. No rule decides how a partial payment divides; a fixed order counts each cent once."""
    split: dict[int, tuple[Decimal, Decimal]] = {}
    settled = ZERO
    for allocation_id, amount in allocations:
        rent_part = max(ZERO, min(rent, settled + amount) - min(rent, settled))
        split[allocation_id] = (rent_part, amount - rent_part)
        settled += amount
    return split


def of_month(period: date) -> str:
    """« d'octobre 2026 », « de novembre 2026 »."""
    name = MONTHS[period.month - 1]
    return f"{'d’' if name[0] in 'aeiou' else 'de '}{name} {period.year}"


# --- what a statement says -------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class UnitLine:
    """One unit on a statement; stored as JSON in ``OwnerStatement.lines`` (amounts as strings)."""

    guaranteed: bool
    unit_id: int
    agreement_id: int
    lease_id: int | None
    month: date | None = None  # sous-location: the month of rent this line pays
    unit_address: tuple[str, ...]
    lease_reference: str
    tenants: tuple[str, ...] = ()
    rent: Decimal
    charges: Decimal
    housing_benefit: Decimal = ZERO
    benefit_payer: str = "CAF"
    fee_rate: Decimal | None = None
    fees: Decimal = ZERO
    notes: tuple[str, ...] = ()
    allocations: tuple[int, ...] = ()

    @property
    def collected(self) -> Decimal:
        return self.rent + self.charges

    @property
    def net(self) -> Decimal:
        return self.collected - self.fees

    def statement_unit(self) -> document.StatementUnit:
        return document.StatementUnit(
            unit_address=self.unit_address,
            lease_reference=self.lease_reference,
            tenants=self.tenants,
            guaranteed_rent=self.guaranteed,
            rent=self.rent,
            charges=self.charges,
            housing_benefit=self.housing_benefit,
            benefit_payer=self.benefit_payer,
            fee_rate=self.fee_rate,
            fees=self.fees,
            notes=self.notes,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "guaranteed": self.guaranteed,
            "unit_id": self.unit_id,
            "agreement_id": self.agreement_id,
            "lease_id": self.lease_id,
            "month": None if self.month is None else self.month.isoformat(),
            "unit_address": list(self.unit_address),
            "lease_reference": self.lease_reference,
            "tenants": list(self.tenants),
            "rent": str(self.rent),
            "charges": str(self.charges),
            "housing_benefit": str(self.housing_benefit),
            "benefit_payer": self.benefit_payer,
            "fee_rate": None if self.fee_rate is None else str(self.fee_rate),
            "fees": str(self.fees),
            "notes": list(self.notes),
            "allocations": list(self.allocations),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> UnitLine:
        return cls(
            guaranteed=bool(data["guaranteed"]),
            unit_id=int(data["unit_id"]),
            agreement_id=int(data["agreement_id"]),
            lease_id=None if data.get("lease_id") is None else int(data["lease_id"]),
            month=date.fromisoformat(data["month"]) if data.get("month") else None,
            unit_address=tuple(data["unit_address"]),
            lease_reference=data["lease_reference"],
            tenants=tuple(data.get("tenants", ())),
            rent=Decimal(data["rent"]),
            charges=Decimal(data["charges"]),
            housing_benefit=Decimal(data.get("housing_benefit", "0")),
            benefit_payer=data.get("benefit_payer", "CAF"),
            fee_rate=None if data.get("fee_rate") is None else Decimal(data["fee_rate"]),
            fees=Decimal(data.get("fees", "0")),
            notes=tuple(data.get("notes", ())),
            allocations=tuple(int(i) for i in data.get("allocations", ())),
        )


@dataclass(frozen=True)
class StatementDraft:
    """An owner's month with an operator, computed and not yet issued."""

    operator_id: int
    landlord_id: int
    period: date
    units: tuple[UnitLine, ...]
    previous_balance: Decimal  # carried from earlier statements (≤ 0: what the owner still owes)

    @property
    def collected(self) -> Decimal:
        return sum((unit.collected for unit in self.units), ZERO)

    @property
    def benefit(self) -> Decimal:
        return sum((unit.housing_benefit for unit in self.units), ZERO)

    @property
    def fees(self) -> Decimal:
        return sum((unit.fees for unit in self.units), ZERO)

    @property
    def deductions(self) -> Decimal:
        return ZERO  # none is automatic for now (a repair invoice would be one)

    @property
    def balance(self) -> Decimal:
        return self.collected - self.fees - self.deductions + self.previous_balance

    @property
    def payout(self) -> Decimal:
        """What is paid out: the balance when it is in the owner's favour; a negative one is carried forward."""
        return max(self.balance, ZERO)


def transfer_day(period: date) -> date:
    return next_month(period).replace(day=PAYOUT_DAY)


def statement_number(period: date, landlord_id: int) -> str:
    """« RG-2026-11-00042 »: one statement per owner, operator and month."""
    return f"RG-{period:%Y-%m}-{landlord_id:05d}"
