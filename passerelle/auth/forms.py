"""Shape of the account forms (rules live in operations)."""

from __future__ import annotations

from wtforms import BooleanField, EmailField, PasswordField, StringField, TelField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from passerelle.forms import Form as FlaskForm

REQUIRED = "Ce champ est obligatoire."
EMAIL = "Saisissez une adresse e-mail valide, par exemple nom@exemple.fr."


class LoginForm(FlaskForm):
    email = EmailField("Adresse e-mail", validators=[DataRequired(REQUIRED), Length(max=254)])
    password = PasswordField("Mot de passe", validators=[DataRequired(REQUIRED), Length(max=128)])


class PasswordResetRequestForm(FlaskForm):
    email = EmailField("Adresse e-mail", validators=[DataRequired(REQUIRED), Email(EMAIL, check_deliverability=False)])


class NewPasswordForm(FlaskForm):
    password = PasswordField(
        "Nouveau mot de passe",
        description="Au moins 12 caractères. Une phrase de passe est plus sûre et plus facile à retenir.",
        validators=[DataRequired(REQUIRED), Length(max=128)],
    )
    confirm = PasswordField(
        "Confirmez le mot de passe",
        validators=[
            DataRequired(REQUIRED),
            EqualTo("password", "Les deux mots de passe ne sont pas identiques."),
        ],
    )


class ChangePasswordForm(NewPasswordForm):
    current = PasswordField("Mot de passe actuel", validators=[DataRequired(REQUIRED)])


class SignupForm(NewPasswordForm):
    password = PasswordField(
        "Mot de passe",
        description="Au moins 12 caractères. Une phrase de passe est plus sûre et plus facile à retenir.",
        validators=[DataRequired(REQUIRED), Length(max=128)],
    )
    full_name = StringField("Nom et prénom", validators=[DataRequired(REQUIRED), Length(max=200)])
    email = EmailField("Adresse e-mail", validators=[DataRequired(REQUIRED), Email(EMAIL, check_deliverability=False)])
    accept_terms = BooleanField(
        "J'accepte les conditions d'utilisation et le traitement de mes données pour l'étude de mon projet "
        "de location.",
        validators=[DataRequired("Vous devez accepter les conditions pour créer un compte.")],
    )


class ProfileForm(FlaskForm):
    full_name = StringField("Nom et prénom", validators=[DataRequired(REQUIRED), Length(max=200)])
    phone = TelField("Téléphone", validators=[Optional(), Length(max=30)])
