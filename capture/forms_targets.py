"""The metropolis' yearly capture targets: input shape only (the operation checks the rules again)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from wtforms import HiddenField, IntegerField, ValidationError
from wtforms.validators import InputRequired, Optional

from capture.models import ConventionLevel, IMLMode
from passerelle.forms import Between, Form, FrenchDecimalField, NumberRange

MAX_UNITS = 100_000
UNITS = NumberRange(
    min=0, max=MAX_UNITS, message=f"Indiquez un nombre de logements entre 0 et {MAX_UNITS:,}.".replace(",", " ")
)
MODES = (IMLMode.MANDATE, IMLMode.SUBLEASE, IMLMode.BAIL_GLISSANT)
LEVELS = (ConventionLevel.LOC1, ConventionLevel.LOC2, ConventionLevel.LOC3, ConventionLevel.NONE)


def _units(label: str, description: str = "") -> IntegerField:
    return IntegerField(label, validators=[Optional(), UNITS], description=description)


class TargetsForm(Form):
    annee = HiddenField()
    total = IntegerField(
        "Objectif total",
        validators=[InputRequired("Indiquez l'objectif total de l'année (0 s'il n'y en a pas)."), UNITS],
        description="Nombre de logements captés (accords signés) visé sur l'année, tous opérateurs confondus.",
    )
    mode_mandate = _units(IMLMode.MANDATE.label)
    mode_sublease = _units(IMLMode.SUBLEASE.label)
    mode_bail_glissant = _units(IMLMode.BAIL_GLISSANT.label)
    level_loc1 = _units(ConventionLevel.LOC1.label)
    level_loc2 = _units(ConventionLevel.LOC2.label)
    level_loc3 = _units(ConventionLevel.LOC3.label)
    level_none = _units(ConventionLevel.NONE.label)
    mandate_share = FrenchDecimalField(
        "Part visée en mandat de gestion (%)",
        validators=[Optional(), Between(0, 100, "Indiquez une part entre 0 et 100 %.")],
        description="Objectif national : la moitié des nouvelles places d'intermédiation locative en mandat "
        "de gestion.",
    )

    operator_fields: tuple[tuple[int, str], ...] = ()  # (operator id, field name), set by ``targets_form``

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        total = self.total.data
        if total is None or self.total.errors:
            return valid
        groups = (
            ("formule", [getattr(self, f"mode_{mode.value}") for mode in MODES]),
            ("niveau de loyer", [getattr(self, f"level_{level.value}") for level in LEVELS]),
            ("opérateur", [getattr(self, name) for _id, name in self.operator_fields]),
        )
        for label, fields in groups:
            parts = sum(field.data or 0 for field in fields if not field.errors)
            if parts > total:
                self.total.errors = [
                    *self.total.errors,
                    f"Les objectifs par {label} ({parts} logements) dépassent l'objectif total ({total} logements).",
                ]
                valid = False
        return valid

    def validate_annee(self, field: HiddenField) -> None:
        if not str(field.data or "").isdigit():
            raise ValidationError("Année invalide : rechargez la page des objectifs.")


def targets_form(operators: Sequence[tuple[int, str]], **kwargs: Any) -> TargetsForm:
    """The form with one field per operator of the territory (their optional share of the total)."""

    class TerritoryTargetsForm(TargetsForm):
        pass

    names = []
    for operator_id, name in operators:
        field_name = f"operator_{operator_id}"
        setattr(TerritoryTargetsForm, field_name, _units(name))
        names.append((operator_id, field_name))
    TerritoryTargetsForm.operator_fields = tuple(names)
    return TerritoryTargetsForm(**kwargs)


def form_data(targets: Any, operators: Sequence[tuple[int, str]], year: int) -> dict[str, Any]:
    """Initial values from the stored targets (``capture.queries.indicators.Targets``)."""
    data: dict[str, Any] = {"annee": str(year), "total": targets.total}
    for mode in MODES:
        data[f"mode_{mode.value}"] = targets.by_mode.get(mode.value)
    for level in LEVELS:
        data[f"level_{level.value}"] = targets.by_level.get(level.value)
    for operator_id, _name in operators:
        data[f"operator_{operator_id}"] = targets.by_operator.get(operator_id)
    share = targets.mandate_share if targets.exists else Decimal("0.5")
    data["mandate_share"] = None if share is None else (share * 100).normalize()
    return data


def targets_arguments(form: TargetsForm) -> dict[str, Any]:
    """The keyword arguments of ``set_targets`` read from a valid form."""
    share = form.mandate_share.data
    return {
        "total": form.total.data,
        "by_mode": {mode: getattr(form, f"mode_{mode.value}").data for mode in MODES},
        "by_level": {level: getattr(form, f"level_{level.value}").data for level in LEVELS},
        "by_operator": {operator_id: getattr(form, name).data for operator_id, name in form.operator_fields},
        "mandate_share": None if share is None else share / 100,
    }
