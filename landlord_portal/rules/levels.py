"""Name the levels and letting modes the simulator combines into options, and its money conventions."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from capture.rules import locavantages

ZERO = Decimal("0")
CENT = Decimal("0.01")
MONTHS_PER_YEAR = Decimal("12")  # calendar fact, not a rule parameter
DPE_CLASSES = locavantages.DPE_CLASSES


money = locavantages.to_cent  # round an amount to the cent, half up


class Level(StrEnum):
    NONE = "none"
    LOC1 = "loc1"
    LOC2 = "loc2"
    LOC3 = "loc3"


class Mode(StrEnum):
    DIRECT = "direct"  # the owner lets and manages the unit themself
    MANDATE = "mandate"  # mandat de gestion: an AIS manages for the owner
    SUBLEASE = "sublease"  # location / sous-location to an association; bail glissant starts this way


CONVENTIONED = (Level.LOC1, Level.LOC2, Level.LOC3)
LEVEL_LABELS = {
    Level.NONE: "Location au prix du marché",
    Level.LOC1: "Loc1 (intermédiaire)",
    Level.LOC2: "Loc2 (social)",
    Level.LOC3: "Loc3 (très social)",
}
MODE_LABELS = {
    Mode.DIRECT: "vous gérez vous-même",
    Mode.MANDATE: "mandat de gestion",
    Mode.SUBLEASE: "location / sous-location ou bail glissant",
}
# Every combination, feasible or not, in the order the API lists them.
OPTION_KEYS: tuple[tuple[str, Level, Mode], ...] = (
    ("market", Level.NONE, Mode.DIRECT),
    *((f"{level}_{mode}", level, mode) for level in CONVENTIONED for mode in Mode),
)
