"""Lease forms: the draft's terms, the signature, the move-in, the end. Shape only: the operations decide."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from wtforms import DateField, Field, IntegerField, SelectField, StringField, TextAreaField, ValidationError
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from agency_backoffice.models import ChargesMethod, Lease, LeaseAnnex, LeaseEndReason, LeaseSignatureMethod
from agency_backoffice.operations.leases import LeaseInput
from passerelle.forms import Between, Form, FrenchDecimalField, MultiCheckboxField, NumberRange, choices

REQUIRED = "Ce champ est obligatoire."
TEXT = [Optional(), Length(max=2000, message="2 000 caractères au plus.")]


def _cents(form: Form, field: Field) -> None:
    """Amounts are stored to the cent: refuse a third decimal rather than round the user's figure."""
    value = field.data
    if isinstance(value, Decimal) and not field.process_errors and value != value.quantize(Decimal("0.01")):
        raise ValidationError("Montant au centime près : deux décimales au plus.")


def _amount(label: str, *, required: str | None, description: str | None = None) -> FrenchDecimalField:
    first = InputRequired(required) if required else Optional()
    return FrenchDecimalField(
        label,
        description=description,
        validators=[first, Between(0, 20_000, "Montant entre 0 et 20 000 €."), _cents],
    )


class LeaseForm(Form):
    tenants = TextAreaField(
        "Locataires",
        description="Un nom par ligne : chaque adulte qui signe le bail.",
        validators=[DataRequired(REQUIRED), Length(max=2000)],
    )
    rent = _amount("Loyer mensuel hors charges (€)", required="Indiquez le loyer.")
    charges = _amount("Charges mensuelles (€)", required="Indiquez les charges (0 s'il n'y en a pas).")
    charges_method = SelectField(
        "Récupération des charges",
        choices=choices([(method.value, method.label) for method in ChargesMethod]),
        validators=[InputRequired(REQUIRED)],
    )
    deposit = _amount(
        "Dépôt de garantie (€)",
        required="Indiquez le dépôt de garantie (0 s'il n'y en a pas).",
        description="Au plus un mois de loyer hors charges (loi du 6 juillet 1989, art. 22).",
    )
    payment_day = IntegerField(
        "Jour de paiement du loyer",
        description="Jour du mois, entre 1 et 28.",
        validators=[InputRequired("Indiquez le jour de paiement.")],
    )
    starts_on = DateField("Date de prise d'effet", validators=[InputRequired("Indiquez la date de prise d'effet.")])
    duration_months = IntegerField(
        "Durée (mois)",
        validators=[InputRequired("Indiquez la durée en mois."), NumberRange(1, 240, "Entre 1 et 240 mois.")],
    )
    annexes = MultiCheckboxField(
        "Annexes jointes au bail",
        description="Cochez les diagnostics qui s'appliquent à ce logement.",
        choices=choices([(annex.value, annex.label) for annex in LeaseAnnex]),
    )
    previous_rent = _amount(
        "Dernier loyer du précédent locataire (€)",
        required=None,
        description=(
            "À indiquer si le précédent locataire a quitté le logement il y a moins de 18 mois : le bail doit "
            "alors mentionner son dernier loyer (loi du 6 juillet 1989, art. 3). Laissez vide sinon."
        ),
    )
    previous_tenant_left_on = DateField("Date de départ du précédent locataire", validators=[Optional()])
    works = TextAreaField(
        "Travaux depuis le dernier bail",
        description="Nature et montant des travaux d'amélioration ou de mise en conformité.",
        validators=TEXT,
    )
    equipment = TextAreaField(
        "Équipements", description="Par exemple : cuisine équipée, chauffe-eau, interphone.", validators=TEXT
    )
    private_parts = TextAreaField(
        "Parties privatives", description="Cave, parking, jardin… à l'usage exclusif du ménage.", validators=TEXT
    )
    common_parts = TextAreaField(
        "Parties et équipements communs", description="Ascenseur, local à vélos, espaces verts…", validators=TEXT
    )
    support_clause = TextAreaField(
        "Accompagnement du ménage",
        description="Sous-location : l'accompagnement social dont le ménage bénéficie pendant la convention.",
        validators=TEXT,
    )


def lease_form_data(lease: Lease) -> dict[str, Any]:
    """A draft lease's terms as the form shows them."""
    return {
        "tenants": "\n".join(lease.tenants or ()),
        "rent": lease.rent,
        "charges": lease.charges,
        "charges_method": lease.charges_method.value,
        "deposit": lease.deposit,
        "payment_day": lease.payment_day,
        "starts_on": lease.starts_on,
        "duration_months": lease.duration_months,
        "annexes": list(lease.annexes or ()),
        "previous_rent": lease.previous_rent,
        "previous_tenant_left_on": lease.previous_tenant_left_on,
        "works": lease.works,
        "equipment": lease.equipment,
        "private_parts": lease.private_parts,
        "common_parts": lease.common_parts,
        "support_clause": lease.support_clause,
    }


def form_to_input(form: LeaseForm, *, sublease: bool) -> LeaseInput:
    """The submitted terms for the operation (the support clause only belongs in a sub-lease)."""
    rent, charges, deposit = form.rent.data, form.charges.data, form.deposit.data
    assert rent is not None and charges is not None and deposit is not None, "validated: required"
    return LeaseInput(
        tenants=tuple(line.strip() for line in (form.tenants.data or "").splitlines() if line.strip()),
        rent=rent,
        charges=charges,
        charges_method=ChargesMethod(form.charges_method.data),
        deposit=deposit,
        payment_day=form.payment_day.data,
        starts_on=form.starts_on.data,
        duration_months=form.duration_months.data,
        annexes=tuple(LeaseAnnex(value) for value in form.annexes.data or ()),
        previous_rent=form.previous_rent.data,
        previous_tenant_left_on=form.previous_tenant_left_on.data,
        works=form.works.data,
        equipment=form.equipment.data,
        private_parts=form.private_parts.data,
        common_parts=form.common_parts.data,
        support_clause=form.support_clause.data if sublease else None,
    )


class SignForm(Form):
    signed_on = DateField("Date de signature", validators=[InputRequired("Indiquez la date de signature.")])
    signatories = StringField(
        "Signataires",
        description="Les locataires, et le bailleur, son mandataire ou l'association.",
        validators=[DataRequired(REQUIRED), Length(max=400)],
    )
    method = SelectField(
        "Mode de signature",
        choices=choices([(method.value, method.label) for method in LeaseSignatureMethod]),
        validators=[InputRequired(REQUIRED)],
    )


class ActivateForm(Form):
    activated_on = DateField(
        "Date d'entrée dans les lieux",
        description="Le jour où le ménage a reçu les clés (état des lieux d'entrée).",
        validators=[InputRequired("Indiquez la date d'entrée dans les lieux.")],
    )


class CancelForm(Form):
    ended_on = DateField("Date d'annulation", validators=[InputRequired("Indiquez la date d'annulation.")])
    note = TextAreaField("Motif de l'annulation", validators=TEXT)


# The slide has its own workflow (the bail glissant review); cancelling is for a lease not started yet.
END_REASONS = [reason for reason in LeaseEndReason if reason not in (LeaseEndReason.SLIDE, LeaseEndReason.CANCELLED)]


class EndForm(Form):
    reason = SelectField(
        "Motif de la fin du bail",
        choices=choices([("", "— choisir un motif —"), *((reason.value, reason.label) for reason in END_REASONS)]),
        validators=[DataRequired("Choisissez un motif.")],
    )
    notice_on = DateField(
        "Date du congé", description="Facultatif : la date de réception du congé.", validators=[Optional()]
    )
    ended_on = DateField(
        "Date de sortie du ménage", validators=[InputRequired("Indiquez la date de sortie du ménage.")]
    )
    note = TextAreaField("Précisions", validators=TEXT)


def apply_errors(form: Form, errors: dict[str, str]) -> None:
    """Show an operation's French messages on the form's fields; the others (key "") at the top of the form.

    A signature checks the terms again: their messages (rent, deposit…) name what they are about.
    """
    for key, message in errors.items():
        field = form._fields.get(key) if key else None
        if field is not None:
            field.errors = [*field.errors, message]
        else:
            form.form_errors.append(message)
