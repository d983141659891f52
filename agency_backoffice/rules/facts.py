"""The facts matching reasons on: one household, one available unit, the income ceilings of the unit's level.

The caller maps database rows into these; the rules never read anything else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from agency_backoffice.models.enums import Need, PriorityFlag, Situation, SupportIntensity
from agency_backoffice.rules.composition import Member
from capture.models.enums import ConventionLevel, IMLMode

AREA_LABELS = {
    "paris_adjacent": "Paris et communes limitrophes",
    "idf_other": "reste de l'Île-de-France",
    "other_regions": "autres régions",
    "zone_Abis": "zone A bis",
    "zone_A": "zone A",
    "zone_B1": "zone B1",
    "zone_B2_C": "zones B2 et C",
}
LAST_CATEGORY = 6  # categories beyond the 6th add the "extra_person" amount per person


@dataclass(frozen=True)
class CeilingGrid:
    """Annual income ceilings (revenu fiscal de référence N-2) of one grid, area and year, by category.

    ``amounts`` maps '1'..'6' and 'extra_person' to an amount, or None where the reference data does not know it.
    """

    grid: str
    area: str
    year: int
    amounts: dict[str, Decimal | None]

    def amount(self, category: int) -> Decimal | None:
        """Ceiling for a household category; None when unknown (never guessed)."""
        if category <= LAST_CATEGORY:
            return self.amounts.get(str(category))
        last, extra = self.amounts.get(str(LAST_CATEGORY)), self.amounts.get("extra_person")
        if last is None or extra is None:
            return None
        return last + extra * (category - LAST_CATEGORY)

    def describe(self, category: int) -> str:
        """« PLUS 2025, autres régions, catégorie 3 »."""
        return f"{self.grid} {self.year}, {AREA_LABELS.get(self.area, self.area)}, catégorie {category}"


@dataclass(frozen=True)
class HouseholdFacts:
    """A household waiting for a unit, as matching sees it (monthly amounts, annual tax income)."""

    id: int
    couple: bool
    members: tuple[Member, ...]
    monthly_resources: Decimal
    tax_income: Decimal | None
    referred_on: date
    disability_card: bool = False
    needs: frozenset[Need] = frozenset()
    situation: Situation = Situation.OTHER
    support_intensity: SupportIntensity = SupportIntensity.NONE
    support_consented: bool = False
    priority_flags: frozenset[PriorityFlag] = frozenset()
    wished_communes: frozenset[str] = frozenset()  # INSEE codes
    place_communes: frozenset[str] = frozenset()  # communes of work, school, care
    needed_by: date | None = None
    parked_until: date | None = None
    related_landlord_ids: frozenset[int] = frozenset()
    prefers_low_floor: bool = False

    @property
    def persons(self) -> int:
        return len(self.members)

    @property
    def support_in_place(self) -> bool:
        """A support the household has agreed to (accompaniment rests on free consent)."""
        return self.support_intensity is not SupportIntensity.NONE and self.support_consented


@dataclass(frozen=True)
class UnitFacts:
    """An available unit of the operator's stock (``id`` is the stock entry, ``unit_id`` the unit)."""

    id: int
    unit_id: int
    landlord_id: int
    commune_insee: str
    commune_name: str
    mode: IMLMode
    level: ConventionLevel
    rent: Decimal
    charges: Decimal
    rooms: int
    surface_m2: Decimal
    available_on: date
    floor: int | None = None
    has_lift: bool | None = None
    step_free: bool | None = None
    ceiling: CeilingGrid | None = None  # None when the level has no income ceiling (no convention)

    @property
    def cost(self) -> Decimal:
        return self.rent + self.charges
