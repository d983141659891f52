"""Form fields shared by every package: French number input, commune input."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import Field, SelectChoice, SelectMultipleField, StringField, ValidationError, validators
from wtforms.fields import DecimalField
from wtforms.validators import StopValidation
from wtforms.widgets import CheckboxInput, ListWidget

MAX_DECIMAL = Decimal(10) ** 10


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
            # Blank is no amount: InputRequired then asks for one (it would let « » through otherwise).
            self.raw_data = [""]
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
        if abs(value) >= MAX_DECIMAL:  # 1e309: no amount, surface or rate of ours; Numeric(12, 2) could not store it
            self.data = None
            raise ValueError("Nombre trop grand.")
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

        def wrap_formdata(self, form: Any, formdata: Any) -> Any:
            """Drop NUL characters from the submitted texts: PostgreSQL refuses them in a text column."""
            formdata = super().wrap_formdata(form, formdata)  # type: ignore[misc]
            if formdata is None or not any("\x00" in value for value in _texts(formdata)):
                return formdata
            return MultiDict(
                [
                    (key, value.replace("\x00", "") if isinstance(value, str) else value)
                    for key, value in formdata.items(multi=True)
                ]
            )


def _texts(formdata: Any) -> Iterable[str]:
    return (value for _key, value in formdata.items(multi=True) if isinstance(value, str))


class Optional(validators.Optional):
    """WTForms' Optional, safe on choice fields: a blank-looking value (« \\t ») is dropped, not kept.

    WTForms' Optional clears the « not a valid choice » error of such a value but leaves it in ``field.data``,
    where the view then fails on it (``IMLMode("\\t")``); for a multiple choice it looks at the first value only.
    """

    def __call__(self, form: Any, field: Any) -> None:
        try:
            super().__call__(form, field)
        except StopValidation:
            if getattr(field, "choices", None) is not None and getattr(field, "validate_choice", True):
                valid = {str(choice[0]) for choice in field.iter_choices()}
                if isinstance(field.data, list):
                    field.data = [value for value in field.data if str(value) in valid]
                elif field.data is not None and str(field.data) not in valid:
                    field.data = None
            raise


class NumberRange(validators.NumberRange):
    """WTForms' NumberRange, without its OverflowError on a huge integer (``math.isnan(10**400)``)."""

    def __call__(self, form: Any, field: Any) -> None:
        try:
            super().__call__(form, field)
        except OverflowError:
            raise ValidationError(self.message or "Nombre hors des limites permises.") from None


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
