"""French error pages; a 500 page quotes the request id (logging itself is set up by ``passerelle.log``)."""

from __future__ import annotations

from flask import Flask, Response, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from passerelle.log import current_request_id, loggable_path
from passerelle.reference.queries import MissingParameter

MESSAGES = {
    400: ("Requête invalide", "La demande n'a pas pu être comprise. Revenez en arrière et réessayez."),
    403: ("Accès refusé", "Votre compte ne permet pas d'accéder à cette page."),
    404: ("Page introuvable", "Cette page n'existe pas ou n'est pas accessible avec votre compte."),
    405: ("Méthode non autorisée", "Cette adresse ne s'utilise pas de cette façon."),
    413: ("Fichier trop volumineux", "Le fichier envoyé dépasse la taille autorisée (16 Mo par envoi)."),
    429: ("Trop de demandes", "Vous avez fait trop de demandes en peu de temps. Patientez un peu."),
    500: (
        "Erreur interne",
        "Une erreur est survenue de notre côté. Elle a été enregistrée ; réessayez plus tard.",
    ),
}


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError):
        return _render(
            400,
            "Formulaire expiré",
            "Le formulaire a expiré ou n'a pas été envoyé depuis cette page. Rechargez la page et réessayez.",
        )

    @app.errorhandler(MissingParameter)
    def _missing_parameter(error: MissingParameter):
        app.logger.error("Paramètre de référence manquant : %s", error)
        return _render(
            503,
            "Données de référence manquantes",
            f"{error} L'administration de la plateforme doit importer les paramètres réglementaires "
            "(passerelle import parameters).",
        )

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        code = error.code or 500
        title, text = MESSAGES.get(code, (error.name, error.description or ""))
        response = _render(code, title, text)
        allow = error.get_response().headers.get("Allow")
        if allow:
            response.headers["Allow"] = allow
        return response

    @app.errorhandler(Exception)
    def _internal(error: Exception):
        if isinstance(error, HTTPException):
            return _http(error)
        app.logger.exception("Erreur interne sur %s %s", request.method, loggable_path())
        title, text = MESSAGES[500]
        request_id = current_request_id()
        if request_id:
            text += f" Référence de l'erreur à communiquer au support : {request_id}."
        return _render(500, title, text)


def _render(code: int, title: str, text: str) -> Response:
    if request.path.startswith("/api/"):
        return make_response({"error": title, "message": text}, code)
    return make_response(render_template("errors/error.html", code=code, title=title, text=text), code)
