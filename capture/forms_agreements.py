"""Shape of the visit, agreement and signature forms (rules are checked by the operations)."""

from __future__ import annotations

from typing import Any

from flask_wtf.file import MultipleFileField
from wtforms import DateField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from capture.models import ConventionLevel, IMLMode
from capture.rules import assessment as assessment_rules
from passerelle.forms import Between, Form, FrenchDecimalField, NumberRange, choices

ANSWERS = choices([("oui", "Conforme"), ("non", "Non conforme"), ("nsp", "À vérifier")])
ANSWER_VALUES = {"oui": True, "non": False, "nsp": None}
OTHER_WORKS = "autres"


def _work_fields(cls: type, key: str, topic: str) -> None:
    """A works description and its rough cost; the topic makes each label unique (error summary)."""
    setattr(
        cls,
        f"w_{key}",
        StringField(
            f"Travaux à prévoir — {topic}",
            validators=[Optional(), Length(max=300, message="300 caractères au plus.")],
        ),
    )
    setattr(
        cls,
        f"k_{key}",
        FrenchDecimalField(
            f"Coût estimé (€) — {topic}", validators=[Optional(), Between(0, 1_000_000, "Entre 0 et 1 000 000 €.")]
        ),
    )


class AssessmentForm(Form):
    """The field visit, one column, in the order staff walk through the unit."""

    visited_on = DateField("Date de la visite", validators=[InputRequired("Indiquez la date de la visite.")])
    surface_m2 = FrenchDecimalField(
        "Surface habitable mesurée (m²)",
        validators=[InputRequired("Indiquez la surface habitable mesurée."), Between(1, 1000, "Entre 1 et 1 000 m².")],
    )
    annexes_m2 = FrenchDecimalField(
        "Annexes à l'usage du seul locataire (m²)",
        description="Cave, balcon, loggia, terrasse… 0 s'il n'y en a pas.",
        validators=[Optional(), Between(0, 1000, "Entre 0 et 1 000 m².")],
    )
    rooms = IntegerField(
        "Nombre de pièces principales",
        validators=[InputRequired("Indiquez le nombre de pièces."), NumberRange(1, 30, "Entre 1 et 30 pièces.")],
    )
    main_room_m2 = FrenchDecimalField(
        "Surface de la pièce principale (m²)", validators=[Optional(), Between(1, 500, "Entre 1 et 500 m².")]
    )
    ceiling_height_m = FrenchDecimalField(
        "Hauteur sous plafond de la pièce principale (m)",
        validators=[Optional(), Between(1, 10, "Entre 1 et 10 m.")],
    )
    dpe_class = SelectField(
        "Classe énergie du DPE",
        choices=choices([("", "Pas de DPE / inconnue"), *[(c, c) for c in "ABCDEFG"]]),
        default="",
        validators=[Optional()],
    )
    dpe_energy_kwh_m2 = IntegerField(
        "Consommation d'énergie (kWh/m²/an)",
        description="Énergie finale, indiquée sur le DPE.",
        validators=[Optional(), NumberRange(0, 2000, "Entre 0 et 2 000.")],
    )
    dpe_ghg_kg_m2 = IntegerField(
        "Émissions de gaz à effet de serre (kg CO₂/m²/an)",
        validators=[Optional(), NumberRange(0, 500, "Entre 0 et 500.")],
    )
    notes = TextAreaField("Observations", validators=[Optional(), Length(max=4000)])
    photos = MultipleFileField("Photos", description="JPEG, PNG ou WebP ; vous pouvez en prendre plusieurs.")

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        for key in work_keys():
            description, cost = self[f"w_{key}"], self[f"k_{key}"]
            if cost.data is not None and not (description.data or "").strip():
                description.errors = [*description.errors, "Décrivez les travaux chiffrés."]
                valid = False
        return valid


for _item in assessment_rules.CHECKLIST:
    setattr(
        AssessmentForm,
        f"c_{_item.key}",
        RadioField(
            _item.label,
            choices=ANSWERS,
            description=_item.reference,
            validators=[InputRequired(f"Répondez pour : {assessment_rules.SHORT_LABELS[_item.key].lower()}.")],
        ),
    )
    _work_fields(AssessmentForm, _item.key, assessment_rules.SHORT_LABELS[_item.key])
_work_fields(AssessmentForm, assessment_rules.ENERGY_ITEM.key, "Rénovation énergétique")
_work_fields(AssessmentForm, OTHER_WORKS, "Autres travaux")


def work_keys() -> list[str]:
    return [*(item.key for item in assessment_rules.CHECKLIST), assessment_rules.ENERGY_ITEM.key, OTHER_WORKS]


def assessment_data(data: dict[str, Any]) -> dict[str, Any]:
    """The operation's input from the form's data (``form.data``)."""
    works = []
    for key in work_keys():
        description = (data.get(f"w_{key}") or "").strip()
        if description:
            works.append(
                {"description": description, "cost": data.get(f"k_{key}"), "item": None if key == OTHER_WORKS else key}
            )
    return {
        "visited_on": data["visited_on"],
        "answers": {
            item.key: ANSWER_VALUES.get(data.get(f"c_{item.key}") or "nsp") for item in assessment_rules.CHECKLIST
        },
        "surface_m2": data["surface_m2"],
        "annexes_m2": data.get("annexes_m2"),
        "rooms": data.get("rooms"),
        "main_room_m2": data.get("main_room_m2"),
        "ceiling_height_m": data.get("ceiling_height_m"),
        "dpe_class": data.get("dpe_class") or None,
        "dpe_energy_kwh_m2": data.get("dpe_energy_kwh_m2"),
        "dpe_ghg_kg_m2": data.get("dpe_ghg_kg_m2"),
        "works": works,
        "notes": data.get("notes"),
    }


class AgreementForm(Form):
    mode = RadioField(
        "Formule",
        choices=choices([(mode.value, mode.label) for mode in IMLMode]),
        validators=[InputRequired("Choisissez la formule.")],
    )
    level = RadioField(
        "Niveau de loyer (convention Loc'Avantages)",
        choices=choices([(level.value, level.label) for level in ConventionLevel]),
        validators=[InputRequired("Choisissez le niveau de loyer.")],
    )
    rent = FrenchDecimalField(
        "Loyer mensuel hors charges (€)",
        validators=[InputRequired("Indiquez le loyer."), Between(0, 20_000, "Entre 0 et 20 000 €.")],
    )
    charges = FrenchDecimalField(
        "Charges mensuelles (€)",
        validators=[
            InputRequired("Indiquez les charges (0 s'il n'y en a pas)."),
            Between(0, 5_000, "Entre 0 et 5 000 €."),
        ],
    )
    duration_months = IntegerField(
        "Durée (mois)",
        validators=[InputRequired("Indiquez la durée en mois."), NumberRange(1, 240, "Entre 1 et 240 mois.")],
    )
    fee_rate_percent = FrenchDecimalField(
        "Frais de gestion (% des loyers encaissés)",
        description="Mandat de gestion uniquement ; laissez vide pour une location à l'association.",
        validators=[Optional(), Between(0, 99, "Entre 0 et 99 %.")],
    )
    starts_on = DateField("Date de prise d'effet", validators=[InputRequired("Indiquez la date de prise d'effet.")])


class SignatureForm(Form):
    """A signature on paper, recorded by staff."""

    signed_on = DateField("Date de la signature", validators=[InputRequired("Indiquez la date de la signature.")])
    signatory_name = StringField(
        "Nom du ou de la signataire",
        validators=[DataRequired("Indiquez qui a signé."), Length(max=200, message="200 caractères au plus.")],
    )
