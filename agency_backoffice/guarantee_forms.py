"""Guarantee forms: one per kind of guarantee (the fields it needs), and the operator's deposit-waiver setting."""

from __future__ import annotations

from wtforms import BooleanField, DateField, IntegerField, RadioField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length

from agency_backoffice.models import GuaranteeKind, VisaleArea
from passerelle.forms import Between, Form, FrenchDecimalField, MultiCheckboxField, Optional, choices

REQUIRED = "Ce champ est obligatoire."
CHOOSABLE_AREAS = (VisaleArea.LARGE_AGGLOMERATION, VisaleArea.OTHER)
STUDENT_LABEL = "Le locataire est étudiant ou apprenti"
STUDENT_HINT = (
    "Une GLI ne se cumule pas avec une caution personnelle, sauf pour un étudiant ou un apprenti : cochez la case "
    "dans ce cas (c'est noté sur la garantie)."
)


class GuaranteeForm(Form):
    note = TextAreaField("Remarque", validators=[Optional(), Length(max=2000)])


class VisaleForm(GuaranteeForm):
    visa_number = StringField(
        "Numéro du visa",
        description="Le numéro du visa délivré au ménage par Action Logement.",
        validators=[DataRequired("Indiquez le numéro du visa."), Length(max=40)],
    )
    visa_issued_on = DateField(
        "Date de délivrance du visa",
        description="Le visa doit exister avant la signature du bail.",
        validators=[InputRequired("Indiquez la date de délivrance du visa.")],
    )
    visale_area = RadioField(
        "La commune fait-elle partie d'une agglomération de plus de 100 000 habitants ?",
        description=(
            "Passerelle ne connaît pas la population des agglomérations : c'est à vous de le dire. Le plafond "
            "Visale en dépend pour les baux prenant effet à partir du 6 janvier 2026."
        ),
        choices=choices(
            [
                (VisaleArea.LARGE_AGGLOMERATION.value, "Oui, agglomération de plus de 100 000 habitants"),
                (VisaleArea.OTHER.value, "Non, ailleurs"),
            ]
        ),
        validate_choice=False,  # AnyOf says it in French, once
        validators=[
            InputRequired("Indiquez si la commune fait partie d'une grande agglomération."),
            AnyOf([area.value for area in CHOOSABLE_AREAS], message="Choisissez l'une des deux réponses."),
        ],
    )


class FslForm(GuaranteeForm):
    fsl_departement = StringField(
        "Département du FSL",
        description="Par défaut, celui du logement (par exemple 69, 2A ou 974).",
        validators=[DataRequired("Indiquez le département."), Length(max=3)],
    )
    fsl_decision_reference = StringField(
        "Référence de la décision", validators=[DataRequired("Indiquez la référence de la décision."), Length(max=60)]
    )
    fsl_decision_on = DateField("Date de la décision", validators=[InputRequired("Indiquez la date de la décision.")])
    amount = FrenchDecimalField(
        "Montant accordé (€)",
        validators=[InputRequired("Indiquez le montant."), Between(0, 100_000, "Entre 0 et 100 000 €.")],
    )


class FundForm(GuaranteeForm):
    covered_months = IntegerField(
        "Mois d'impayés couverts",
        validators=[InputRequired("Indiquez le nombre de mois."), Between(1, 120, "Entre 1 et 120 mois.")],
    )
    amount = FrenchDecimalField(
        "Plafond de la garantie (€)",
        description="Le total que le fonds paiera au plus.",
        validators=[InputRequired("Indiquez le plafond."), Between(0, 100_000, "Entre 0 et 100 000 €.")],
    )
    starts_on = DateField("Début de la garantie", validators=[InputRequired("Indiquez le début de la garantie.")])
    expires_on = DateField(
        "Fin de la garantie",
        description="Dernier jour couvert, inclus dans l'attestation de garantie.",
        validators=[InputRequired("Indiquez la fin de la garantie.")],
    )


class GliForm(GuaranteeForm):
    insurer = StringField("Assureur", validators=[DataRequired("Indiquez l'assureur."), Length(max=200)])
    policy_number = StringField("Numéro de contrat", validators=[Optional(), Length(max=60)])
    amount = FrenchDecimalField(
        "Plafond de la garantie (€)",
        description="Facultatif.",
        validators=[Optional(), Between(0, 1_000_000, "Entre 0 et 1 000 000 €.")],
    )
    student = BooleanField(STUDENT_LABEL, description=STUDENT_HINT)


class GuarantorForm(GuaranteeForm):
    guarantor_name = StringField(
        "Nom de la caution",
        description="La personne qui s'engage à payer si le locataire ne paie pas.",
        validators=[DataRequired("Indiquez le nom de la caution."), Length(max=200)],
    )
    student = BooleanField(STUDENT_LABEL, description=STUDENT_HINT)


FORMS: dict[GuaranteeKind, type[GuaranteeForm]] = {
    GuaranteeKind.VISALE: VisaleForm,
    GuaranteeKind.FSL: FslForm,
    GuaranteeKind.OPERATOR_FUND: FundForm,
    GuaranteeKind.GLI: GliForm,
    GuaranteeKind.PERSONAL_GUARANTOR: GuarantorForm,
}


class DepositWaiverForm(Form):
    kinds = MultiCheckboxField(
        "Pas de dépôt de garantie quand le ménage est couvert par",
        choices=choices([(kind.value, kind.label) for kind in GuaranteeKind]),
        validators=[Optional()],
    )
