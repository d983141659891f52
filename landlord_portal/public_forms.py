"""Shape of the public « be called back » form (the commune is resolved by the view)."""

from __future__ import annotations

import re

from wtforms import BooleanField, EmailField, RadioField, StringField, TelField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp, ValidationError

from passerelle.forms import Form as FlaskForm

REQUIRED = "Ce champ est obligatoire."
EMAIL = "Saisissez une adresse e-mail valide, par exemple nom@exemple.fr."
PHONE = "Saisissez un numéro français à 10 chiffres, par exemple 06 12 34 56 78 ou +33 6 12 34 56 78."
MESSAGE_MAX = 2000
UNDECIDED = "undecided"

MODE_CHOICES = [
    SelectChoice("mandate", "Mandat de gestion : je reste le bailleur, une agence sociale gère pour moi"),
    SelectChoice("sublease", "Location / sous-location : je loue à une association qui sous-loue au ménage"),
    SelectChoice("bail_glissant", "Bail glissant : le ménage devient mon locataire après une période accompagnée"),
    SelectChoice(UNDECIDED, "Je ne sais pas encore"),
]

_SEPARATORS = re.compile(r"[\s.\-/()]")


def normalize_phone(value: str | None) -> str | None:
    """Write a French number as ``06 12 34 56 78`` (spaces, dots, dashes and +33 / 0033 accepted)."""
    if value is None:
        return None
    digits = _SEPARATORS.sub("", value.replace("(0)", ""))
    if digits.startswith("0033"):
        digits = "+33" + digits[4:]
    if re.fullmatch(r"\+33[1-9]\d{8}", digits):
        digits = "0" + digits[3:]
    if re.fullmatch(r"0[1-9]\d{8}", digits):
        return " ".join(digits[i : i + 2] for i in range(0, 10, 2))
    return value.strip()


class CallbackForm(FlaskForm):
    name = StringField("Nom et prénom", validators=[DataRequired(REQUIRED), Length(max=200)])
    phone = TelField(
        "Téléphone",
        # No-break spaces keep each example number on one line on a phone.
        description="Un numéro français, par exemple "
        + "06 12 34 56 78".replace(" ", "\u00a0")
        + " ou "
        + "+33 6 12 34 56 78".replace(" ", "\u00a0")
        + ".",
        filters=[normalize_phone],
        validators=[DataRequired(REQUIRED), Regexp(r"^0[1-9](?: \d{2}){4}$", message=PHONE)],
    )
    email = EmailField(
        "Adresse e-mail",
        description="Facultatif : si vous préférez aussi recevoir une réponse écrite.",
        validators=[Optional(), Email(EMAIL, check_deliverability=False), Length(max=254)],
    )
    commune = StringField(
        "Commune du logement",
        description="Son nom ou son code INSEE à 5 chiffres (différent du code postal), par exemple Arras.",
        validators=[DataRequired(REQUIRED), Length(max=120)],
    )
    # Filled by the view when several communes match what was typed.
    commune_choice = RadioField("Précisez la commune", choices=[], validate_choice=False)
    mode = RadioField("Formule qui vous intéresse", choices=MODE_CHOICES, default=UNDECIDED, validate_choice=False)
    best_time = StringField(
        "Quand préférez-vous être appelé(e) ?",
        description="Facultatif, par exemple : en semaine après 18 h, le samedi matin.",
        validators=[Optional(), Length(max=200)],
    )
    message = TextAreaField(
        "Votre message",
        description="Facultatif, 2\u00a0000 caractères au plus : le logement, vos questions, vos doutes.",
        validators=[
            Optional(),
            Length(max=MESSAGE_MAX, message="Votre message ne doit pas dépasser 2\u00a0000 caractères."),
        ],
    )
    consent = BooleanField(
        "J'accepte que l'opérateur qui intervient dans ma commune me contacte au sujet de cette demande",
        validators=[DataRequired("Cochez cette case pour que l'opérateur puisse vous rappeler.")],
    )

    def validate_mode(self, field: RadioField) -> None:
        if field.data not in {choice.value for choice in MODE_CHOICES}:
            raise ValidationError("Choisissez une des formules proposées.")
