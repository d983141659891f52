"""Rent ledger forms (shape only): a payment received, a refund, a régularisation, the tiers-payant benefit."""

from __future__ import annotations

from datetime import date

from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from agency_backoffice.models import MANUAL_PAYMENT_METHODS, BenefitPayer
from passerelle.forms import Between, Form, FrenchDecimalField, NumberRange, choices

MAX_AMOUNT = 100_000


class PaymentForm(Form):
    amount = FrenchDecimalField(
        "Montant reçu (€)",
        validators=[
            InputRequired("Indiquez le montant reçu."),
            Between(0.01, MAX_AMOUNT, "Le montant doit être compris entre 0,01 € et 100 000 €."),
        ],
    )
    method = SelectField(
        "Mode de paiement",
        choices=choices([(method.value, method.label) for method in MANUAL_PAYMENT_METHODS]),
        validators=[DataRequired("Choisissez le mode de paiement.")],
    )
    received_on = DateField("Reçu le", validators=[InputRequired("Indiquez la date de réception.")])
    reference = StringField(
        "Référence",
        description="Numéro du chèque, libellé du virement, référence du versement de la CAF…",
        validators=[Optional(), Length(max=140)],
    )
    note = TextAreaField("Remarque", validators=[Optional(), Length(max=2000)])


class RefundForm(Form):
    payment_id = SelectField(
        "Paiement remboursé",
        choices=[],
        validate_choice=False,  # the view checks the payment belongs to the lease
        validators=[DataRequired("Choisissez le paiement à rembourser.")],
    )
    amount = FrenchDecimalField(
        "Montant remboursé (€)",
        validators=[
            InputRequired("Indiquez le montant remboursé."),
            Between(0.01, MAX_AMOUNT, "Le montant doit être compris entre 0,01 € et 100 000 €."),
        ],
    )
    refunded_on = DateField("Remboursé le", validators=[InputRequired("Indiquez la date du remboursement.")])
    note = TextAreaField("Motif", validators=[DataRequired("Indiquez le motif du remboursement."), Length(max=2000)])


class CorrectionForm(Form):
    direction = SelectField(
        "Sens",
        choices=choices(
            [
                ("credit", "En faveur du ménage (diminue ce qu'il doit)"),
                ("debit", "À la charge du ménage (augmente ce qu'il doit)"),
            ]
        ),
        validators=[DataRequired("Choisissez le sens de la régularisation.")],
    )
    amount = FrenchDecimalField(
        "Montant (€)",
        validators=[
            InputRequired("Indiquez le montant."),
            Between(0.01, MAX_AMOUNT, "Le montant doit être compris entre 0,01 € et 100 000 €."),
        ],
    )
    corrects_id = SelectField("Appel concerné", choices=[], validate_choice=False, validators=[Optional()])
    corrected_on = DateField("Date", validators=[InputRequired("Indiquez la date.")])
    note = TextAreaField(
        "Motif",
        description="Par exemple : régularisation annuelle des charges 2026, erreur de saisie du 3 mars…",
        validators=[DataRequired("Indiquez le motif de la régularisation."), Length(max=2000)],
    )


class BenefitForm(Form):
    benefit_monthly = FrenchDecimalField(
        "Aide au logement versée à l'organisme chaque mois (€)",
        description="Le montant de la notification de la CAF ou de la MSA (tiers payant) ; 0 si aucune.",
        validators=[
            InputRequired("Indiquez le montant (0 si aucune)."),
            Between(0, 10_000, "Le montant doit être compris entre 0 et 10 000 €."),
        ],
    )
    benefit_payer = SelectField(
        "Organisme payeur",
        choices=choices([("", "Aucun"), *((payer.value, payer.label) for payer in BenefitPayer)]),
        validators=[Optional()],
    )


def today_default(form: PaymentForm | RefundForm | CorrectionForm, today: date) -> None:
    for name in ("received_on", "refunded_on", "corrected_on"):
        field = getattr(form, name, None)
        if field is not None and field.data is None and not field.raw_data:
            field.data = today


class RentSettingsForm(Form):
    rent_call_day = IntegerField(
        "Jour d'envoi des appels de loyer",
        description="Chaque mois, à partir de ce jour, les appels du mois suivant sont émis (entre 1 et 28).",
        validators=[
            InputRequired("Indiquez le jour d'envoi des appels de loyer."),
            NumberRange(1, 28, "Choisissez un jour entre 1 et 28 (un jour qui existe chaque mois)."),
        ],
    )
    iban = StringField(
        "IBAN du compte de l'organisme",
        description="Il figure sur les avis d'échéance pour les virements des ménages ; les virements aux "
        "propriétaires partent de ce compte.",
        validators=[Optional(), Length(max=42)],
    )
    bic = StringField("BIC", validators=[Optional(), Length(max=11)])
