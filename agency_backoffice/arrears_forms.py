"""Arrears forms (shape only): a step done, a repayment plan."""

from __future__ import annotations

from wtforms import DateField, IntegerField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from agency_backoffice.ledger_forms import MAX_AMOUNT
from passerelle.forms import Between, Form, FrenchDecimalField


class TaskDoneForm(Form):
    done_on = DateField("Fait le", validators=[InputRequired("Indiquez la date à laquelle l'étape a été faite.")])
    note = TextAreaField(
        "Remarque",
        description="Par exemple : numéro du recommandé, réponse du ménage, référence de la déclaration…",
        validators=[Optional(), Length(max=2000)],
    )


class PlanForm(Form):
    total = FrenchDecimalField(
        "Dette reprise dans le plan (€)",
        description="Toute la dette du ménage à ce jour : vérifiez-la avec lui avant de convenir du plan.",
        validators=[
            InputRequired("Indiquez le montant de la dette."),
            Between(0.01, MAX_AMOUNT, "Le montant doit être compris entre 0,01 € et 100 000 €."),
        ],
    )
    months = IntegerField(
        "Nombre de mensualités",
        validators=[
            InputRequired("Indiquez le nombre de mensualités."),
            Between(1, None, "Un plan d'apurement compte au moins une mensualité."),  # the maximum is a parameter
        ],
    )
    first_due_on = DateField(
        "Première mensualité le",
        description="Les suivantes tombent le même jour des mois suivants.",
        validators=[InputRequired("Indiquez la date de la première mensualité.")],
    )
