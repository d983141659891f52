"""Pure capture rules: routing, working days, the landlord's timeline, declaration completeness."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

from capture import rules
from capture.models import CaptureStage, ConventionLevel, IMLMode


def test_commune_rule_wins_over_territory_rule() -> None:
    routes = [
        rules.Route(None, IMLMode.MANDATE, 1),
        rules.Route("62041", IMLMode.MANDATE, 2),
        rules.Route(None, IMLMode.SUBLEASE, 3),
    ]
    assert rules.pick_operator(routes, commune_insee="62041", mode=IMLMode.MANDATE) == 2
    assert rules.pick_operator(routes, commune_insee="62263", mode=IMLMode.MANDATE) == 1
    assert rules.pick_operator(routes, commune_insee="62041", mode=IMLMode.SUBLEASE) == 3
    assert rules.pick_operator(routes, commune_insee="62041", mode=IMLMode.BAIL_GLISSANT) is None


def test_working_days_skip_weekends() -> None:
    friday = date(2026, 11, 20)
    assert rules.add_working_days(friday, 1) == date(2026, 11, 23)  # Monday
    assert rules.add_working_days(friday, 2) == date(2026, 11, 24)
    assert rules.add_working_days(date(2026, 11, 23), 2) == date(2026, 11, 25)
    assert rules.add_working_days(date(2026, 11, 22), 0) == date(2026, 11, 22)


def test_timeline_marks_reached_and_current_steps() -> None:
    reached = {CaptureStage.NEW: date(2026, 11, 1), CaptureStage.CONTACTED: date(2026, 11, 3)}
    steps = rules.landlord_timeline(CaptureStage.CONTACTED, reached)
    assert [s.done for s in steps] == [True, True, False, False, False, False]
    assert [s.current for s in steps] == [False, True, False, False, False, False]
    assert steps[1].on == date(2026, 11, 3)
    # A paused case shows how far it went, without a current step.
    paused = rules.landlord_timeline(CaptureStage.PAUSED, reached)
    assert [s.done for s in paused][:3] == [True, True, False]
    assert not any(s.current for s in paused)


def test_prefill_from_simulation_maps_inputs_and_option() -> None:
    inputs = {
        "commune_insee": "62041",
        "surface_habitable_m2": 45,
        "annexes_m2": "6",
        "dpe_class": "d",
        "asked_rent_monthly": 560,
        "charges_monthly": None,
    }
    fields = rules.prefill_from_simulation(inputs, "loc2_sublease")
    assert fields == {
        "commune_insee": "62041",
        "surface_m2": Decimal("45"),
        "annexes_m2": Decimal("6"),
        "asked_rent": Decimal("560"),
        "dpe_class": "D",
        "desired_level": ConventionLevel.LOC2,
        "desired_mode": IMLMode.SUBLEASE,
    }
    assert "desired_mode" not in rules.prefill_from_simulation(inputs, "market")


def _unit(**fields: object) -> SimpleNamespace:
    base = {field: "x" for field, _ in rules.REQUIRED_FOR_SUBMISSION}
    base.update(surface_m2=Decimal("30"), furnished=False)
    base.update(fields)
    return SimpleNamespace(**base)


def test_submission_needs_every_required_field_and_a_phone() -> None:
    assert rules.missing_for_submission(_unit(), landlord_phone="0612345678") == []
    missing = rules.missing_for_submission(_unit(address=None, dpe_class=None), landlord_phone=None)
    assert missing == [
        "Indiquez l'adresse du logement.",
        "Indiquez la classe énergie (DPE).",
        "Indiquez un numéro de téléphone dans votre profil, pour que l'opérateur puisse vous appeler.",
    ]


def test_under_nine_square_metres_is_not_decent() -> None:
    missing = rules.missing_for_submission(_unit(surface_m2=Decimal("8.5")), landlord_phone="0612345678")
    assert any("9 m²" in message for message in missing)
    assert rules.missing_for_submission(_unit(surface_m2=Decimal("9")), landlord_phone="0612345678") == []
