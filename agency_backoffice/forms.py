"""Shape of the back-office forms."""

from __future__ import annotations

from wtforms import RadioField, TextAreaField
from wtforms.validators import DataRequired, Length

from capture.models import IncidentStatus
from passerelle.forms import Form, choices


class IncidentAnswerForm(Form):
    message = TextAreaField(
        "Votre réponse au propriétaire",
        description="Elle s'affiche dans l'espace du propriétaire.",
        validators=[DataRequired("Écrivez une réponse."), Length(max=4000)],
    )
    status = RadioField(
        "Statut",
        choices=choices([(status.value, status.label) for status in IncidentStatus]),
        validators=[DataRequired("Choisissez un statut.")],
    )
