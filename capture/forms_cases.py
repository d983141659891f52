"""Shape of the pipeline forms: filters, stage change, activity, assignment."""

from __future__ import annotations

from wtforms import DateField, RadioField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from capture.models import ActivityKind, CaptureStage, LeadSource
from capture.rules import LOST_REASONS
from passerelle.forms import Form, choices


class PipelineFilterForm(Form):
    """Filters read from the query string (GET: no CSRF)."""

    class Meta:
        csrf = False
        locales = ("fr_FR", "fr")

    etape = SelectField(
        "Étape", choices=choices([("", "Toutes"), *[(s.value, s.label) for s in CaptureStage]]), default=""
    )
    responsable = SelectField("Responsable", default="")
    commune = SelectField("Commune", default="")
    origine = SelectField(
        "Origine", choices=choices([("", "Toutes"), *[(s.value, s.label) for s in LeadSource]]), default=""
    )
    retard = SelectField("Prochaine action", choices=choices([("", "Toutes"), ("1", "En retard")]), default="")


class StageChangeForm(Form):
    to = SelectField("Nouvelle étape", validators=[DataRequired("Choisissez l'étape.")])
    lost_reason = SelectField(
        "Motif (si perdu)", choices=choices([("", "—"), *LOST_REASONS.items()]), default="", validators=[Optional()]
    )
    paused_until = DateField("En pause jusqu'au", validators=[Optional()])


class ActivityForm(Form):
    kind = RadioField(
        "Type",
        choices=choices([(k.value, k.label) for k in ActivityKind]),
        validators=[DataRequired("Choisissez le type.")],
    )
    occurred_on = DateField("Date", validators=[DataRequired("Indiquez la date.")])
    summary = TextAreaField("Compte rendu", validators=[DataRequired("Écrivez un compte rendu."), Length(max=4000)])
    next_action_on = DateField("Prochaine action le", validators=[Optional()])


class AssignForm(Form):
    owner = SelectField("Responsable du dossier", default="")
