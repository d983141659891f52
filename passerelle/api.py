"""The JSON API under /api/v1: kernel endpoints and the OpenAPI document every package contributes to."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, jsonify, request

from passerelle.db import db
from passerelle.extensions import csrf, limiter
from passerelle.reference import queries as reference

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


def public_rate_limit() -> str:
    return current_app.config["PUBLIC_API_RATE_LIMIT"]


def init_app(app: Flask) -> None:
    limiter.init_app(app)
    app.extensions["passerelle.openapi"] = {"paths": {}, "schemas": {}}
    add_openapi(app, paths=KERNEL_PATHS, schemas=KERNEL_SCHEMAS)
    app.register_blueprint(bp)


def add_openapi(app: Flask, *, paths: dict[str, Any], schemas: dict[str, Any] | None = None) -> None:
    """Let a package describe its endpoints in the one OpenAPI document."""
    document = app.extensions["passerelle.openapi"]
    document["paths"].update(paths)
    document["schemas"].update(schemas or {})


def error_response(status: int, message: str, errors: dict[str, list[str]] | None = None):
    """A JSON error: a French message and, for invalid input, the messages per field."""
    body: dict[str, Any] = {"error": message}
    if errors:
        body["errors"] = errors
    return jsonify(body), status


@bp.route("/ping")
def ping():
    """The bare endpoint: no database, no work. Benchmarks compare every page to it."""
    return jsonify(status="ok")


@bp.route("/communes")
@limiter.limit(public_rate_limit)
def communes():
    text = (request.args.get("q") or "").replace("\x00", "").strip()  # PostgreSQL refuses NUL in a text
    if len(text) < 2:
        return error_response(422, "Saisissez au moins 2 caractères.", {"q": ["Au moins 2 caractères."]})
    if len(text) > 60:
        return error_response(422, "Recherche trop longue.", {"q": ["60 caractères au plus."]})
    try:
        limit = min(max(int(request.args.get("limit", 10)), 1), 20)
    except ValueError:
        return error_response(422, "Paramètre limit invalide.", {"limit": ["Nombre entier entre 1 et 20."]})
    rows = reference.search_communes(db.session, text, limit=limit)
    return jsonify(
        [
            {
                "insee": c.insee,
                "name": c.name,
                "departement": c.departement,
                "label": f"{c.name} ({c.departement})",
            }
            for c in rows
        ]
    )


@bp.route("/openapi.json")
def openapi():
    document = current_app.extensions["passerelle.openapi"]
    return jsonify(
        {
            "openapi": "3.1.0",
            "info": {
                "title": "API Passerelle",
                "version": "1",
                "description": "API publique et partenaires de Passerelle (intermédiation locative). "
                "Messages d'erreur en français ; montants en euros (nombres décimaux).",
            },
            "servers": [{"url": "/"}],
            "paths": dict(sorted(document["paths"].items())),
            "components": {
                "schemas": document["schemas"],
                "securitySchemes": {
                    "bearer": {
                        "type": "http",
                        "scheme": "bearer",
                        "description": "Jeton d'API d'une organisation (passerelle api-token create).",
                    }
                },
            },
        }
    )


ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {"type": "string", "description": "Message en français"},
        "errors": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "description": "Messages par champ",
        },
    },
}

KERNEL_SCHEMAS = {
    "Error": ERROR_SCHEMA,
    "Commune": {
        "type": "object",
        "required": ["insee", "name", "departement", "label"],
        "properties": {
            "insee": {"type": "string", "pattern": "^[0-9][0-9AB][0-9]{3}$"},
            "name": {"type": "string"},
            "departement": {"type": "string"},
            "label": {"type": "string"},
        },
    },
}

KERNEL_PATHS = {
    "/api/v1/ping": {
        "get": {
            "summary": "Point de contrôle minimal (sans base de données)",
            "responses": {"200": {"description": "Toujours « ok »"}},
        }
    },
    "/api/v1/communes": {
        "get": {
            "summary": "Rechercher une commune (autocomplétion)",
            "parameters": [
                {
                    "name": "q",
                    "in": "query",
                    "required": True,
                    "schema": {"type": "string", "minLength": 2, "maxLength": 60},
                    "description": "Début du nom ou du code INSEE",
                },
                {
                    "name": "limit",
                    "in": "query",
                    "schema": {"type": "integer", "default": 10},
                    "description": "Nombre de communes au plus, ramené entre 1 et 20",
                },
            ],
            "responses": {
                "200": {
                    "description": "Communes trouvées",
                    "content": {
                        "application/json": {
                            "schema": {"type": "array", "items": {"$ref": "#/components/schemas/Commune"}}
                        }
                    },
                },
                "422": {
                    "description": "Recherche invalide",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                },
                "429": {"description": "Trop de requêtes"},
            },
        }
    },
}
