"""The field visit's outcome (capture/rules/assessment.py): décence checklist, main room, DPE, works."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from capture.models import AssessmentOutcome
from capture.rules import assessment as rules
from capture.rules.locavantages import BAN_KEYS
from tests.test_locavantages_rules import values_at

ON = date(2026, 11, 22)
NNBSP, NBSP = "\u202f", "\u00a0"
PARAMS = values_at(ON)
THRESHOLDS = rules.Thresholds(
    min_room_m2=PARAMS["decence.min_room_surface_m2"],
    min_height_m=PARAMS["decence.min_ceiling_height_m"],
    min_volume_m3=PARAMS["decence.min_room_volume_m3"],
    energy_max_kwh_m2=PARAMS["decence.energy_max_kwh_m2"],
)
BANS = {dpe: PARAMS[key] for dpe, key in BAN_KEYS.items()}
ALL_YES = {item.key: True for item in rules.CHECKLIST}


def visit(answers: dict[str, bool | None] | None = None, **fields: object) -> rules.Assessment:
    values: dict[str, object] = {
        "answers": {**ALL_YES, **(answers or {})},
        "main_room_m2": D("14"),
        "ceiling_height_m": D("2.50"),
        "dpe_class": "D",
    }
    start = fields.pop("start", None)
    values.update(fields)
    return rules.assess(
        rules.VisitFindings(**values),  # type: ignore[arg-type]
        on=ON,
        thresholds=THRESHOLDS,
        bans=BANS,
        commitment_years=6,
        commitment_start=start,  # type: ignore[arg-type]
    )


def test_the_checklist_covers_decret_2002_120() -> None:
    keys = {item.key for item in rules.CHECKLIST}
    assert {
        "gros_oeuvre",
        "garde_corps",
        "electricite",
        "gaz",
        "chauffage",
        "eau_potable",
        "evacuation",
        "cuisine",
        "wc",
        "toilette",
        "aeration",
        "eclairement",
        "nuisibles",
    } <= keys
    assert all(item.label and item.reference for item in rules.ITEMS.values())
    assert not rules.MAIN_ROOM.fixable  # a room too small cannot be enlarged by works
    assert rules.ITEMS["chauffage"].label.startswith("Chauffage")


def test_a_decent_unit_is_eligible() -> None:
    result = visit()
    assert result.outcome is AssessmentOutcome.ELIGIBLE
    assert result.reasons == ("Tous les points de décence vérifiés sont conformes.",)
    assert result.warnings == () and result.failures == ()


def test_failures_with_works_make_it_eligible_after_works() -> None:
    result = visit(
        {"chauffage": False, "electricite": False},
        works=(
            rules.Work("Remplacer la chaudière", D("3500"), "chauffage"),
            rules.Work("Mise aux normes du tableau électrique", D("1200"), "electricite"),
            rules.Work("Peintures", None, None),
        ),
    )
    assert result.outcome is AssessmentOutcome.ELIGIBLE_AFTER_WORKS
    assert set(result.failures) == {"chauffage", "electricite"}
    assert result.works_cost == D("4700") and not result.works_cost_known  # the painting is not priced
    text = " ".join(result.reasons)
    assert f"Chauffage : non conforme — travaux prévus : Remplacer la chaudière (3{NNBSP}500,00{NBSP}€)." in text
    assert f"4{NNBSP}700,00{NBSP}€ (certains postes restent à chiffrer)" in text


def test_a_failure_without_works_is_not_eligible() -> None:
    result = visit({"chauffage": False, "wc": False}, works=(rules.Work("WC neuf", D("900"), "wc"),))
    assert result.outcome is AssessmentOutcome.NOT_ELIGIBLE
    assert result.reasons == (
        "Chauffage : non conforme (décret 2002-120, art. 3, 1°), et aucuns travaux ne sont prévus pour y remédier.",
    )


@pytest.mark.parametrize(
    ("surface", "height", "decent"),
    [
        (D("9"), D("2.20"), True),  # exactly the minimums
        (D("8.5"), D("2.40"), True),  # 20.4 m³: the volume is enough
        (D("8.5"), D("2.30"), False),  # 19.55 m³, under 9 m²
        (D("9"), D("2.10"), False),  # 18.9 m³, too low
        (D("12"), D("1.80"), True),  # 21.6 m³
    ],
)
def test_main_room_surface_height_or_volume(surface: D, height: D, decent: bool) -> None:
    result = visit(main_room_m2=surface, ceiling_height_m=height)
    assert (result.outcome is AssessmentOutcome.ELIGIBLE) is decent


def test_a_main_room_too_small_is_not_fixable() -> None:
    result = visit(
        main_room_m2=D("8.5"),
        ceiling_height_m=D("2.30"),
        works=(rules.Work("Abattre une cloison", D("2000"), "piece_principale"),),
    )
    assert result.outcome is AssessmentOutcome.NOT_ELIGIBLE
    assert result.reasons == (
        "Pièce principale : 8,50 m² sous 2,30 m, soit 19,55 m³ ; il faut au moins 9 m² sous 2,20 m, ou 20 m³ "
        "(décret 2002-120, art. 4). Des travaux ne peuvent pas y remédier.",
    )


def test_thresholds_come_from_the_parameters() -> None:
    stricter = rules.Thresholds(D("15"), D("2.20"), D("40"), 450)
    result = rules.assess(
        rules.VisitFindings(ALL_YES, D("14"), D("2.50"), "D"),
        on=ON,
        thresholds=stricter,
        bans=BANS,
        commitment_years=6,
    )
    assert result.outcome is AssessmentOutcome.NOT_ELIGIBLE


def test_g_is_banned_since_2025_unless_renovation_is_planned() -> None:
    result = visit(dpe_class="G")
    assert result.outcome is AssessmentOutcome.NOT_ELIGIBLE
    assert result.reasons == (
        "Performance énergétique : classé G au DPE, il n'est plus décent pour un bail nouveau ou renouvelé depuis "
        "le 1er janvier 2025, et aucune rénovation énergétique n'est prévue.",
    )
    assert result.banned_in_commitment
    renovated = visit(dpe_class="G", works=(rules.Work("Isolation et pompe à chaleur", D("18000"), "energie"),))
    assert renovated.outcome is AssessmentOutcome.ELIGIBLE_AFTER_WORKS


def test_f_is_flagged_as_banned_during_the_commitment() -> None:
    result = visit(dpe_class="F")
    assert result.outcome is AssessmentOutcome.ELIGIBLE
    assert result.ban_on == date(2028, 1, 1) and result.banned_in_commitment
    assert result.warnings == (
        "Logement classé F au DPE : il ne pourra plus être loué sous un bail nouveau ou renouvelé à partir du "
        "1er janvier 2028, pendant l'engagement de 6 ans (jusqu'au 22 novembre 2032). Prévoyez une rénovation "
        "énergétique ; l'Anah et MaPrimeRénov' peuvent la financer.",
    )


def test_e_is_flagged_only_when_the_commitment_reaches_2034() -> None:
    assert visit(dpe_class="E").warnings == ()  # ends 22 November 2032
    later = visit(dpe_class="E", start=date(2028, 6, 1))  # ends 1 June 2034
    assert later.banned_in_commitment and "1er janvier 2034" in later.warnings[0]


def test_energy_above_the_decence_ceiling() -> None:
    result = visit(dpe_class="E", dpe_energy_kwh_m2=480)
    assert result.outcome is AssessmentOutcome.NOT_ELIGIBLE
    assert "480 kWh/m²/an d'énergie finale, au-dessus du maximum de 450 kWh/m²/an" in result.reasons[0]


def test_unknown_points_are_warnings_to_check() -> None:
    result = visit({"gaz": None}, main_room_m2=None, dpe_class=None)
    assert result.outcome is AssessmentOutcome.ELIGIBLE
    assert result.warnings == (
        "À vérifier : Installation de gaz (décret 2002-120, art. 2, 4°).",
        "À vérifier : Pièce principale (décret 2002-120, art. 4).",
        "À vérifier : Performance énergétique (décret 2002-120, art. 3 bis ; loi Climat et résilience "
        "(calendrier de décence énergétique)).",
    )
