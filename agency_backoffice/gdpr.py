"""GDPR duties on household files: anonymise closed files past the retention period, export one file.

``passerelle gdpr purge`` anonymises every closed file whose closing date is at least
``HOUSEHOLD_RETENTION_MONTHS`` months old (GDPR art. 5-1-e, storage limitation); ``passerelle gdpr export``
gives everything held on one household (art. 15 and 20). Both leave an audit entry.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from agency_backoffice.models import Household, HouseholdStatus
from agency_backoffice.operations.households import anonymise_household, export_household
from capture.rules.locavantages import add_months
from passerelle.audit import audit
from passerelle.db import db
from passerelle.formatting import PARIS, number, short_date


@dataclass(frozen=True)
class PurgeReport:
    on: date
    months: int
    cutoff: date  # files closed on or before this day are past the retention period
    household_ids: list[int]  # anonymised (or, in a dry run, to anonymise)
    already_anonymised: int
    dry_run: bool

    def summary(self) -> str:
        scope = (
            f"Dossiers clos au plus tard le {short_date(self.cutoff)} "
            f"(durée de conservation : {self.months} mois au {short_date(self.on)})"
        )
        count = number(len(self.household_ids), 0)
        done = number(self.already_anonymised, 0)
        if self.dry_run:
            return f"{scope} : {count} seraient anonymisé(s), {done} déjà anonymisé(s). Simulation : rien n'a changé."
        return f"{scope} : {count} anonymisé(s), {done} déjà anonymisé(s)."


def purge_cutoff(on: date, months: int) -> date:
    """The last closing day past retention: a file closed 24 months ago to the day is purged."""
    return add_months(on, -months)


def purge_households(
    session: Session,
    *,
    on: date,
    months: int,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> PurgeReport:
    """Anonymise every closed file past retention, not yet anonymised; the caller commits."""
    if months < 1:
        raise ValueError(f"Durée de conservation invalide : {months} mois (au moins 1).")
    cutoff = purge_cutoff(on, months)
    expired = (Household.status == HouseholdStatus.CLOSED, Household.closed_on <= cutoff)
    ids = list(
        session.scalars(select(Household.id).where(*expired, Household.anonymised_at.is_(None)).order_by(Household.id))
    )
    already = (
        session.scalar(select(func.count(Household.id)).where(*expired, Household.anonymised_at.is_not(None))) or 0
    )
    if not dry_run:
        for done, household_id in enumerate(ids, 1):
            household = session.get(Household, household_id)
            assert household is not None
            anonymise_household(session, household, by=None)
            session.flush()
            if progress:
                progress(done, len(ids))
        audit(
            session,
            actor=None,
            action="household.purge",
            object_type="household",
            cutoff=cutoff,
            months=months,
            anonymised=len(ids),
        )
    return PurgeReport(on, months, cutoff, ids, already, dry_run)


def export_text(data: dict[str, Any]) -> str:
    """The export as readable, stable JSON (UTF-8, keys sorted)."""
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


# --- command line ------------------------------------------------------------------------------------------


@click.group("gdpr", help="RGPD : anonymiser les dossiers clos, exporter les données d'un ménage.")
def gdpr_group() -> None:
    pass


@gdpr_group.command("purge", help="Anonymiser les dossiers de ménages clos depuis plus que la durée de conservation.")
@click.option("--date", "on", type=click.DateTime(formats=["%Y-%m-%d"]), help="Date de référence, AAAA-MM-JJ.")
@click.option("--dry-run", is_flag=True, help="Compter seulement, sans rien modifier.")
@with_appcontext
def purge_command(on: datetime | None, dry_run: bool) -> None:
    session = db.session
    months = current_app.config["HOUSEHOLD_RETENTION_MONTHS"]
    day = on.date() if on else datetime.now(PARIS).date()
    try:
        with click.progressbar(length=100, label="Anonymisation", file=sys.stderr) as bar:

            def progress(done: int, total: int) -> None:
                bar.update(done * 100 // total - bar.pos)

            report = purge_households(session, on=day, months=months, dry_run=dry_run, progress=progress)
    except ValueError as exc:
        session.rollback()
        raise click.ClickException(f"{exc} Vérifiez HOUSEHOLD_RETENTION_MONTHS.") from exc
    if dry_run:
        session.rollback()
    else:
        session.commit()
    click.echo(report.summary())


@gdpr_group.command("export", help="Exporter en JSON tout ce que Passerelle détient sur le ménage HOUSEHOLD_ID.")
@click.argument("household_id", type=int)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Fichier à écrire (par défaut : la sortie standard).",
)
@with_appcontext
def export_command(household_id: int, output: Path | None) -> None:
    session = db.session
    household = session.get(Household, household_id)
    if household is None:
        raise click.ClickException(f"Ménage n° {household_id} introuvable.")
    text = export_text(export_household(session, household, by=None))
    session.commit()
    if output is None:
        click.echo(text, nl=False)
        return
    # Personal data: readable by the file's owner only.
    descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
        stream.write(text)
    click.echo(f"Données du ménage n° {household_id} écrites dans {output}.", err=True)
