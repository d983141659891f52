"""Shape of the simulator form; the rules (bounds, commune, rates in force) are checked by ``simulation``."""

from __future__ import annotations

from decimal import Decimal

from wtforms import IntegerField, RadioField, SelectChoice, SelectField
from wtforms.validators import InputRequired, Length, Optional

from passerelle.forms import CommuneField, FrenchDecimalField, choices
from passerelle.forms import Form as FlaskForm

REQUIRED = "Ce champ est obligatoire."
DPE_CHOICES = choices([("", "Choisissez la classe"), *((letter, letter) for letter in "ABCDEFG")])


class SimulatorForm(FlaskForm):
    commune = CommuneField(
        "Commune du logement",
        description="Son nom (par exemple « Arras ») ou son code INSEE à 5 caractères, différent du code postal.",
        validators=[InputRequired(REQUIRED), Length(max=120)],
    )
    # Filled by the view when several communes match what was typed.
    commune_choice = RadioField("Précisez la commune", choices=[], validate_choice=False)
    surface_habitable_m2 = FrenchDecimalField(
        "Surface habitable (m²)",
        description="La surface du bail : pièces de plus de 1,80 m de hauteur sous plafond, hors murs, "
        "caves, balcons et garages.",
        validators=[InputRequired(REQUIRED)],
    )
    annexes_m2 = FrenchDecimalField(
        "Annexes réservées au locataire (m²)",
        description="Facultatif : cave, balcon, loggia, terrasse… La moitié compte dans la surface fiscale, "
        "dans la limite de 8 m².",
        validators=[Optional()],
    )
    dpe_class = SelectField(
        "Classe énergie du DPE",
        description="La lettre de A à G de votre diagnostic de performance énergétique.",
        choices=DPE_CHOICES,
        validators=[InputRequired(REQUIRED)],
    )
    vacant_months = IntegerField(
        "Depuis combien de mois le logement est-il vide ?",
        description="Facultatif : certaines primes locales visent les logements vides depuis longtemps.",
        validators=[Optional()],
    )
    market_rent_m2 = FrenchDecimalField(
        "Loyer de marché connu (€ par m² et par mois, hors charges)",
        description="Facultatif : sans lui, nous partons de la carte des loyers de la commune, et le "
        "résultat est une estimation.",
        validators=[Optional()],
    )
    asked_rent_monthly = FrenchDecimalField(
        "Loyer que vous demanderiez sur le marché (€ par mois, hors charges)",
        description="Facultatif : sans lui, nous prenons le loyer de marché multiplié par la surface.",
        validators=[Optional()],
    )
    charges_monthly = FrenchDecimalField(
        "Charges récupérables (€ par mois)",
        description="Facultatif : elles ne sont pas un revenu, mais comptent pour la garantie Visale.",
        validators=[Optional()],
    )
    marginal_tax_rate = RadioField(
        "Votre taux marginal d'imposition",
        description="Le taux de votre tranche d'imposition la plus haute, indiqué sur votre avis d'impôt. "
        "La réduction d'impôt Loc'Avantages ne profite qu'aux foyers imposables.",
        choices=[],
        validators=[Optional()],
        validate_choice=False,
    )
    property_tax_yearly = FrenchDecimalField(
        "Taxe foncière (€ par an)",
        description="Facultatif, hors taxe d'ordures ménagères.",
        validators=[Optional()],
    )
    insurance_yearly = FrenchDecimalField(
        "Assurance propriétaire non occupant (€ par an)", description="Facultatif.", validators=[Optional()]
    )
    vacancy_months_per_year = FrenchDecimalField(
        "Vacance sans intermédiaire (mois sans locataire par an)",
        description="Laissez vide pour l'hypothèse par défaut.",
        validators=[Optional()],
    )
    unpaid_rent_percent = FrenchDecimalField(
        "Impayés sans intermédiaire (% des loyers)",
        description="Laissez vide pour l'hypothèse par défaut.",
        validators=[Optional()],
    )


def marginal_rate_choices(rates: tuple[Decimal, ...]) -> list[SelectChoice]:
    """Radio choices for the marginal rates in force: ``("0.30", "30 %")``, the zero rate explained."""
    pairs = []
    for rate in rates:
        percent = format((rate * 100).normalize(), "f").replace(".", ",")
        label = f"{percent}\u00a0%" + (" — foyer non imposable" if rate == 0 else "")
        pairs.append((f"{rate:f}", label))
    return choices(pairs)
