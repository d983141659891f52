"""IRL revision forms (shape only): apply with the notification date, or set aside with a reason."""

from __future__ import annotations

from wtforms import DateField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from passerelle.forms import Form


class ApplyRevisionForm(Form):
    notified_on = DateField(
        "Date de notification au ménage",
        description="Date à laquelle le courrier de révision est remis ou envoyé : le loyer révisé s'applique à la "
        "première échéance qui suit cette date et la date de révision, jamais avant (pas de rétroactivité).",
        validators=[InputRequired("Indiquez la date de notification.")],
    )


class CancelRevisionForm(Form):
    reason = TextAreaField(
        "Motif",
        description="Par exemple : le propriétaire renonce à la révision cette année, avenant au bail…",
        validators=[DataRequired("Indiquez pourquoi la révision n'est pas appliquée."), Length(max=2000)],
    )
