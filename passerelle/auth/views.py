"""HTTP side of accounts. Parse, call an operation, commit once, then send mail."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask import session as flask_session
from flask_login import current_user, login_required, login_user, logout_user

from passerelle.auth import bp
from passerelle.auth import operations as ops
from passerelle.auth.forms import (
    ChangePasswordForm,
    LoginForm,
    NewPasswordForm,
    PasswordResetRequestForm,
    ProfileForm,
    SignupForm,
)
from passerelle.auth.passwords import password_problems, verify_password
from passerelle.auth.tokens import (
    make_reset_token,
    make_verification_token,
    read_reset_token,
    read_verification_token,
)
from passerelle.db import db
from passerelle.mail import absolute_url, send_mail
from passerelle.models import Role, User
from passerelle.security import home_url_for, is_safe_next

BAD_CREDENTIALS = "Adresse e-mail ou mot de passe incorrect."
THROTTLED = (
    "Trop de tentatives de connexion. Pour votre sécurité, patientez quelques minutes avant de réessayer, "
    "ou réinitialisez votre mot de passe."
)


def _load_user(user_id: object) -> User | None:
    return db.session.get(User, user_id) if isinstance(user_id, int) else None


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(home_url_for(current_user))
    form = LoginForm()
    next_url = request.values.get("next")
    if request.method == "GET" and next_url and is_safe_next(next_url):
        # Kept in the session too: a visitor who first signs up and confirms their e-mail comes back here.
        flask_session["after_login"] = next_url
    if form.validate_on_submit():
        config = current_app.config
        result = ops.authenticate(
            db.session,
            email=form.email.data,
            password=form.password.data,
            ip=request.remote_addr or "",
            window=timedelta(seconds=config["LOGIN_WINDOW_SECONDS"]),
            max_per_account=config["LOGIN_MAX_FAILURES_PER_ACCOUNT"],
            max_per_ip=config["LOGIN_MAX_FAILURES_PER_IP"],
        )
        db.session.commit()
        if result.throttled:
            form.form_errors.append(THROTTLED)
            return render_template("auth/login.html", form=form, next_url=next_url), 429
        if result.unverified and result.user is not None:
            _send_verification(result.user)
            form.form_errors.append(
                "Votre adresse e-mail n'est pas encore confirmée. Nous venons de vous renvoyer le lien de "
                "confirmation : ouvrez-le, puis connectez-vous."
            )
        elif result.user is None:
            form.form_errors.append(BAD_CREDENTIALS)
        else:
            login_user(result.user)
            flash(f"Bonjour {result.user.full_name or result.user.email}, vous êtes connecté(e).", "success")
            kept = flask_session.pop("after_login", None)
            for target in (next_url, kept):
                if target and is_safe_next(target):
                    return redirect(target)
            return redirect(home_url_for(result.user))
    return render_template("auth/login.html", form=form, next_url=next_url)


@bp.route("/logout", methods=["POST"])
def logout():
    # Nothing of this visit is kept (simulations, pending redirects): the next person on this browser starts afresh.
    flask_session.clear()
    logout_user()
    flash("Vous êtes déconnecté(e).", "info")
    return redirect(url_for("public.index"))


@bp.route("/inscription", methods=["GET", "POST"])
def signup():
    if current_user.is_authenticated:
        return redirect(home_url_for(current_user))
    form = SignupForm()
    if form.validate_on_submit():
        problems = password_problems(
            form.password.data,
            email=form.email.data,
            full_name=form.full_name.data or "",
            min_length=current_app.config["PASSWORD_MIN_LENGTH"],
        )
        form.password.errors = list(form.password.errors) + problems
        existing = ops.find_user_by_email(db.session, form.email.data)
        if not problems:
            if existing is None:
                user = ops.create_user(
                    db.session,
                    email=form.email.data,
                    password=form.password.data,
                    role=Role.LANDLORD,
                    full_name=form.full_name.data,
                    by=None,
                )
                db.session.commit()
                _send_verification(user)
            else:
                # Same answer whether or not the address has an account; tell its owner by mail.
                send_mail(
                    existing.email,
                    "Passerelle — tentative de création de compte",
                    "Quelqu'un (peut-être vous) a voulu créer un compte Passerelle avec cette adresse, "
                    "qui en possède déjà un.\n\nSi vous avez oublié votre mot de passe : "
                    f"{_external('auth.password_reset_request')}\n",
                )
            return redirect(url_for("auth.signup_done"))
    return render_template("auth/signup.html", form=form)


@bp.route("/inscription/envoyee")
def signup_done():
    return render_template("auth/signup_done.html")


@bp.route("/verifier-email/<token>")
def verify_email(token: str):
    user = read_verification_token(token, _load_user)
    if user is None:
        flash(
            "Ce lien de confirmation n'est pas valable ou a expiré. Connectez-vous pour en recevoir un autre.",
            "error",
        )
        return redirect(url_for("auth.login"))
    ops.verify_email(db.session, user)
    db.session.commit()
    flash("Votre adresse e-mail est confirmée. Vous pouvez vous connecter.", "success")
    return redirect(url_for("auth.login"))


@bp.route("/mot-de-passe-oublie", methods=["GET", "POST"])
def password_reset_request():
    form = PasswordResetRequestForm()
    if form.validate_on_submit():
        user = ops.find_user_by_email(db.session, form.email.data)
        if user is not None and user.is_active:
            link = _external("auth.password_reset", token=make_reset_token(user))
            send_mail(
                user.email,
                "Passerelle — réinitialiser votre mot de passe",
                f"Bonjour,\n\nPour choisir un nouveau mot de passe, ouvrez ce lien (valable 24 heures, "
                f"une seule fois) :\n{link}\n\nSi vous n'avez rien demandé, ignorez ce message.\n",
            )
        flash(
            "Si un compte existe avec cette adresse, un lien pour choisir un nouveau mot de passe vient d'y "
            "être envoyé.",
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/password_reset_request.html", form=form)


@bp.route("/reinitialiser/<token>", methods=["GET", "POST"])
def password_reset(token: str):
    user = read_reset_token(token, _load_user)
    if user is None:
        flash("Ce lien n'est pas valable, a déjà servi ou a expiré. Faites une nouvelle demande.", "error")
        return redirect(url_for("auth.password_reset_request"))
    form = NewPasswordForm()
    if form.validate_on_submit():
        problems = password_problems(
            form.password.data,
            email=user.email,
            full_name=user.full_name,
            min_length=current_app.config["PASSWORD_MIN_LENGTH"],
        )
        if problems:
            form.password.errors = list(form.password.errors) + problems
        else:
            ops.set_password(db.session, user, form.password.data, by=user, reason="reset")
            # Following the e-mailed link proves the address.
            ops.verify_email(db.session, user)
            db.session.commit()
            flash("Votre mot de passe a été changé. Connectez-vous avec le nouveau.", "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/password_reset.html", form=form)


@bp.route("/compte", methods=["GET", "POST"])
@login_required
def account():
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        ops.update_profile(
            db.session, current_user, full_name=form.full_name.data, phone=form.phone.data, by=current_user
        )
        db.session.commit()
        flash("Vos coordonnées sont enregistrées.", "success")
        return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=form)


@bp.route("/compte/mot-de-passe", methods=["GET", "POST"])
@login_required
def password_change():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not verify_password(current_user.password_hash, form.current.data):
            form.current.errors = [*form.current.errors, "Le mot de passe actuel est incorrect."]
        else:
            problems = password_problems(
                form.password.data,
                email=current_user.email,
                full_name=current_user.full_name,
                min_length=current_app.config["PASSWORD_MIN_LENGTH"],
            )
            if problems:
                form.password.errors = list(form.password.errors) + problems
            else:
                user = current_user._get_current_object()
                ops.set_password(db.session, user, form.password.data, by=user, reason="change")
                db.session.commit()
                login_user(user)  # keep this session alive; the others end with the old password
                flash("Votre mot de passe a été changé.", "success")
                return redirect(url_for("auth.account"))
    return render_template("auth/password_change.html", form=form)


def _send_verification(user: User) -> None:
    link = _external("auth.verify_email", token=make_verification_token(user))
    send_mail(
        user.email,
        "Passerelle — confirmez votre adresse e-mail",
        f"Bonjour {user.full_name},\n\nPour activer votre compte Passerelle, confirmez votre adresse en "
        f"ouvrant ce lien (valable 24 heures) :\n{link}\n\nSi vous n'avez pas créé de compte, ignorez ce "
        "message.\n",
    )


def _external(endpoint: str, **values: Any) -> str:
    return absolute_url(endpoint, **values)
