"""Backups of the database and the stored documents, restorable into an empty database and checked against a manifest.

A backup is a folder (readable by its owner only: it holds personal data):

- ``database.dump`` (PostgreSQL, ``pg_dump --format=custom``) or ``database.sqlite3`` (SQLite's backup API);
- ``documents/``: a copy of the upload folder (files named by their SHA-256, see ``passerelle.storage``);
- ``manifest.json``, written last: the alembic revision, the row count of every table, each document's path, size
  and SHA-256, the documents each table references (``sha256`` columns), and the database file's SHA-256.

No document lives in the database itself (no binary column: PDFs and photos are files referenced by their hash);
``tests/test_backup_restore.py`` fails if one appears, so that the manifest learns to hash it.

``verify`` restores into an empty database and an empty folder and compares everything with the manifest.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import Connection, Engine, column, func, inspect, literal_column, make_url, select, table, text
from sqlalchemy.engine import URL

from passerelle.db import make_engine

MANIFEST = "manifest.json"
DOCUMENTS = "documents"
DATABASE_FILES = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}
FORMAT_VERSION = 1
VERSION_TABLE = "alembic_version"
DIGEST_NAME = re.compile(r"[0-9a-f]{2}/[0-9a-f]{64}")
CHUNK = 1024 * 1024
PG_CLIENT_PACKAGE = "postgresql-client-15"


class BackupError(RuntimeError):
    """A backup, restore or check that cannot go on, with a French message."""


# --- the manifest ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reference:
    """The document hashes one column holds: how many rows, and one digest over the sorted values."""

    rows: int
    sha256: str
    digests: frozenset[str] = field(default=frozenset(), compare=False)

    def as_json(self) -> dict[str, Any]:
        return {"rows": self.rows, "sha256": self.sha256}


@dataclass(frozen=True)
class DatabaseFacts:
    revisions: list[str]
    tables: dict[str, int]
    references: dict[str, Reference]  # "table.column"

    def referenced(self) -> set[str]:
        return set().union(*(reference.digests for reference in self.references.values()))


@dataclass
class Manifest:
    engine: str
    database_file: str
    database_sha256: str
    revisions: list[str]
    tables: dict[str, int]
    references: dict[str, dict[str, Any]]
    documents: list[dict[str, Any]]  # path (relative, POSIX), size, sha256
    missing_documents: list[str]  # referenced by a row but absent from the upload folder at backup time
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    format: int = FORMAT_VERSION

    def write(self, folder: Path) -> None:
        _write_private(folder / MANIFEST, json.dumps(self.__dict__, ensure_ascii=False, indent=2, sort_keys=True))

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        path = folder / MANIFEST
        if not path.is_file():
            raise BackupError(f"{folder} n'est pas une sauvegarde complète : {MANIFEST} est absent.")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") != FORMAT_VERSION:
                raise BackupError(f"Format de sauvegarde {data.get('format')!r} inconnu (attendu {FORMAT_VERSION}).")
            return cls(**data)
        except (ValueError, TypeError) as exc:
            raise BackupError(f"{path} illisible : {exc}") from exc


# --- create ----------------------------------------------------------------------------------------------------


def upload_folder_of(app: Flask) -> Path:
    """The configured upload folder (as ``passerelle.storage``), without creating it."""
    return Path(app.config.get("UPLOAD_FOLDER") or Path(app.instance_path) / "uploads")


def create_backup(engine: Engine, upload_folder: Path, target: Path) -> Manifest:
    """Back up the database (one consistent snapshot), then the documents, then write the manifest."""
    _prepare_empty_folder(target)
    name = _engine_name(engine)
    database_file = target / DATABASE_FILES[name]
    facts = _dump_postgresql(engine, database_file) if name == "postgresql" else _copy_sqlite(engine, database_file)
    documents = copy_documents(upload_folder, target / DOCUMENTS)
    present = {Path(entry["path"]).name for entry in documents if DIGEST_NAME.fullmatch(entry["path"])}
    manifest = Manifest(
        engine=name,
        database_file=database_file.name,
        database_sha256=file_sha256(database_file),
        revisions=facts.revisions,
        tables=facts.tables,
        references={key: reference.as_json() for key, reference in facts.references.items()},
        documents=documents,
        missing_documents=sorted(facts.referenced() - present),
    )
    manifest.write(target)
    return manifest


def _dump_postgresql(engine: Engine, path: Path) -> DatabaseFacts:
    """pg_dump inside the snapshot in which the rows were counted: the counts describe exactly the dump."""
    pg_dump = _executable("pg_dump")
    dsn, env = libpq_dsn(engine.url)
    with engine.connect() as connection:
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            snapshot = connection.scalar(text("SELECT pg_export_snapshot()"))
            facts = read_facts(connection)
            _run(
                [pg_dump, "--format=custom", f"--snapshot={snapshot}", "--no-password", f"--file={path}", dsn],
                env=env,
                what="pg_dump",
            )
    os.chmod(path, 0o600)
    return facts


def _copy_sqlite(engine: Engine, path: Path) -> DatabaseFacts:
    """SQLite's online backup API gives a consistent copy; the facts are read from the copy itself."""
    source_path = sqlite_path(engine.url)
    if not source_path.is_file():
        raise BackupError(f"Base SQLite introuvable : {source_path}.")
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
    destination = sqlite3.connect(path)
    try:
        source.backup(destination)
    finally:
        destination.close()
        source.close()
    os.chmod(path, 0o600)
    copy = make_engine(f"sqlite:///{path}")
    try:
        with copy.connect() as connection:
            return read_facts(connection)
    finally:
        copy.dispose()


def copy_documents(source: Path, target: Path) -> list[dict[str, Any]]:
    """Copy every stored file, hashing it on the way; half-written uploads (``.tmp``) are left out."""
    entries = []
    target.mkdir(mode=0o700, parents=True, exist_ok=True)
    for path in _files(source):
        relative = path.relative_to(source).as_posix()
        destination = target / relative
        destination.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        with path.open("rb") as reader, destination.open("wb") as writer:
            while chunk := reader.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                writer.write(chunk)
        entries.append({"path": relative, "size": size, "sha256": digest.hexdigest()})
    return entries


def _files(folder: Path) -> Iterator[Path]:
    if not folder.is_dir():
        return
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink() and path.suffix != ".tmp":
            yield path


# --- facts: what a restore must give back ----------------------------------------------------------------------


def read_facts(connection: Connection) -> DatabaseFacts:
    """Alembic revision, row count of every table, and the document hashes each table references."""
    inspector = inspect(connection)
    names = sorted(inspector.get_table_names())
    tables = {name: connection.scalar(select(func.count()).select_from(table(name))) or 0 for name in names}
    revisions: list[str] = []
    if VERSION_TABLE in names:
        revisions = sorted(connection.scalars(select(literal_column("version_num")).select_from(table(VERSION_TABLE))))
    references = {}
    for name in names:
        for described in inspector.get_columns(name):
            if described["name"] == "sha256" or described["name"].endswith("_sha256"):
                references[f"{name}.{described['name']}"] = _reference(connection, name, described["name"])
    return DatabaseFacts(revisions, tables, references)


def _reference(connection: Connection, table_name: str, column_name: str) -> Reference:
    hashes = table(table_name, column(column_name)).c[column_name]
    values = sorted(connection.scalars(select(hashes).where(hashes.is_not(None))).all())
    return Reference(
        rows=len(values),
        sha256=hashlib.sha256("\n".join(values).encode()).hexdigest(),
        digests=frozenset(values),
    )


# --- restore ---------------------------------------------------------------------------------------------------


def restore_backup(source: Path, database_url: str, upload_folder: Path) -> Manifest:
    """Restore a backup into an EMPTY database and an empty (or absent) upload folder."""
    manifest = Manifest.read(source)
    database_file = source / manifest.database_file
    if not database_file.is_file():
        raise BackupError(f"Fichier de base absent de la sauvegarde : {database_file}.")
    if file_sha256(database_file) != manifest.database_sha256:
        raise BackupError(f"{database_file.name} a été modifié depuis la sauvegarde (empreinte SHA-256 différente).")
    if upload_folder.exists() and any(upload_folder.iterdir()):
        raise BackupError(f"Le dossier des documents {upload_folder} n'est pas vide : restauration refusée.")
    engine = make_engine(database_url)
    try:
        name = _engine_name(engine)
        if name != manifest.engine:
            raise BackupError(
                f"Sauvegarde d'une base {manifest.engine} : la cible doit être une base {manifest.engine}."
            )
        existing = inspect(engine).get_table_names()
        if existing:
            raise BackupError(
                f"La base cible n'est pas vide ({len(existing)} table(s)) : restauration refusée. "
                "Restaurez dans une base neuve."
            )
        if name == "postgresql":
            engine.dispose()
            dsn, env = libpq_dsn(engine.url)
            _run(
                [
                    _executable("pg_restore"),
                    "--no-owner",
                    "--no-privileges",
                    "--exit-on-error",
                    "--single-transaction",
                    "--no-password",
                    f"--dbname={dsn}",
                    str(database_file),
                ],
                env=env,
                what="pg_restore",
            )
        else:
            engine.dispose()
            source_db = sqlite3.connect(f"file:{database_file}?mode=ro", uri=True)
            target_db = sqlite3.connect(sqlite_path(engine.url))
            try:
                source_db.backup(target_db)
            finally:
                target_db.close()
                source_db.close()
    finally:
        engine.dispose()
    copy_documents(source / DOCUMENTS, upload_folder)
    return manifest


# --- verify ----------------------------------------------------------------------------------------------------


@dataclass
class VerifyReport:
    tables: list[tuple[str, int | None, int | None]]  # table, rows in the manifest, rows restored
    documents_expected: int
    documents_restored: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_backup(source: Path, database_url: str, upload_folder: Path) -> VerifyReport:
    """Restore into a fresh database and folder, then compare row counts, revision and every document's hash."""
    manifest = restore_backup(source, database_url, upload_folder)
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            facts = read_facts(connection)
    finally:
        engine.dispose()
    return compare(manifest, facts, upload_folder)


def compare(manifest: Manifest, facts: DatabaseFacts, upload_folder: Path) -> VerifyReport:
    problems = []
    tables = []
    for name in sorted(set(manifest.tables) | set(facts.tables)):
        expected, restored = manifest.tables.get(name), facts.tables.get(name)
        tables.append((name, expected, restored))
        if expected is None:
            problems.append(f"Table {name} : absente de la sauvegarde, présente après restauration.")
        elif restored is None:
            problems.append(f"Table {name} : absente après restauration.")
        elif expected != restored:
            problems.append(f"Table {name} : {expected} ligne(s) sauvegardée(s), {restored} restaurée(s).")
    if manifest.revisions != facts.revisions:
        problems.append(
            f"Révision du schéma : {', '.join(manifest.revisions) or 'aucune'} sauvegardée, "
            f"{', '.join(facts.revisions) or 'aucune'} restaurée."
        )
    for key in sorted(set(manifest.references) | set(facts.references)):
        saved, restored_reference = manifest.references.get(key), facts.references.get(key)
        if saved is None or restored_reference is None or saved != restored_reference.as_json():
            problems.append(f"Documents référencés par {key} : différents de la sauvegarde.")
    restored_documents = {entry["path"]: entry for entry in _hash_folder(upload_folder)}
    for entry in manifest.documents:
        found = restored_documents.get(entry["path"])
        if found is None:
            problems.append(f"Document {entry['path']} : absent après restauration.")
        elif found["sha256"] != entry["sha256"] or found["size"] != entry["size"]:
            problems.append(f"Document {entry['path']} : contenu différent de la sauvegarde (empreinte SHA-256).")
    for path in sorted(set(restored_documents) - {entry["path"] for entry in manifest.documents}):
        problems.append(f"Document {path} : présent après restauration mais absent de la sauvegarde.")
    present = {Path(path).name for path in restored_documents if DIGEST_NAME.fullmatch(path)}
    lost = facts.referenced() - present - set(manifest.missing_documents)
    for digest in sorted(lost):
        problems.append(f"Document {digest[:12]}… : référencé par la base restaurée mais introuvable.")
    return VerifyReport(tables, len(manifest.documents), len(restored_documents), problems)


def _hash_folder(folder: Path) -> list[dict[str, Any]]:
    return [
        {"path": path.relative_to(folder).as_posix(), "size": path.stat().st_size, "sha256": file_sha256(path)}
        for path in _files(folder)
    ]


# --- scratch databases (the check script and the tests) --------------------------------------------------------


def create_scratch_database(base_url: str, prefix: str = "passerelle_restore_check") -> str:
    """Create an empty PostgreSQL database next to ``base_url``'s and return its URL."""
    url = make_url(base_url)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    _admin(url, f'CREATE DATABASE "{name}"')
    return url.set(database=name).render_as_string(hide_password=False)


def drop_database(database_url: str) -> None:
    url = make_url(database_url)
    _admin(url, f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')


def _admin(url: URL, statement: str) -> None:
    engine = make_engine(url.set(database="postgres").render_as_string(hide_password=False))
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()


# --- helpers ---------------------------------------------------------------------------------------------------


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as reader:
        while chunk := reader.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def libpq_dsn(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection URI for pg_dump/pg_restore; the password goes through the environment, not argv."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False), env


def sqlite_path(url: URL) -> Path:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError("Seule une base SQLite dans un fichier peut être sauvegardée ou restaurée.")
    return Path(database)


def _engine_name(engine: Engine) -> str:
    name = engine.dialect.name
    if name not in DATABASE_FILES:
        raise BackupError(f"Base {name} non prise en charge : PostgreSQL ou SQLite.")
    return name


def _executable(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} introuvable : installez le client PostgreSQL de la même version majeure que le serveur "
            f"(Debian : apt-get install {PG_CLIENT_PACKAGE})."
        )
    return found


def _run(command: list[str], *, env: dict[str, str], what: str) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{what} a échoué (code {result.returncode}) : {result.stderr.strip()[-2000:]}")


def _prepare_empty_folder(folder: Path) -> None:
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise BackupError(f"{folder} existe et n'est pas un dossier vide : choisissez un dossier neuf.")
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)


def _write_private(path: Path, content: str) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
        stream.write(content)
