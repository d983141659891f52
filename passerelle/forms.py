"""Form fields shared by every package: French number input, commune input."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_wtf import FlaskForm
from wtforms import Field, SelectChoice, SelectMultipleField, StringField, ValidationError
from wtforms.fields import DecimalField
from wtforms.widgets import CheckboxInput, ListWidget


class FrenchDecimalField(DecimalField):
    """A decimal typed the French way: ``45,5``, ``1 234,56 €`` or ``45.5``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("places", None)
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        raw = str(valuelist[0]).strip()
        if raw == "":
            self.data = None
            return
        cleaned = raw.replace("\u202f", "").replace("\xa0", "").replace(" ", "").replace("€", "").replace(",", ".")
        try:
            value = Decimal(cleaned)
        except InvalidOperation:
            self.data = None
            raise ValueError("Saisissez un nombre, par exemple 45,5.") from None
        if not value.is_finite():
            self.data = None
            raise ValueError("Saisissez un nombre, par exemple 45,5.")
        self.data = value

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        if self.data is None:
            return ""
        return format(self.data.normalize(), "f").replace(".", ",")


class CommuneField(StringField):
    """A commune typed by name (``Arras``, ``Arras (62)``) or INSEE code; the view resolves it."""


class Form(FlaskForm):
    """Base form: WTForms' built-in messages in French (« Ce champ est requis. », dates, numbers…)."""

    class Meta:
        locales = ("fr_FR", "fr")


class Between:
    """Like NumberRange, silent when the value could not be read (its own message is already shown)."""

    def __init__(self, minimum: float | int | None, maximum: float | int | None, message: str) -> None:
        self.minimum = minimum
        self.maximum = maximum
        self.message = message

    def __call__(self, form: Any, field: Any) -> None:
        value = field.data
        if value is None or field.process_errors:
            return
        if (self.minimum is not None and value < self.minimum) or (self.maximum is not None and value > self.maximum):
            raise ValidationError(self.message)


def cleaned(field: Field, clean: Callable[[str], str | None]) -> str | None:
    """Run a cleaner that raises ValueError with a French message; the message becomes the field's error."""
    try:
        return clean(field.data or "")
    except ValueError as error:
        field.errors = [*field.errors, str(error)]
        return None


def choices(pairs: Iterable[tuple[str, str]]) -> list[SelectChoice]:
    """Choices for select and radio fields from (value, label) pairs (WTForms ≥ 3.3 wants SelectChoice)."""
    return [SelectChoice(value, label) for value, label in pairs]


class MultiCheckboxField(SelectMultipleField):
    """Several choices as a list of checkboxes (rendered by the template inside a fieldset)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()
