"""Shape of the landlord's forms: profile, the declaration steps, documents, alerts."""

from __future__ import annotations

from flask_wtf.file import FileField, MultipleFileField
from wtforms import (
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Regexp

from capture.models import ConventionLevel, Heating, IMLMode, IncidentKind, LandlordKind
from passerelle.forms import Between, CommuneField, FrenchDecimalField, Optional, choices
from passerelle.forms import Form as FlaskForm

REQUIRED = "Ce champ est obligatoire."
POSTAL_CODE = Regexp(r"^\d{5}$", message="Le code postal compte 5 chiffres.")
PHONE = Regexp(
    r"^(\+33\s?[1-9]|0[1-9])([\s.-]?\d{2}){4}$",
    message="Saisissez un numéro français, par exemple 06 12 34 56 78 ou +33 6 12 34 56 78.",
)
YES_NO = [("", "Non renseigné"), ("yes", "Oui"), ("no", "Non")]


def yes_no(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


def yes_no_value(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


class LandlordProfileForm(FlaskForm):
    kind = RadioField(
        "Vous êtes",
        choices=choices([(kind.value, kind.label) for kind in LandlordKind]),
        default=LandlordKind.PERSON.value,
        validators=[DataRequired(REQUIRED)],
    )
    name = StringField(
        "Nom et prénom, ou raison sociale",
        validators=[DataRequired(REQUIRED), Length(max=200)],
    )
    company_siren = StringField(
        "SIREN de la société",
        description="9 chiffres, pour une SCI ou une autre société.",
        validators=[Optional(), Regexp(r"^\d{9}$", message="Le SIREN compte 9 chiffres.")],
    )
    representative = StringField("Représentant (gérant, indivisaire mandaté)", validators=[Optional(), Length(max=200)])
    phone = TelField("Téléphone", validators=[DataRequired(REQUIRED), PHONE])
    address = StringField("Adresse postale", validators=[DataRequired(REQUIRED), Length(max=300)])
    postal_code = StringField("Code postal", validators=[DataRequired(REQUIRED), POSTAL_CODE])
    city = StringField("Ville", validators=[DataRequired(REQUIRED), Length(max=120)])
    preferred_contact = RadioField(
        "Comment préférez-vous être contacté(e) ?",
        choices=choices([("phone", "Par téléphone"), ("email", "Par e-mail")]),
        default="phone",
    )


class StartDeclarationForm(FlaskForm):
    """Only a CSRF-protected confirmation: creating a draft is a POST."""


class AddressStepForm(FlaskForm):
    address = StringField("Adresse du logement", validators=[Optional(), Length(max=300)])
    address_complement = StringField(
        "Complément (bâtiment, étage, n° de porte)", validators=[Optional(), Length(max=200)]
    )
    postal_code = StringField("Code postal", validators=[Optional(), POSTAL_CODE])
    commune = CommuneField(
        "Commune",
        description="Nom de la commune (par exemple « Arras ») ou code INSEE.",
        validators=[Optional(), Length(max=120)],
    )


class FeaturesStepForm(FlaskForm):
    surface_m2 = FrenchDecimalField(
        "Surface habitable (m²)",
        description="Surface « loi Boutin », hors annexes, en m² (par exemple 45,5).",
        validators=[Optional(), Between(1, 1000, "Entre 1 et 1 000 m².")],
    )
    annexes_m2 = FrenchDecimalField(
        "Annexes à l'usage exclusif du locataire (m²)",
        description="Cave, balcon, loggia… 0 s'il n'y en a pas.",
        validators=[Optional(), Between(0, 500, "Entre 0 et 500 m².")],
    )
    rooms = IntegerField(
        "Nombre de pièces principales",
        validators=[Optional(), Between(1, 20, "Entre 1 et 20 pièces.")],
    )
    floor = IntegerField(
        "Étage",
        description="0 pour un rez-de-chaussée.",
        validators=[Optional(), Between(-2, 60, "Entre -2 et 60.")],
    )
    has_lift = SelectField("Ascenseur", choices=choices(YES_NO), default="")
    step_free = SelectField("Accès de plain-pied (sans marche jusqu'à la porte)", choices=choices(YES_NO), default="")
    heating = SelectField(
        "Chauffage",
        choices=choices([("", "Non renseigné"), *[(heating.value, heating.label) for heating in Heating]]),
        default="",
    )
    furnished = SelectField("Le logement est-il meublé ?", choices=choices(YES_NO), default="")
    dpe_class = SelectField(
        "Classe énergie du DPE",
        choices=choices([("", "Non renseignée"), *[(c, c) for c in "ABCDEFG"]]),
        default="",
    )
    dpe_energy_kwh_m2 = IntegerField(
        "Consommation d'énergie (kWh/m²/an)",
        validators=[Optional(), Between(0, 2000, "Entre 0 et 2 000.")],
    )
    dpe_ghg_kg_m2 = IntegerField(
        "Émissions de gaz à effet de serre (kg CO₂/m²/an)",
        validators=[Optional(), Between(0, 500, "Entre 0 et 500.")],
    )


class AvailabilityStepForm(FlaskForm):
    vacant_since = DateField("Vide depuis le", validators=[Optional()])
    available_from = DateField("Disponible à partir du", validators=[Optional()])
    visit_availability = TextAreaField(
        "Vos disponibilités pour une visite",
        description="Par exemple : en semaine après 17 h, le samedi matin.",
        validators=[Optional(), Length(max=1000)],
    )
    asked_rent = FrenchDecimalField(
        "Loyer que vous demanderiez sur le marché (€ par mois, hors charges)",
        validators=[Optional(), Between(0, 20000, "Entre 0 et 20 000 €.")],
    )
    charges = FrenchDecimalField(
        "Provision pour charges (€ par mois)",
        validators=[Optional(), Between(0, 2000, "Entre 0 et 2 000 €.")],
    )


class DocumentsStepForm(FlaskForm):
    photos = MultipleFileField("Photos du logement", description="JPEG, PNG ou WebP, 8 Mo au plus chacune.")
    dpe_document = FileField("Rapport DPE", description="PDF, 10 Mo au plus.")


class ModeStepForm(FlaskForm):
    desired_mode = RadioField(
        "Comment souhaitez-vous confier votre logement ?",
        choices=choices([(mode.value, mode.label) for mode in IMLMode]),
        validators=[Optional()],
    )
    desired_level = RadioField(
        "Niveau de loyer (convention Loc'Avantages)",
        choices=choices([(level.value, level.label) for level in ConventionLevel]),
        validators=[Optional()],
    )


class IncidentForm(FlaskForm):
    kind = RadioField(
        "De quoi s'agit-il ?",
        choices=choices([(kind.value, kind.label) for kind in IncidentKind]),
        validators=[DataRequired("Choisissez le type de difficulté.")],
    )
    description = TextAreaField(
        "Décrivez la situation",
        description="Ce qui se passe, depuis quand, ce que vous avez déjà fait. Votre opérateur vous répondra.",
        validators=[
            DataRequired(REQUIRED),
            Length(min=10, max=4000, message="Entre 10 et 4 000 caractères."),
        ],
    )
