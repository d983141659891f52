"""Owner statements and payouts forms (shape only): issue the month's statements, create a payout batch."""

from __future__ import annotations

from wtforms import DateField, HiddenField
from wtforms.validators import InputRequired, Regexp

from passerelle.forms import Form

MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"


class IssueStatementsForm(Form):
    """No field: the month is the one before today (what the daily job issues)."""


class PayoutBatchForm(Form):
    month = HiddenField(
        "Mois des relevés",
        validators=[InputRequired("Choisissez le mois des relevés."), Regexp(MONTH_PATTERN, message="Mois invalide.")],
    )
    execution_date = DateField(
        "Date d'exécution des virements",
        description="Le jour où votre banque exécute les virements (aujourd'hui ou plus tard).",
        validators=[InputRequired("Indiquez la date d'exécution des virements.")],
    )
