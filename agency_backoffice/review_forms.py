"""Bail glissant forms: a six-monthly review with its decision, and the slide to the household's direct lease."""

from __future__ import annotations

from typing import Any

from wtforms import DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from agency_backoffice.models import DepositOutcome, GoalProgress, LeaseSignatureMethod, ReviewDecision
from agency_backoffice.rules.sliding import ReviewValues
from passerelle.forms import Form, choices

YES_NO = choices([("yes", "Oui"), ("no", "Non")])


def _yes_no(label: str, message: str) -> RadioField:
    return RadioField(label, choices=YES_NO, validators=[InputRequired(message)])


class ReviewForm(Form):
    held_on = DateField("Date de la revue", validators=[InputRequired("Indiquez la date de la revue.")])
    rent_paid_regularly = _yes_no(
        "Le loyer est-il payé régulièrement ?", "Indiquez si le loyer est payé régulièrement."
    )
    insurance_ok = _yes_no("L'assurance habitation est-elle à jour ?", "Indiquez si l'assurance habitation est à jour.")
    occupancy_ok = _yes_no(
        "Le ménage occupe-t-il le logement à titre de résidence principale ?",
        "Indiquez si le ménage occupe le logement à titre de résidence principale.",
    )
    support_goals = TextAreaField(
        "Objectifs de l'accompagnement",
        description="Ceux fixés avec le ménage : budget, démarches, appropriation du logement…",
        validators=[Optional(), Length(max=4000)],
    )
    goals_progress = SelectField(
        "Atteinte des objectifs",
        choices=choices([("", "— choisir —"), *((p.value, p.label) for p in GoalProgress)]),
        validators=[Optional()],
    )
    household_view = TextAreaField(
        "Avis du ménage",
        description="Ce que le ménage dit de son logement, de l'accompagnement et du glissement : il est entendu.",
        validators=[InputRequired("Notez l'avis du ménage : il est entendu à chaque revue."), Length(max=4000)],
    )
    decision = RadioField(
        "Décision",
        choices=choices((d.value, d.label) for d in ReviewDecision),
        validators=[InputRequired("Choisissez une décision.")],
    )
    reasons = TextAreaField(
        "Motifs de la décision", validators=[InputRequired("Motivez la décision."), Length(max=4000)]
    )
    slide_on = DateField(
        "Date du glissement",
        description="Si le bail glisse : le premier jour du bail direct entre le propriétaire et le ménage.",
        validators=[Optional()],
    )
    ends_on = DateField(
        "Date de fin de la sous-location",
        description="S'il est mis fin à la sous-location : le dernier jour d'occupation.",
        validators=[Optional()],
    )

    def values(self) -> ReviewValues:
        """The review as the rules read it (the form checked its shape only)."""

        def yes(field: Any) -> bool | None:
            return None if field.data not in ("yes", "no") else field.data == "yes"

        return ReviewValues(
            held_on=self.held_on.data,
            rent_paid_regularly=yes(self.rent_paid_regularly),
            insurance_ok=yes(self.insurance_ok),
            occupancy_ok=yes(self.occupancy_ok),
            support_goals=self.support_goals.data,
            goals_progress=GoalProgress(self.goals_progress.data) if self.goals_progress.data else None,
            household_view=self.household_view.data,
            decision=ReviewDecision(self.decision.data) if self.decision.data else None,
            reasons=self.reasons.data,
            slide_on=self.slide_on.data,
            ends_on=self.ends_on.data,
        )


class SlideForm(Form):
    deposit_outcome = RadioField(
        "Dépôt de garantie",
        choices=choices((o.value, o.label) for o in DepositOutcome),
        validators=[InputRequired("Indiquez ce que devient le dépôt de garantie.")],
    )
    deposit_note = TextAreaField("Précisions sur le dépôt", validators=[Optional(), Length(max=2000)])
    signatories = StringField(
        "Signataires du nouveau bail",
        description="Les locataires et le propriétaire (ou son représentant).",
        validators=[InputRequired("Indiquez qui a signé le nouveau bail."), Length(max=400)],
    )
    signature_method = RadioField(
        "Mode de signature",
        choices=choices((m.value, m.label) for m in LeaseSignatureMethod),
        validators=[InputRequired("Indiquez le mode de signature.")],
    )
