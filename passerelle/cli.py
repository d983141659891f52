"""The ``passerelle`` command: the Flask CLI of the application factory, plus our own commands."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from passerelle.db import db


def main() -> None:
    from passerelle import create_app

    FlaskGroup(create_app=create_app, help="Passerelle — intermédiation locative.")(prog_name="passerelle")


def init_app(app: Flask) -> None:
    app.cli.add_command(db_group)
    app.cli.add_command(import_group)
    app.cli.add_command(demo_command)
    app.cli.add_command(create_user_command)
    app.cli.add_command(jobs_group)
    app.cli.add_command(scheduler_command)
    app.cli.add_command(api_token_group)
    app.cli.add_command(backup_group)


# --- database -------------------------------------------------------------------------------------


@click.group("db", help="Schéma de la base (migrations Alembic).")
def db_group() -> None:
    pass


@db_group.command("upgrade", help="Appliquer les migrations jusqu'à REVISION (par défaut : head).")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    from passerelle import migrate

    migrate.upgrade(db.engine, revision)
    click.echo(f"Base à jour ({', '.join(sorted(migrate.current_heads(db.engine))) or 'vide'}).")


@db_group.command("downgrade", help="Revenir à REVISION (« base » pour tout défaire).")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision: str) -> None:
    from passerelle import migrate

    migrate.downgrade(db.engine, revision)
    click.echo(f"Base ramenée à {', '.join(sorted(migrate.current_heads(db.engine))) or 'base'}.")


@db_group.command("current", help="Afficher la révision de la base.")
@with_appcontext
def db_current() -> None:
    from passerelle import migrate

    click.echo(", ".join(sorted(migrate.current_heads(db.engine))) or "base (aucune migration appliquée)")


@db_group.command("revision", help="Créer une migration (développeurs).")
@click.option("-m", "--message", required=True)
@click.option("--autogenerate/--empty", default=True)
@with_appcontext
def db_revision(message: str, autogenerate: bool) -> None:
    from alembic import command

    from passerelle import migrate

    command.revision(migrate.alembic_config(db.engine), message=message, autogenerate=autogenerate)


# --- reference data -------------------------------------------------------------------------------


@click.group("import", help="Importer les données de référence depuis les fichiers officiels.")
def import_group() -> None:
    pass


def _run_import(label: str, run: Callable[..., Any]) -> None:
    """Run an importer with a progress bar, print its report, commit only when it imported."""
    from passerelle.reference.importers import FatalImportError

    session = db.session
    with click.progressbar(length=100, label=label, file=sys.stderr) as bar:
        state = {"done": 0}

        def progress(done: int, total: int) -> None:
            percent = int(done * 100 / total) if total else 100
            bar.update(percent - state["done"])
            state["done"] = percent

        try:
            report = run(session, progress)
        except FatalImportError as exc:
            session.rollback()
            raise click.ClickException(str(exc)) from exc
    for rejection in report.rejected:
        click.echo(f"  ligne {rejection.line} : {rejection.message}", err=True)
    if report.imported:
        session.commit()
    else:
        session.rollback()
    click.echo(report.summary())
    if not report.imported:
        sys.exit(1)


@import_group.command("rent-map", help="Carte des loyers (CSV data.gouv.fr, séparateur « ; », virgule décimale).")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--edition",
    type=int,
    help="Année de l'édition (par défaut : déduite du nom du fichier, sinon le paramètre rent_map.default_edition).",
)
@click.option(
    "--housing-type",
    default="appartement",
    show_default=True,
    type=click.Choice(["appartement", "maison", "appartement_t1t2", "appartement_t3plus"]),
)
@click.option("--skip-invalid", is_flag=True, help="Importer les lignes valides malgré des lignes rejetées.")
@with_appcontext
def import_rent_map(path: Path, edition: int | None, housing_type: str, skip_invalid: bool) -> None:
    from passerelle.reference import importers

    _run_import(
        "Carte des loyers",
        lambda session, progress: importers.import_rent_map(
            session,
            path,
            edition=edition,
            housing_type=housing_type,
            skip_invalid=skip_invalid,
            progress=progress,
        ),
    )


@import_group.command("irl", help="Indice de référence des loyers (CSV INSEE, ou year,quarter,irl).")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--skip-invalid", is_flag=True, help="Importer les lignes valides malgré des lignes rejetées.")
@with_appcontext
def import_irl(path: Path, skip_invalid: bool) -> None:
    from passerelle.reference import importers

    _run_import(
        "IRL",
        lambda session, progress: importers.import_irl(session, path, skip_invalid=skip_invalid, progress=progress),
    )


@import_group.command("ceilings", help="Plafonds de ressources (PLUS, PLAI, intermédiaire).")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--skip-invalid", is_flag=True, help="Importer les lignes valides malgré des lignes rejetées.")
@with_appcontext
def import_ceilings(path: Path, skip_invalid: bool) -> None:
    from passerelle.reference import importers

    _run_import(
        "Plafonds de ressources",
        lambda session, progress: importers.import_ceilings(
            session, path, skip_invalid=skip_invalid, progress=progress
        ),
    )


@import_group.command("zonage", help="Zonage A/B/C des communes (par défaut : le fichier livré avec openfisca-france).")
@click.argument("path", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--skip-invalid", is_flag=True, help="Importer les lignes valides malgré des lignes rejetées.")
@with_appcontext
def import_zonage(path: Path | None, skip_invalid: bool) -> None:
    from passerelle.reference import importers

    _run_import(
        "Zonage A/B/C",
        lambda session, progress: importers.import_zonage(
            session, path or importers.openfisca_zonage_path(), skip_invalid=skip_invalid, progress=progress
        ),
    )


@import_group.command("parameters", help="Paramètres réglementaires versionnés (fichier TOML).")
@click.argument("path", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_parameters(path: Path | None) -> None:
    from passerelle.reference import importers

    _run_import(
        "Paramètres",
        lambda session, progress: importers.import_parameters(
            session, path or importers.DEFAULT_PARAMETERS_FILE, progress=progress
        ),
    )


# --- demo and accounts ----------------------------------------------------------------------------


@click.command("demo", help="Créer (ou compléter) les données de démonstration. Idempotent.")
@click.option(
    "--scale",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Volume supplémentaire pour les mesures de performance (0 : la démo seule).",
)
@with_appcontext
def demo_command(scale: int) -> None:
    if current_app.config["PASSERELLE_ENV"] == "production":
        raise click.ClickException("Refus : pas de données de démonstration en production.")
    from passerelle.config import ConfigurationError
    from passerelle.demo import seed_demo

    try:
        accounts = seed_demo(db.session, scale=scale, echo=click.echo)
    except ConfigurationError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo("Comptes de démonstration (mot de passe : demo-passerelle-2026) :")
    for account in accounts:
        click.echo(f"  {account.role.label:<22} {account.email}")


@click.command("create-user", help="Créer un compte (le mot de passe est demandé).")
@click.option("--email", required=True)
@click.option("--role", required=True, type=click.Choice(["landlord", "agency_staff", "metro", "admin"]))
@click.option("--name", "full_name", default="")
@click.option("--organisation-id", type=int, help="Organisation (obligatoire pour agency_staff et metro).")
@click.password_option("--password", prompt="Mot de passe", confirmation_prompt=True)
@with_appcontext
def create_user_command(email: str, role: str, full_name: str, organisation_id: int | None, password: str) -> None:
    from passerelle.auth.operations import AccountError, create_user
    from passerelle.auth.passwords import password_problems
    from passerelle.models import Organisation, Role

    problems = password_problems(password, email=email, min_length=current_app.config["PASSWORD_MIN_LENGTH"])
    if problems:
        raise click.ClickException(" ".join(problems))
    organisation = db.session.get(Organisation, organisation_id) if organisation_id else None
    if organisation_id and organisation is None:
        raise click.ClickException(f"Organisation {organisation_id} introuvable.")
    try:
        user = create_user(
            db.session,
            email=email,
            password=password,
            role=Role(role),
            full_name=full_name,
            organisation=organisation,
            verified=True,
            by=None,
        )
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"Compte {user.email} ({user.role.label}) créé.")


# --- jobs -------------------------------------------------------------------------------------------------


@click.group("jobs", help="Tâches planifiées, lançables à la main.")
def jobs_group() -> None:
    pass


@jobs_group.command("list", help="Lister les tâches.")
@with_appcontext
def jobs_list() -> None:
    from passerelle.jobs import registered_jobs

    for job in registered_jobs().values():
        click.echo(f"{job.name:<24} {job.label}")


@jobs_group.command("run", help="Lancer la tâche NAME pour une date (par défaut : aujourd'hui).")
@click.argument("name")
@click.option("--date", "on", type=click.DateTime(formats=["%Y-%m-%d"]), help="Date métier, AAAA-MM-JJ.")
@click.option("--force", is_flag=True, help="Relancer même si la tâche a déjà tourné pour cette date.")
@with_appcontext
def jobs_run(name: str, on: Any, force: bool) -> None:
    import logging
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from passerelle.jobs import registered_jobs
    from passerelle.scheduler import run_job_committed

    jobs = registered_jobs()
    if name not in jobs:
        raise click.ClickException(f"Tâche inconnue « {name} ». Tâches : {', '.join(sorted(jobs)) or 'aucune'}.")
    logging.basicConfig(level=logging.INFO)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    # The business date is today in Paris (not the server's local date), as for the scheduler.
    day = on.date() if on else datetime.now(ZoneInfo(app.config["TIMEZONE"])).date()
    outcome = run_job_committed(app, jobs[name], day, force=force)
    if outcome is None:
        raise click.ClickException(f"{name} ({day:%d/%m/%Y}) : échec, rien n'a été enregistré (voir le journal).")
    status = "exécutée" if outcome.ran else "déjà exécutée pour cette date (--force pour relancer)"
    click.echo(f"{name} ({day:%d/%m/%Y}) : {status} — {outcome.report.summary}")


@click.command(
    "scheduler",
    help="Planificateur : lancer chaque jour les tâches à leur heure (Europe/Paris). Un seul est actif ; "
    "un autre lancé en même temps reste en attente et prend le relais si le premier s'arrête.",
)
@click.option(
    "--once",
    is_flag=True,
    help="Un seul passage : prendre le verrou, lancer les tâches dont l'heure est passée et qui n'ont pas encore "
    "tourné (celles du jour, et celles de la veille dans le délai de grâce), puis s'arrêter. Si un autre "
    "planificateur détient le verrou, rien n'est lancé (code de sortie 3).",
)
@with_appcontext
def scheduler_command(once: bool) -> None:
    import logging
    import os

    from flask.logging import default_handler

    from passerelle.config import ConfigurationError
    from passerelle.scheduler import EXIT_STANDBY, JobStatus, Scheduler

    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]  # the jobs' threads need the app
    # A process of its own: log to stderr once, through the root logger (not also through Flask's handler).
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s : %(message)s")
    app.logger.removeHandler(default_handler)
    try:
        scheduler = Scheduler(app)
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from exc
    if not once:
        click.echo(f"Planificateur {scheduler.name} (pid {os.getpid()}) démarré ; arrêt par SIGTERM ou Ctrl-C.")
        scheduler.start()
        return
    if not scheduler.try_acquire():
        scheduler.beat()
        click.echo("En attente : un autre planificateur détient le verrou ; aucune tâche lancée.")
        sys.exit(EXIT_STANDBY)
    try:
        results = scheduler.catch_up()
    finally:
        scheduler.shutdown()
    for name, status in results.items():
        click.echo(f"{name} : {status.label}")
    click.echo(f"Actif : {len(results)} tâche(s) dont l'heure était passée ; verrou libéré.")
    if JobStatus.FAILED in results.values():
        sys.exit(1)


# --- API tokens -------------------------------------------------------------------------------------------


@click.group("api-token", help="Jetons d'API des organisations partenaires (le secret n'est affiché qu'une fois).")
def api_token_group() -> None:
    pass


@api_token_group.command("create", help="Créer un jeton pour une organisation.")
@click.option("--organisation-id", type=int, required=True)
@click.option("--name", required=True, help="À quoi sert ce jeton (ex. « tableau de bord SIG »).")
@click.option("--scope", "scopes", multiple=True, required=True, help="Portée, ex. indicators:read.")
@click.option("--days", type=click.IntRange(min=1, max=3650), default=365, show_default=True)
@with_appcontext
def api_token_create(organisation_id: int, name: str, scopes: tuple[str, ...], days: int) -> None:
    from passerelle.api_tokens import issue_token
    from passerelle.models import Organisation

    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        raise click.ClickException(f"Organisation {organisation_id} introuvable.")
    try:
        token, secret = issue_token(
            db.session, organisation=organisation, name=name, scopes=list(scopes), by=None, valid_days=days
        )
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"Jeton n° {token.id} pour {organisation.name} (portées : {token.scopes}), valable {days} jours.")
    click.echo("Secret (à conserver, il ne sera plus affiché) :")
    click.echo(secret)


@api_token_group.command("revoke", help="Révoquer un jeton.")
@click.argument("token_id", type=int)
@with_appcontext
def api_token_revoke(token_id: int) -> None:
    from passerelle.api_tokens import revoke_token
    from passerelle.models import ApiToken

    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise click.ClickException(f"Jeton {token_id} introuvable.")
    revoke_token(db.session, token, by=None)
    db.session.commit()
    click.echo(f"Jeton n° {token_id} révoqué.")


# --- backups ----------------------------------------------------------------------------------------------


@click.group("backup", help="Sauvegarde et restauration de la base et des documents stockés (voir docs/operations.md).")
def backup_group() -> None:
    pass


@backup_group.command("create", help="Sauvegarder la base et les documents dans DIR (dossier neuf ou vide).")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def backup_create(directory: Path) -> None:
    from passerelle.backup import BackupError, create_backup, upload_folder_of

    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        manifest = create_backup(db.engine, upload_folder_of(app), directory)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    rows = sum(manifest.tables.values())
    click.echo(
        f"Sauvegarde écrite dans {directory} : base {manifest.engine} ({len(manifest.tables)} tables, {rows} lignes, "
        f"révision {', '.join(manifest.revisions) or 'aucune'}), {len(manifest.documents)} document(s)."
    )
    if manifest.missing_documents:
        click.echo(
            f"Attention : {len(manifest.missing_documents)} document(s) référencé(s) par la base sont absents du "
            "dossier des documents (listés dans manifest.json, missing_documents).",
            err=True,
        )


_database_url_option = click.option(
    "--database-url", required=True, help="Base cible, VIDE (ex. postgresql://utilisateur@hôte/base_neuve)."
)


@backup_group.command("restore", help="Restaurer la sauvegarde DIR dans une base vide et un dossier de documents vide.")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@_database_url_option
@click.option(
    "--upload-folder",
    type=click.Path(file_okay=False, path_type=Path),
    help="Dossier des documents à remplir (par défaut : UPLOAD_FOLDER de la configuration).",
)
@with_appcontext
def backup_restore(directory: Path, database_url: str, upload_folder: Path | None) -> None:
    from passerelle.backup import BackupError, restore_backup, upload_folder_of

    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    folder = upload_folder or upload_folder_of(app)
    try:
        manifest = restore_backup(directory, database_url, folder)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"Restauré : {sum(manifest.tables.values())} lignes dans {len(manifest.tables)} tables, "
        f"{len(manifest.documents)} document(s) dans {folder}. Vérifiez avec « passerelle backup verify » "
        "sur une autre base neuve si besoin."
    )


@backup_group.command(
    "verify",
    help="Restaurer DIR dans une base VIDE et un dossier neuf, puis comparer au manifeste (lignes, empreintes).",
)
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@_database_url_option
@click.option(
    "--upload-folder",
    type=click.Path(file_okay=False, path_type=Path),
    help="Dossier (vide) où restaurer les documents (par défaut : un dossier temporaire, supprimé ensuite).",
)
@with_appcontext
def backup_verify(directory: Path, database_url: str, upload_folder: Path | None) -> None:
    import tempfile

    from passerelle.backup import BackupError, verify_backup

    with tempfile.TemporaryDirectory(prefix="passerelle-verify-") as scratch:
        try:
            report = verify_backup(directory, database_url, upload_folder or Path(scratch) / "uploads")
        except BackupError as exc:
            raise click.ClickException(f"Vérification impossible : {exc}") from exc
    width = max((len(name) for name, _, _ in report.tables), default=10)
    click.echo(f"{'Table':<{width}}  {'sauvegardé':>10}  {'restauré':>10}")
    for name, expected, restored in report.tables:
        mark = "" if expected == restored else "  <-- écart"
        click.echo(f"{name:<{width}}  {_count(expected):>10}  {_count(restored):>10}{mark}")
    click.echo(f"Documents : {report.documents_expected} sauvegardé(s), {report.documents_restored} restauré(s).")
    if not report.ok:
        for problem in report.problems:
            click.echo(f"  - {problem}", err=True)
        raise click.ClickException(f"Vérification échouée : {len(report.problems)} écart(s) avec la sauvegarde.")
    click.echo("Vérification réussie : lignes, révision du schéma et empreintes des documents identiques.")


def _count(value: int | None) -> str:
    return "absente" if value is None else str(value)
