"""Proposal forms: propose, record a step, decline with a reason, withdraw; and the operator's settings."""

from __future__ import annotations

from wtforms import DateField, HiddenField, IntegerField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from agency_backoffice.models import DeclineParty, DeclineReason
from passerelle.forms import Form, choices

REQUIRED = "Ce champ est obligatoire."


class ProposeForm(Form):
    household_id = IntegerField("Ménage", validators=[InputRequired(REQUIRED)])


class StepForm(Form):
    target = HiddenField(validators=[DataRequired(REQUIRED)])
    note = TextAreaField("Commentaire", validators=[Optional(), Length(max=2000)])


def _decline_choices() -> list[tuple[str, str]]:
    pairs = [("", "— choisir un motif —")]
    for party in DeclineParty:
        pairs += [
            (reason.value, f"{party.label} — {reason.label}") for reason in DeclineReason if reason.party is party
        ]
    return pairs


class DeclineForm(Form):
    reason = SelectField(
        "Motif du refus", choices=choices(_decline_choices()), validators=[DataRequired("Choisissez un motif.")]
    )
    note = TextAreaField("Précisions", validators=[Optional(), Length(max=2000)])
    park_until = DateField(
        "Ne plus proposer de logement à ce ménage jusqu'au",
        description="Facultatif : par exemple le temps que l'accompagnement se mette en place.",
        validators=[Optional()],
    )


class WithdrawForm(Form):
    note = TextAreaField("Motif du retrait", validators=[Optional(), Length(max=2000)])
