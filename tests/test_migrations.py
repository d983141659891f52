"""Migrations and models agree, on the database under test (SQLite or PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from passerelle import load_all_models, migrate
from passerelle.db import Base, make_engine
from tests.conftest import fresh_database_url


@pytest.fixture
def empty_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    for url in fresh_database_url(tmp_path_factory, "migr"):
        engine = make_engine(url)
        yield engine
        engine.dispose()


def _differences(engine: Engine) -> list:  # type: ignore[type-arg]
    load_all_models()
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)


def test_upgrade_from_empty_matches_the_models(empty_engine: Engine) -> None:
    migrate.upgrade(empty_engine)
    assert migrate.current_heads(empty_engine) == migrate.script_heads(empty_engine)
    assert _differences(empty_engine) == []


def test_downgrade_to_base_then_upgrade_again(empty_engine: Engine) -> None:
    migrate.upgrade(empty_engine)
    migrate.downgrade(empty_engine, "base")
    assert set(inspect(empty_engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(empty_engine)
    assert "users" in inspect(empty_engine).get_table_names()


def test_one_head_and_dated_file_names() -> None:
    from pathlib import Path

    import migrations

    files = sorted((Path(migrations.__file__).parent / "versions").glob("*.py"))
    assert files, "no migration found"
    for path in files:
        assert path.name[:8].isdigit() and path.name[8] == "_", f"undated migration file name: {path.name}"
