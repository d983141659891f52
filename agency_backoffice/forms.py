"""Shape of the back-office forms."""

from __future__ import annotations

from flask_wtf.file import FileField, FileRequired, FileSize
from wtforms import RadioField, TextAreaField
from wtforms.validators import DataRequired, Length

from agency_backoffice.rules.household_import import MAX_LINES
from capture.models import IncidentStatus
from passerelle.formatting import number
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


# --- upload of an SIAO-style export -----------------------------------------------------------------------

HOUSEHOLD_IMPORT_MAX_BYTES = 2 * 1024 * 1024  # far above MAX_LINES lines of referrals


class HouseholdImportForm(Form):
    file = FileField(
        "Fichier CSV",
        description=(
            f"UTF-8, séparateur point-virgule ou virgule, une ligne par ménage, {number(MAX_LINES, 0)} lignes au plus."
        ),
        validators=[
            FileRequired("Choisissez le fichier CSV à importer."),
            FileSize(HOUSEHOLD_IMPORT_MAX_BYTES, message="Le fichier dépasse 2 Mo : découpez-le en plusieurs."),
        ],
    )
