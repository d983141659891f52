"""Shape of the rent revision calculator form; the request is checked by ``revision_api.check_request``."""

from __future__ import annotations

from wtforms import DateField, SelectField
from wtforms.validators import InputRequired, Optional

from capture.rules.rent_revision import DPE_CLASSES
from passerelle.forms import Form, FrenchDecimalField, choices

REQUIRED = "Ce champ est obligatoire."
DPE_CHOICES = choices([("", "Non renseignée"), *((letter, letter) for letter in DPE_CLASSES)])


class RentRevisionForm(Form):
    rent = FrenchDecimalField(
        "Loyer actuel hors charges (€ par mois)",
        description="Le loyer payé aujourd'hui, sans la provision pour charges, par exemple 500 ou 512,34.",
        validators=[InputRequired(REQUIRED)],
    )
    # Choices: the imported quarters whose index a year earlier is imported too (filled by the view). A posted
    # quarter outside the list is checked like the API does, so that its message names the missing index.
    irl_quarter = SelectField(
        "Trimestre de l'IRL à appliquer",
        description="Le trimestre de référence prévu au bail, dans sa dernière valeur publiée à la date de "
        "révision. Il est comparé au même trimestre de l'année précédente.",
        choices=[],
        validators=[InputRequired(REQUIRED)],
        validate_choice=False,
    )
    dpe_class = SelectField(
        "Classe énergie du DPE",
        description="Facultatif : le loyer d'un logement classé F ou G ne peut pas être révisé.",
        choices=DPE_CHOICES,
        validators=[Optional()],
    )
    cap_monthly = FrenchDecimalField(
        "Plafond de loyer de la convention (€ par mois, hors charges)",
        description="Facultatif : pour un logement conventionné (Anah, Loc'Avantages), le loyer révisé ne dépasse "
        "jamais ce plafond.",
        validators=[Optional()],
    )
    revision_date = DateField(
        "Date de la révision",
        description="Facultatif : aujourd'hui par défaut. Elle sert à savoir si le gel des loyers des logements "
        "énergivores s'applique à cette date.",
        validators=[Optional()],
    )
