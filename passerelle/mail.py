"""Outgoing e-mail: SMTP in production; in development and tests, the log and an outbox."""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

from flask import Flask, current_app

log = logging.getLogger("passerelle.mail")


@dataclass(frozen=True)
class SentMail:
    to: str
    subject: str
    body: str


def init_app(app: Flask) -> None:
    app.extensions["passerelle.outbox"] = []


def outbox(app: Flask | None = None) -> list[SentMail]:
    """Messages sent without an SMTP server (development and tests), oldest first."""
    return (app or current_app).extensions["passerelle.outbox"]


def send_mail(to: str, subject: str, body: str) -> None:
    """Send a plain-text e-mail. Call it after the commit: a rolled-back change sends nothing."""
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_DEFAULT_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    if config.get("MAIL_SERVER"):
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=20) as smtp:
            if config["MAIL_USE_TLS"]:
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
            smtp.send_message(message)
        return
    outbox().append(SentMail(to=to, subject=subject, body=body))
    if config["PASSERELLE_ENV"] == "development":
        folder = Path(current_app.instance_path) / "outbox"
        folder.mkdir(exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        (folder / f"{stamp}.eml").write_bytes(bytes(message))
        # Development only: no SMTP server, so the message goes to the console.
        log.warning("E-mail (développement) à %s — %s\n%s", to, subject, body)


def absolute_url(endpoint: str, **values: object) -> str:
    """An absolute link for an e-mail, from BASE_URL (never from the request's Host header); works in jobs too."""
    adapter = current_app.url_map.bind("localhost", script_name="/")
    return current_app.config["BASE_URL"].rstrip("/") + adapter.build(endpoint, values)
