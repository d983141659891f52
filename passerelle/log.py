"""Structured logs: one line per record (JSON in production), a request id on each, one access line per request.

What is never logged: query strings, form fields, e-mails, names, IBANs, secret tokens. The access line carries the
method, the path (tokens masked), the endpoint, the status, the duration, the user's id and role, and the request id.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TextIO

from flask import Flask, g, has_request_context, request
from werkzeug.wrappers import Response

from passerelle.config import ConfigurationError

REQUEST_ID_HEADER = "X-Request-ID"
# An incoming id is kept only if it is this plain (a proxy's or a load balancer's); anything else is replaced.
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
# URL parts that are secrets (e-mail verification, password reset, payment links): masked in the logs.
SECRET_URL_ARGUMENTS = frozenset({"token"})
MASK = "***"
MAX_PATH_LENGTH = 300
FORMATS = ("json", "text")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"

access_log = logging.getLogger("passerelle.access")

# What every record has; anything else came through ``extra=`` and becomes a field of the JSON object.
_RECORD_ATTRIBUTES = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "request_id"}


def init_app(app: Flask) -> None:
    """Configure the process's logging from the app's config, and trace every request (register first)."""
    configure(log_format(app.config), log_level(app.config))
    app.before_request(_start_request)
    app.after_request(_finish_request)


def log_format(config: Mapping[str, Any]) -> str:
    value = (config.get("LOG_FORMAT") or "").strip().lower()
    if not value:
        return "json" if config.get("PASSERELLE_ENV") == "production" else "text"
    if value not in FORMATS:
        raise ConfigurationError(f"LOG_FORMAT={value!r} inconnu : valeurs possibles {', '.join(FORMATS)}.")
    return value


def log_level(config: Mapping[str, Any]) -> int:
    name = str(config.get("LOG_LEVEL") or "INFO").strip().upper()
    level = logging.getLevelName(name)
    if not isinstance(level, int):
        raise ConfigurationError(f"LOG_LEVEL={name!r} inconnu : DEBUG, INFO, WARNING, ERROR ou CRITICAL.")
    return level


def configure(format_name: str, level: int) -> None:
    """Send every logger's records to stderr through one handler of ours (replacing a previous one)."""
    root = logging.getLogger()
    for handler in [handler for handler in root.handlers if isinstance(handler, StderrHandler)]:
        root.removeHandler(handler)
    handler = StderrHandler()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if format_name == "json" else logging.Formatter(TEXT_FORMAT))
    root.addHandler(handler)
    root.setLevel(level)
    # The development server's own access lines carry the query string: ours replace them.
    werkzeug = logging.getLogger("werkzeug")
    if not any(isinstance(existing, _NoWerkzeugAccessLines) for existing in werkzeug.filters):
        werkzeug.addFilter(_NoWerkzeugAccessLines())


def installed_handler() -> StderrHandler | None:
    return next((h for h in logging.getLogger().handlers if isinstance(h, StderrHandler)), None)


class StderrHandler(logging.StreamHandler):
    """Write to whatever ``sys.stderr`` is at each record (test runners and process managers swap it)."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)
        self._stream: TextIO | None = None

    @property
    def stream(self) -> TextIO:
        return self._stream or sys.stderr

    @stream.setter
    def stream(self, value: TextIO | None) -> None:
        self._stream = value


class RequestIdFilter(logging.Filter):
    """Stamp each record with the id of the request being served ("-" outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line; fields passed with ``extra=`` are kept as they are."""

    def format(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", "-")
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": None if request_id == "-" else request_id,
        }
        for key, value in record.__dict__.items():
            if key not in _RECORD_ATTRIBUTES and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class _NoWerkzeugAccessLines(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (isinstance(record.msg, str) and record.msg.startswith('"%s" %s'))


# --- per request -----------------------------------------------------------------------------------------------


def current_request_id() -> str | None:
    return g.get("request_id") if has_request_context() else None


def _start_request() -> None:
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = incoming if SAFE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def _finish_request(response: Response) -> Response:
    request_id = g.get("request_id") or uuid.uuid4().hex
    response.headers[REQUEST_ID_HEADER] = request_id
    started = g.get("request_started")
    duration_ms = round((time.perf_counter() - started) * 1000, 1) if started is not None else None
    # Only a user the request already loaded: the access line never costs a query (Flask-Login keeps it in g).
    user = g.get("_login_user")
    authenticated = bool(getattr(user, "is_authenticated", False))
    user_id = getattr(user, "id", None) if authenticated else None
    role = (str(getattr(user, "role", "")) or None) if authenticated else None
    path = loggable_path()
    access_log.info(
        "%s %s %s %s ms endpoint=%s user=%s role=%s",
        request.method,
        path,
        response.status_code,
        duration_ms,
        request.endpoint,
        user_id if user_id is not None else "-",
        role or "-",
        extra={
            "method": request.method,
            "path": path,
            "endpoint": request.endpoint,
            "status": response.status_code,
            "duration_ms": duration_ms,
            "user_id": user_id,
            "role": role,
        },
    )
    return response


def loggable_path() -> str:
    """The request's path, without its query string, secret URL parts masked, cut to a reasonable length."""
    path = request.path
    for name, value in (request.view_args or {}).items():
        if name in SECRET_URL_ARGUMENTS and isinstance(value, str) and value:
            path = path.replace(value, MASK)
    return path[:MAX_PATH_LENGTH]
