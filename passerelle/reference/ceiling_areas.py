"""Which area of an income ceiling grid a commune falls in (``passerelle.reference.importers.ceilings``).

Pure: the simulator and matching both ask it, from the commune's code, region and A/B/C zone.
"""

from __future__ import annotations

ILE_DE_FRANCE = {"75", "77", "78", "91", "92", "93", "94", "95"}
# Loc1 ("intermédiaire") ceilings are by A/B/C zone; the zonage file writes « A bis ».
INTERMEDIATE_AREAS = {
    "A bis": "zone_Abis",
    "Abis": "zone_Abis",
    "A": "zone_A",
    "B1": "zone_B1",
    "B2": "zone_B2_C",
    "C": "zone_B2_C",
}


def is_ile_de_france(departement: str, region: str | None = None) -> bool:
    return region == "11" or departement in ILE_DE_FRANCE


def ceiling_areas(grid: str, *, insee: str, zone_abc: str | None, ile_de_france: bool) -> tuple[str, ...]:
    """The grid's possible areas for a commune: one, two when the reference data cannot tell, or none."""
    if grid == "INTERMEDIAIRE":
        area = INTERMEDIATE_AREAS.get(zone_abc or "")
        return (area,) if area else ()
    if insee.startswith("75"):
        return ("paris_adjacent",)
    if ile_de_france:
        # Whether the commune borders Paris is not in the reference data: both areas.
        return ("paris_adjacent", "idf_other")
    return ("other_regions",)
