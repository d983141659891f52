"""The figures matching reads: occupancy and CAF rules, consumption units, and the operator's settings.

Every figure comes from the versioned parameters (passerelle/reference/parameters.toml) at the matching date;
an operator may override its settings (``OPERATOR_SETTINGS``) with values stored under the same keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from decimal import Decimal, InvalidOperation

# Field name -> parameter key, in the order of the dataclass.
PARAMETER_KEYS: dict[str, str] = {
    "adult_age": "occupancy.adult_age",
    "shared_room_age_limit": "occupancy.shared_room_age_limit",
    "studio_single_min_m2": "occupancy.studio_single_min_m2",
    "caf_one_person_m2": "caf.min_surface.one_person_m2",
    "caf_two_persons_m2": "caf.min_surface.two_persons_m2",
    "caf_extra_person_m2": "caf.min_surface.extra_person_m2",
    "caf_max_m2": "caf.min_surface.max_m2",
    "uc_first_adult": "consumption_units.first_adult",
    "uc_other_14_plus": "consumption_units.other_person_14_plus",
    "uc_child_under_14": "consumption_units.child_under_14",
    "uc_age_threshold": "consumption_units.age_threshold",
    "young_couple_max_age_sum": "matching.ceiling.young_couple_max_age_sum",
    "effort_comfortable": "affordability.effort_rate.comfortable",
    "effort_threshold": "affordability.effort_rate.max",
    "reste_a_vivre_reference": "matching.reste_a_vivre.reference_per_uc",
    "availability_horizon_days": "matching.availability_horizon_days",
    "waiting_saturation_months": "matching.waiting.saturation_months",
    "priority_flag_value": "matching.priority.flag_value",
    "priority_dalo_value": "matching.priority.dalo_value",
    "commune_place_value": "matching.commune.place_value",
    "commune_no_wish_value": "matching.commune.no_wish_value",
    "size_one_over_value": "matching.size.one_room_over_value",
    "floor_value_lost_per_floor": "matching.floor.value_lost_per_floor",
    "floor_unknown_value": "matching.floor.unknown_value",
    "weight_effort_rate": "matching.weight.effort_rate",
    "weight_reste_a_vivre": "matching.weight.reste_a_vivre",
    "weight_priority": "matching.weight.priority",
    "weight_waiting": "matching.weight.waiting",
    "weight_commune": "matching.weight.commune",
    "weight_size_fit": "matching.weight.size_fit",
    "weight_floor": "matching.weight.floor",
}

# The keys an operator may override; the others are rules (INSEE, CAF, OECD scale, ceiling categories).
OPERATOR_SETTINGS: tuple[str, ...] = tuple(
    key
    for key in PARAMETER_KEYS.values()
    if not key.startswith(("occupancy.", "caf.", "consumption_units.", "matching.ceiling."))
)

SCORE_TERMS: tuple[str, ...] = ("effort_rate", "reste_a_vivre", "priority", "waiting", "commune", "size_fit", "floor")


class InvalidSettings(ValueError):
    """Settings that cannot score anything sensibly, in French."""


@dataclass(frozen=True)
class MatchingParameters:
    """Everything the matching rules need, read once at the matching date."""

    adult_age: int
    shared_room_age_limit: int
    studio_single_min_m2: Decimal
    caf_one_person_m2: Decimal
    caf_two_persons_m2: Decimal
    caf_extra_person_m2: Decimal
    caf_max_m2: Decimal
    uc_first_adult: Decimal
    uc_other_14_plus: Decimal
    uc_child_under_14: Decimal
    uc_age_threshold: int
    young_couple_max_age_sum: int
    effort_comfortable: Decimal
    effort_threshold: Decimal
    reste_a_vivre_reference: Decimal
    availability_horizon_days: int
    waiting_saturation_months: int
    priority_flag_value: Decimal
    priority_dalo_value: Decimal
    commune_place_value: Decimal
    commune_no_wish_value: Decimal
    size_one_over_value: Decimal
    floor_value_lost_per_floor: Decimal
    floor_unknown_value: Decimal
    weight_effort_rate: int
    weight_reste_a_vivre: int
    weight_priority: int
    weight_waiting: int
    weight_commune: int
    weight_size_fit: int
    weight_floor: int

    def __post_init__(self) -> None:
        if not 0 <= self.effort_comfortable < self.effort_threshold:
            raise InvalidSettings(
                "Le seuil de taux d'effort doit être supérieur au taux jugé confortable "
                f"({self.effort_threshold} pour {self.effort_comfortable})."
            )
        if self.reste_a_vivre_reference <= 0:
            raise InvalidSettings("Le reste à vivre de référence par unité de consommation doit être positif.")
        if self.waiting_saturation_months <= 0 or self.availability_horizon_days < 0:
            raise InvalidSettings("Les durées du rapprochement doivent être positives.")
        for name in (
            "priority_flag_value",
            "priority_dalo_value",
            "commune_place_value",
            "commune_no_wish_value",
            "size_one_over_value",
            "floor_value_lost_per_floor",
            "floor_unknown_value",
        ):
            if not 0 <= getattr(self, name) <= 1:
                raise InvalidSettings(f"« {PARAMETER_KEYS[name]} » doit être compris entre 0 et 1.")
        if any(weight < 0 for weight in self.weights.values()):
            raise InvalidSettings("Les poids du score ne peuvent pas être négatifs.")

    @property
    def weights(self) -> dict[str, int]:
        """Weight of each score term, by term key (``SCORE_TERMS``)."""
        return {term: getattr(self, f"weight_{term}") for term in SCORE_TERMS}

    @classmethod
    def from_values(cls, values: Mapping[str, object]) -> MatchingParameters:
        """Build from parameter key -> value (Decimal, int or their text, as stored in settings)."""
        kwargs: dict[str, object] = {}
        for field in fields(cls):
            key = PARAMETER_KEYS[field.name]
            if key not in values:
                raise KeyError(key)
            kwargs[field.name] = _convert(key, values[key], int if field.type in ("int", int) else Decimal)
        return cls(**kwargs)  # type: ignore[arg-type]


def _convert(key: str, raw: object, kind: type) -> int | Decimal:
    """Read a value as int or Decimal, refusing floats (money and rates stay exact)."""
    value = getattr(raw, "value", raw)  # a ParameterValue from passerelle.reference.queries
    if isinstance(value, (float, bool)):
        raise InvalidSettings(f"« {key} » : valeur {value!r} illisible.")
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise InvalidSettings(f"« {key} » : valeur {value!r} illisible.") from None
    if not number.is_finite():
        raise InvalidSettings(f"« {key} » : valeur {value!r} illisible.")
    if kind is int:
        if number != number.to_integral_value():
            raise InvalidSettings(f"« {key} » : un nombre entier est attendu (lu {value!r}).")
        return int(number)
    return number
