"""Shape of the campaign forms: a campaign, and the upload of a list of vacant units."""

from __future__ import annotations

from typing import Any

from flask_wtf.file import FileField, FileRequired, FileSize
from wtforms import DateField, SelectField, StringField, TextAreaField, ValidationError
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from capture.models import CampaignChannel
from capture.rules.lead_import import EXAMPLE_HEADER, MAX_LINES
from contracts.campaign_letters import unknown_merge_fields
from passerelle.formatting import number
from passerelle.forms import Between, Form, FrenchDecimalField, MultiCheckboxField, choices

REQUIRED = "Ce champ est obligatoire."
MAX_UPLOAD_BYTES = 5 * 1024 * 1024  # far above MAX_LINES lines of a vacant-housing list

DEFAULT_LETTER_BODY = """Madame, Monsieur,

Vous êtes propriétaire d'un logement situé {adresse_logement} à {commune}. S'il est aujourd'hui inoccupé, \
nous pouvons vous aider à le louer en toute sécurité, à un ménage que nous accompagnons.

Selon la formule choisie, nous gérons la location pour vous (mandat de gestion) ou nous devenons nous-mêmes \
locataires de votre logement : le loyer vous est alors versé chaque mois, même si le logement est vide. \
Un conventionnement Loc'Avantages ouvre droit à une réduction d'impôt et à des primes de l'Anah.

Nous vous proposons un rendez-vous, sans engagement, pour étudier votre situation : appelez-nous ou \
répondez à ce courrier en rappelant la référence indiquée en haut de page.

Veuillez agréer, Madame, Monsieur, l'expression de nos salutations distinguées."""


class CampaignForm(Form):
    name = StringField("Nom de la campagne", validators=[DataRequired(REQUIRED), Length(max=200)])
    channel = SelectField(
        "Canal",
        choices=choices([(channel.value, channel.label) for channel in CampaignChannel]),
        validators=[DataRequired(REQUIRED)],
    )
    starts_on = DateField("Début", validators=[DataRequired(REQUIRED)])
    ends_on = DateField("Fin", validators=[DataRequired(REQUIRED)])
    cost = FrenchDecimalField(
        "Coût total",
        description="En euros, tout compris (impression, affranchissement, diffusion), par exemple 1 250,00.",
        validators=[InputRequired(REQUIRED), Between(0, 999_999_999, "Saisissez un montant positif ou nul.")],
    )
    communes = MultiCheckboxField(
        "Communes ciblées", validators=[DataRequired("Choisissez au moins une commune ciblée.")]
    )
    description = TextAreaField("Description", validators=[Optional(), Length(max=2000)])
    letter_body = TextAreaField(
        "Texte du courrier",
        description=(
            "Pour les courriers : un paragraphe par bloc, séparés par une ligne vide. Champs de fusion : "
            "{nom}, {adresse_logement}, {commune}. L'en-tête, l'objet, la date et la signature sont ajoutés."
        ),
        validators=[Optional(), Length(max=10_000)],
    )

    def validate_ends_on(self, field: Any) -> None:
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError("La fin de la campagne ne peut pas précéder son début.")

    def validate_letter_body(self, field: Any) -> None:
        unknown = unknown_merge_fields(field.data or "")
        if unknown:
            raise ValidationError(
                f"Champ(s) de fusion inconnu(s) : {', '.join(unknown)}. "
                "Champs possibles : {nom}, {adresse_logement}, {commune}."
            )


class LeadImportForm(Form):
    file = FileField(
        "Fichier CSV",
        description=(
            f"UTF-8, séparateur point-virgule ou virgule, {number(MAX_LINES, 0)} lignes au plus. "
            f"Première ligne : {EXAMPLE_HEADER} (ou duree_vacance_ans)."
        ),
        validators=[
            FileRequired("Choisissez le fichier CSV à importer."),
            FileSize(MAX_UPLOAD_BYTES, message="Le fichier dépasse 5 Mo : découpez-le en plusieurs fichiers."),
        ],
    )
