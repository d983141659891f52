"""Backup and restore, for real: pg_dump/pg_restore or SQLite's backup API, documents copied and hashed.

A database of its own (a new PostgreSQL database, or a SQLite file) is filled with committed records and stored
documents (a unit photo, lease PDFs, a quittance), backed up, then restored into a fresh database and compared.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import Result
from flask import Flask
from sqlalchemy import delete, select, text

from agency_backoffice.models import LeaseDocument, PaymentMethod
from agency_backoffice.operations import ledger as ledger_ops
from agency_backoffice.operations import ledger_documents
from agency_backoffice.rules.ledger import month_start
from capture.models import IMLMode
from passerelle import backup, create_app, load_all_models, migrate
from passerelle.db import Base, db, make_engine
from passerelle.models import OrganisationKind, Role
from passerelle.reference import importers
from tests.factories import Factory

ROOT = Path(__file__).resolve().parents[1]
BASE_URL = os.environ.get("PASSERELLE_TEST_DATABASE_URL", "")
ON_POSTGRESQL = BASE_URL.startswith("postgresql")


@dataclass
class Source:
    app: Flask
    url: str
    uploads: Path


def _fresh_url(folder: Path, label: str) -> str:
    if ON_POSTGRESQL:
        return backup.create_scratch_database(BASE_URL, f"passerelle_backup_test_{label}")
    return f"sqlite:///{folder / f'{label}.db'}"


def _drop(url: str) -> None:
    if ON_POSTGRESQL:
        backup.drop_database(url)


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Source]:
    folder = tmp_path_factory.mktemp("backup_source")
    url = _fresh_url(folder, "source")
    uploads = folder / "uploads"
    app = create_app({"PASSERELLE_ENV": "test", "DATABASE_URL": url, "UPLOAD_FOLDER": str(uploads)})
    app.instance_path = str(folder)
    try:
        migrate.upgrade(db.engine_for(app))
        with app.app_context():
            session = db.sessionmaker_for(app)()
            importers.import_parameters(session, importers.DEFAULT_PARAMETERS_FILE)
            make = Factory(session)
            operator = make.organisation(kind=OrganisationKind.ASSOCIATION)
            staff = make.staff(operator)
            make.captured_unit_with_incident(make.user(Role.LANDLORD), operator)  # a photo
            lease = make.lease(operator, by=staff, mode=IMLMode.MANDATE)  # the lease's PDFs
            call = ledger_ops.issue_rent_call(session, lease, month_start(lease.starts_on), on=lease.starts_on)
            ledger_ops.record_payment(
                session, lease, amount=call.amount, method=PaymentMethod.TRANSFER, received_on=call.due_on, by=None
            )
            ledger_documents.issue_receipts(session, on=call.due_on, lease_id=lease.id)  # a quittance
            session.commit()
            session.close()
        yield Source(app, url, uploads)
    finally:
        db.engine_for(app).dispose()
        _drop(url)


@pytest.fixture
def target(tmp_path: Path) -> Iterator[str]:
    url = _fresh_url(tmp_path, "restored")
    yield url
    _drop(url)


def _cli(source: Source, *args: str) -> Result:
    return source.app.test_cli_runner().invoke(args=["backup", *args])


def _backup(source: Source, folder: Path) -> backup.Manifest:
    result = _cli(source, "create", str(folder))
    assert result.exit_code == 0, result.output
    assert "Sauvegarde écrite" in result.output
    return backup.Manifest.read(folder)


def test_create_then_verify_gives_back_every_row_and_document(source: Source, tmp_path: Path, target: str) -> None:
    manifest = _backup(source, tmp_path / "backup")
    assert manifest.engine == ("postgresql" if ON_POSTGRESQL else "sqlite")
    assert len(manifest.revisions) == 1 and manifest.tables["alembic_version"] == 1
    for table in ("users", "units", "unit_documents", "leases", "lease_documents", "ledger_documents"):
        assert manifest.tables[table] > 0, table
    stored = sorted(path.relative_to(source.uploads).as_posix() for path in source.uploads.rglob("*") if path.is_file())
    assert [entry["path"] for entry in manifest.documents] == stored
    assert all(entry["path"].endswith(entry["sha256"]) for entry in manifest.documents)  # content-addressed
    references = manifest.references
    assert references["lease_documents.sha256"]["rows"] == manifest.tables["lease_documents"]
    assert references["unit_documents.sha256"]["rows"] == 1 and references["ledger_documents.sha256"]["rows"] == 1
    assert manifest.missing_documents == []
    assert stat.S_IMODE((tmp_path / "backup").stat().st_mode) == 0o700  # personal data: the owner only
    assert stat.S_IMODE((tmp_path / "backup" / backup.MANIFEST).stat().st_mode) == 0o600

    restored = tmp_path / "restored_uploads"
    result = _cli(
        source, "verify", str(tmp_path / "backup"), "--database-url", target, "--upload-folder", str(restored)
    )
    assert result.exit_code == 0, result.output
    assert "Vérification réussie" in result.output
    lease_documents = manifest.tables["lease_documents"]
    assert any(
        line.split() == ["lease_documents", str(lease_documents), str(lease_documents)]
        for line in result.output.splitlines()
    )
    assert f"Documents : {len(stored)} sauvegardé(s), {len(stored)} restauré(s)." in result.output
    for relative in stored:
        assert (restored / relative).read_bytes() == (source.uploads / relative).read_bytes()

    again = _cli(source, "verify", str(tmp_path / "backup"), "--database-url", target)
    assert again.exit_code != 0 and "La base cible n'est pas vide" in again.output  # never over existing data


def test_a_tampered_document_fails_verification(source: Source, tmp_path: Path, target: str) -> None:
    manifest = _backup(source, tmp_path / "backup")
    pdf = next(
        entry["path"] for entry in manifest.documents if (source.uploads / entry["path"]).read_bytes()[:5] == b"%PDF-"
    )
    document = tmp_path / "backup" / backup.DOCUMENTS / pdf
    document.write_bytes(document.read_bytes() + b"%% ajout\n")  # still a PDF, no longer the same bytes
    result = _cli(source, "verify", str(tmp_path / "backup"), "--database-url", target)
    assert result.exit_code == 1
    assert f"Document {pdf} : contenu différent de la sauvegarde (empreinte SHA-256)." in result.output
    assert "Vérification échouée : 1 écart(s) avec la sauvegarde." in result.output


def test_a_missing_row_fails_verification(source: Source, tmp_path: Path, target: str) -> None:
    manifest = _backup(source, tmp_path / "backup")
    restored = tmp_path / "restored_uploads"
    backup.restore_backup(tmp_path / "backup", target, restored)
    engine = make_engine(target)
    try:
        with engine.begin() as connection:
            first = connection.scalar(select(LeaseDocument.id).order_by(LeaseDocument.id).limit(1))
            connection.execute(delete(LeaseDocument).where(LeaseDocument.id == first))
        with engine.connect() as connection:
            report = backup.compare(manifest, backup.read_facts(connection), restored)
    finally:
        engine.dispose()
    expected = manifest.tables["lease_documents"]
    assert report.problems == [
        f"Table lease_documents : {expected} ligne(s) sauvegardée(s), {expected - 1} restaurée(s).",
        "Documents référencés par lease_documents.sha256 : différents de la sauvegarde.",
    ]
    assert ("lease_documents", expected, expected - 1) in report.tables


def test_a_count_that_does_not_match_the_manifest_fails_the_command(
    source: Source, tmp_path: Path, target: str
) -> None:
    _backup(source, tmp_path / "backup")
    path = tmp_path / "backup" / backup.MANIFEST
    data = json.loads(path.read_text())
    data["tables"]["users"] += 1  # one user more in the manifest than the dump gives back
    path.write_text(json.dumps(data))
    result = _cli(source, "verify", str(tmp_path / "backup"), "--database-url", target)
    assert result.exit_code == 1
    users = data["tables"]["users"]
    assert f"Table users : {users} ligne(s) sauvegardée(s), {users - 1} restaurée(s)." in result.output


def test_a_damaged_database_file_is_refused_before_restoring(source: Source, tmp_path: Path, target: str) -> None:
    manifest = _backup(source, tmp_path / "backup")
    with (tmp_path / "backup" / manifest.database_file).open("ab") as dump:
        dump.write(b"\0")
    result = _cli(source, "verify", str(tmp_path / "backup"), "--database-url", target)
    assert result.exit_code == 1
    assert f"{manifest.database_file} a été modifié depuis la sauvegarde" in result.output
    engine = make_engine(target)
    try:
        with engine.connect() as connection:
            assert backup.read_facts(connection).tables == {}  # nothing was restored
    finally:
        engine.dispose()


def test_restore_refuses_a_non_empty_folder_and_create_a_used_folder(
    source: Source, tmp_path: Path, target: str
) -> None:
    _backup(source, tmp_path / "backup")
    used = tmp_path / "used"
    used.mkdir()
    (used / "autre.txt").write_text("déjà là")
    result = _cli(source, "restore", str(tmp_path / "backup"), "--database-url", target, "--upload-folder", str(used))
    assert result.exit_code == 1 and "n'est pas vide : restauration refusée" in result.output
    again = _cli(source, "create", str(tmp_path / "backup"))
    assert again.exit_code == 1 and "n'est pas un dossier vide" in again.output
    missing = _cli(source, "verify", str(tmp_path / "used"), "--database-url", target)
    assert missing.exit_code == 1 and "manifest.json est absent" in missing.output


def test_restore_then_the_app_reads_the_documents(source: Source, tmp_path: Path, target: str) -> None:
    _backup(source, tmp_path / "backup")
    restored = tmp_path / "restored_uploads"
    result = _cli(
        source, "restore", str(tmp_path / "backup"), "--database-url", target, "--upload-folder", str(restored)
    )
    assert result.exit_code == 0, result.output
    app = create_app({"PASSERELLE_ENV": "test", "DATABASE_URL": target, "UPLOAD_FOLDER": str(restored)})
    try:
        with app.app_context():
            from passerelle import storage

            documents = db.session.scalars(select(LeaseDocument)).all()
            assert documents and all(storage.read(d.sha256)[:5] == b"%PDF-" for d in documents)
            assert db.session.execute(text("SELECT count(*) FROM users")).scalar_one() > 0
    finally:
        db.engine_for(app).dispose()


def test_the_check_script_passes(source: Source) -> None:
    env = dict(
        os.environ, DATABASE_URL=source.url, UPLOAD_FOLDER=str(source.uploads), BIN=str(Path(sys.executable).parent)
    )
    result = subprocess.run(
        [str(ROOT / "scripts" / "check-backup-restore")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Vérification réussie" in result.stdout
    assert "Contrôle sauvegarde/restauration réussi" in result.stdout
    if ON_POSTGRESQL:  # the scratch database is gone
        engine = make_engine(BASE_URL)
        try:
            with engine.connect() as connection:
                left = connection.scalars(
                    text("SELECT datname FROM pg_database WHERE datname LIKE 'passerelle_restore_check_%'")
                ).all()
        finally:
            engine.dispose()
        assert left == []


def test_no_document_is_stored_in_the_database() -> None:
    """Documents are files named by their hash; a binary column would escape the manifest's document hashes."""
    load_all_models()
    binary = []
    for table in Base.metadata.tables.values():
        for column in table.columns:
            try:
                python_type = column.type.python_type
            except NotImplementedError:
                continue
            if python_type is bytes:
                binary.append(f"{table.name}.{column.name}")
    assert binary == [], "colonne binaire : ajoutez son empreinte par table au manifeste (passerelle/backup.py)"
