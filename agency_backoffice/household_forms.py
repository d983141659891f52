"""The household referral form: shape only; the rules in ``household_input`` decide what is acceptable.

Works without JavaScript: a fixed number of member and place rows, empty rows ignored.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from wtforms import BooleanField, DateField, FieldList, FormField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from agency_backoffice.household_input import PLACE_KINDS, HouseholdInput, MemberInput, PlaceInput
from agency_backoffice.models import (
    Household,
    Need,
    PriorityFlag,
    ResourceKind,
    Sex,
    Situation,
    SupportIntensity,
)
from passerelle.forms import Between, Form, FrenchDecimalField, MultiCheckboxField, NumberRange, choices

REQUIRED = "Ce champ est obligatoire."
MEMBER_ROWS = 10
PLACE_ROWS = 3


class MemberRow(Form):
    class Meta:
        csrf = False

    kind = SelectField(
        "Personne", choices=choices([("", "—"), ("adult", "Adulte"), ("child", "Enfant à charge")]), default=""
    )
    birth_year = IntegerField(
        "Année de naissance", validators=[Optional(), NumberRange(1900, 2100, "Année sur 4 chiffres.")]
    )
    birth_month = IntegerField("Mois", validators=[Optional(), NumberRange(1, 12, "Mois entre 1 et 12.")])
    sex = SelectField(
        "Sexe (enfant)",
        choices=choices([("", "—"), *((sex.value, sex.label) for sex in Sex)]),
        default="",
    )


class PlaceRow(Form):
    class Meta:
        csrf = False

    kind = SelectField("Type de lieu", choices=choices([("", "—"), *PLACE_KINDS.items()]), default="")
    label = StringField("Lieu", validators=[Optional(), Length(max=120)])
    commune = SelectField("Commune", choices=[], default="", validate_choice=False)


class HouseholdForm(Form):
    siao_reference = StringField("Référence SIAO", validators=[DataRequired(REQUIRED), Length(max=40)])
    referred_on = DateField("Date d'orientation par le SIAO", validators=[DataRequired(REQUIRED)])
    contact_name = StringField("Nom de la personne de référence", validators=[Optional(), Length(max=200)])
    contact_phone = StringField("Téléphone", validators=[Optional(), Length(max=30)])
    contact_email = StringField(
        "Adresse e-mail", validators=[Optional(), Email("Adresse e-mail invalide."), Length(max=254)]
    )
    situation = SelectField(
        "Situation actuelle",
        choices=choices([(s.value, s.label) for s in Situation]),
        validators=[DataRequired(REQUIRED)],
    )
    situation_since = DateField("Depuis le", validators=[Optional()])
    couple = BooleanField("Les deux premiers adultes forment un couple")
    members = FieldList(FormField(MemberRow), min_entries=MEMBER_ROWS, max_entries=MEMBER_ROWS)
    tax_income = FrenchDecimalField(
        "Revenu fiscal de référence",
        description="Du dernier avis d'imposition (année N-2) : il sert aux plafonds Loc'Avantages.",
        validators=[Optional(), Between(0, 10_000_000, "Montant positif ou nul.")],
    )
    tax_income_year = IntegerField("Année des revenus", validators=[Optional()])
    disability_card = BooleanField(
        "Une personne du ménage est titulaire de la carte mobilité inclusion « invalidité »",
        description="Elle fait passer le ménage dans la catégorie supérieure pour les plafonds de ressources.",
    )
    priority_flags = MultiCheckboxField(
        "Critères de priorité", choices=choices([(f.value, f.label) for f in PriorityFlag])
    )
    needs = MultiCheckboxField(
        "Besoins pour le logement",
        description="Des besoins, pas des diagnostics : n'indiquez aucune information médicale.",
        choices=choices([(n.value, n.label) for n in Need]),
    )
    prefers_low_floor = BooleanField("Préfère un étage bas ou un immeuble avec ascenseur")
    wished_communes = MultiCheckboxField("Communes souhaitées")
    places = FieldList(FormField(PlaceRow), min_entries=PLACE_ROWS, max_entries=PLACE_ROWS)
    needed_by = DateField(
        "Logement souhaité au plus tard le",
        description="Un logement disponible après cette date ne lui sera pas proposé.",
        validators=[Optional()],
    )
    related_landlords = MultiCheckboxField(
        "Liens déclarés avec un propriétaire",
        description="Membre du foyer fiscal, ascendant ou descendant du propriétaire : Loc'Avantages l'interdit.",
    )
    diagnostic_conclusion = TextAreaField("Conclusion du diagnostic social", validators=[Optional(), Length(max=2000)])
    support_kind = StringField(
        "Type d'accompagnement", description="Par exemple AVDL, ASLL, accompagnement IML.", validators=[Length(max=120)]
    )
    support_intensity = SelectField(
        "Intensité de l'accompagnement", choices=choices([(s.value, s.label) for s in SupportIntensity])
    )
    referent_name = StringField("Référent social (nom)", validators=[Optional(), Length(max=200)])
    referent_organisation = StringField("Structure du référent", validators=[Optional(), Length(max=200)])
    referent_email = StringField(
        "E-mail du référent", validators=[Optional(), Email("Adresse e-mail invalide."), Length(max=254)]
    )
    referent_phone = StringField("Téléphone du référent", validators=[Optional(), Length(max=30)])
    consent_on = DateField("Date du consentement du ménage", validators=[Optional()])
    consent_scope = StringField(
        "Portée du consentement",
        description="Par exemple : partage du dossier avec l'opérateur et le référent, pour la recherche de logement.",
        validators=[Optional(), Length(max=500)],
    )


# One field per resource kind, added to the class so the form lists them in order.
for _kind in ResourceKind:
    setattr(
        HouseholdForm,
        f"resource_{_kind.value}",
        FrenchDecimalField(
            _kind.label,
            description="Montant mensuel en euros.",
            validators=[Optional(), Between(0, 100_000, "Montant mensuel entre 0 et 100 000 €.")],
        ),
    )


def resource_fields(form: HouseholdForm) -> list[Any]:
    return [getattr(form, f"resource_{kind.value}") for kind in ResourceKind]


def form_to_input(form: HouseholdForm) -> HouseholdInput:
    """Turn the submitted form into the referral shape (empty rows and amounts left out)."""
    members = []
    for row in form.members.entries:
        data = row.form
        if not data.kind.data or data.birth_year.data is None:
            continue
        members.append(
            MemberInput(
                adult=data.kind.data == "adult",
                birth_year=data.birth_year.data,
                birth_month=data.birth_month.data,
                sex=Sex(data.sex.data) if data.sex.data else None,
            )
        )
    places = tuple(
        PlaceInput(kind=row.form.kind.data, label=(row.form.label.data or "").strip(), commune=row.form.commune.data)
        for row in form.places.entries
        if row.form.kind.data and row.form.commune.data
    )
    resources = tuple(
        (kind, Decimal(getattr(form, f"resource_{kind.value}").data))
        for kind in ResourceKind
        if getattr(form, f"resource_{kind.value}").data
    )
    return HouseholdInput(
        siao_reference=form.siao_reference.data or "",
        referred_on=form.referred_on.data or date.today(),
        situation=Situation(form.situation.data),
        situation_since=form.situation_since.data,
        members=tuple(members),
        couple=bool(form.couple.data),
        resources=resources,
        contact_name=form.contact_name.data,
        contact_phone=form.contact_phone.data,
        contact_email=form.contact_email.data,
        priority_flags=frozenset(PriorityFlag(value) for value in form.priority_flags.data or ()),
        needs=frozenset(Need(value) for value in form.needs.data or ()),
        prefers_low_floor=bool(form.prefers_low_floor.data),
        wished_communes=tuple(form.wished_communes.data or ()),
        places=places,
        tax_income=form.tax_income.data,
        tax_income_year=form.tax_income_year.data,
        disability_card=bool(form.disability_card.data),
        needed_by=form.needed_by.data,
        diagnostic_conclusion=form.diagnostic_conclusion.data,
        support_kind=form.support_kind.data,
        support_intensity=SupportIntensity(form.support_intensity.data or SupportIntensity.NONE.value),
        referent_name=form.referent_name.data,
        referent_organisation=form.referent_organisation.data,
        referent_email=form.referent_email.data,
        referent_phone=form.referent_phone.data,
        consent_on=form.consent_on.data,
        consent_scope=form.consent_scope.data,
        related_landlord_ids=tuple(int(value) for value in form.related_landlords.data or ()),
    )


def form_data_from(household: Household) -> dict[str, Any]:
    """The form's initial values for an existing household."""
    data: dict[str, Any] = {
        name: getattr(household, name)
        for name in (
            "siao_reference",
            "referred_on",
            "contact_name",
            "contact_phone",
            "contact_email",
            "situation_since",
            "couple",
            "tax_income",
            "tax_income_year",
            "disability_card",
            "priority_flags",
            "needs",
            "prefers_low_floor",
            "wished_communes",
            "needed_by",
            "diagnostic_conclusion",
            "support_kind",
            "referent_name",
            "referent_organisation",
            "referent_email",
            "referent_phone",
            "consent_on",
            "consent_scope",
        )
    }
    data["situation"] = household.situation.value
    data["support_intensity"] = household.support_intensity.value
    data["members"] = [
        {
            "kind": "adult" if m.adult else "child",
            "birth_year": m.birth_year,
            "birth_month": m.birth_month,
            "sex": m.sex.value if m.sex else "",
        }
        for m in household.members
    ]
    data["places"] = list(household.places)
    data["related_landlords"] = [str(link.landlord_id) for link in household.owner_links]
    for resource in household.resources:
        data[f"resource_{resource.kind.value}"] = resource.monthly_amount
    return data
