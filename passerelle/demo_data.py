"""Facts the demo needs, typed in with their sources (the full official files are imported by admins)."""

from __future__ import annotations

from decimal import Decimal as D

CUA_EPCI = "200033579"
CUA_NAME = "Communauté urbaine d'Arras"

RENT_MAP_SOURCE = (
    "Carte des loyers 2024, appartements (pred-app-mef-dhup.csv), DHUP/ANIL, data.gouv.fr, Licence Ouverte"
)
RENT_MAP_EDITION = 2024

# (INSEE, name, loypredm2, lwr.IPm2, upr.IPm2, TYPPRED, nbobs_com): the communes of the CUA (EPCI 200033579)
# present in the first rows of the national file, zone 1002 (nbobs_mail 11618, R2_adj 0.859426).
CUA_RENTS = [
    ("62041", "Arras", D("12.301219"), D("9.845015"), D("15.370214"), "commune", 11242),
    ("62263", "Dainville", D("12.214125"), D("9.781882"), D("15.251139"), "commune", 184),
    ("62817", "Tilloy-lès-Mofflaines", D("10.416213"), D("8.343465"), D("13.003889"), "maille", 60),
    ("62869", "Wailly", D("10.416213"), D("8.343465"), D("13.003889"), "maille", 45),
    ("62097", "Beaumetz-lès-Loges", D("10.416213"), D("8.343465"), D("13.003889"), "maille", 27),
    ("62712", "Rivière", D("10.416213"), D("8.343465"), D("13.003889"), "maille", 13),
    ("62611", "Neuville-Vitasse", D("10.416213"), D("8.343465"), D("13.003889"), "maille", 5),
    ("62172", "Boyelles", D("10.416213"), D("8.343465"), D("13.003889"), "maille", 4),
    ("62428", "Hénin-sur-Cojeul", D("10.416213"), D("8.343465"), D("13.003889"), "maille", 2),
    ("62085", "Basseux", D("10.416213"), D("8.343465"), D("13.003889"), "maille", 0),
    ("62152", "Boisleux-Saint-Marc", D("10.416213"), D("8.343465"), D("13.003889"), "maille", 0),
    ("62761", "Saint-Martin-sur-Cojeul", D("10.416213"), D("8.343465"), D("13.003889"), "maille", 0),
]
CUA_RENT_ZONE = "1002"

IRL_SOURCE = "INSEE, Indice de référence des loyers (base 100 au 4e trimestre 1998), Informations rapides"
# (year, quarter, value): INSEE publications, metropolitan France.
IRL = [
    (2023, 1, D("138.61")),
    (2023, 2, D("140.59")),
    (2023, 3, D("141.03")),
    (2023, 4, D("142.06")),
    (2024, 1, D("143.46")),
    (2024, 2, D("145.17")),
    (2024, 3, D("144.51")),
    (2024, 4, D("144.64")),
    (2025, 1, D("145.47")),
    (2025, 2, D("146.68")),
    (2025, 3, D("145.77")),
]

CEILINGS_SOURCE = "Arrêté du 23 décembre 2024 (plafonds 2025 PLUS/PLAI), tel que repris par l'ANIL"
# (grid, year, area, household category, annual ceiling in euros or None when unknown), for the
# "other regions" area where Arras is.
CEILINGS = [
    ("PLUS", 2025, "other_regions", "1", D("23201")),
    ("PLUS", 2025, "other_regions", "2", D("30984")),
    ("PLUS", 2025, "other_regions", "3", D("37259")),
    ("PLUS", 2025, "other_regions", "4", D("44982")),
    ("PLUS", 2025, "other_regions", "5", D("52915")),
    ("PLUS", 2025, "other_regions", "6", D("59636")),
    ("PLUS", 2025, "other_regions", "extra_person", D("6652")),
    ("PLAI", 2025, "other_regions", "1", D("12759")),
    ("PLAI", 2025, "other_regions", "2", D("18591")),
    ("PLAI", 2025, "other_regions", "3", D("22356")),
    ("PLAI", 2025, "other_regions", "4", D("24875")),
    # Categories 5, 6 and extra persons: not found — stored as unknown, never guessed.
    ("PLAI", 2025, "other_regions", "5", None),
    ("PLAI", 2025, "other_regions", "6", None),
    ("PLAI", 2025, "other_regions", "extra_person", None),
]
