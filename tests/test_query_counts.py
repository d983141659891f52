"""The pages the load test found heavy read in a fixed number of queries, whatever the volume (no N+1)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from flask import Flask
from sqlalchemy import event

from passerelle.db import db
from tests.conftest import login_as


@contextmanager
def counted(app: Flask) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    engine = db.engine_for(app)
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_public_pages_read_their_parameters_in_one_query(app, client, parameters) -> None:
    for path in ("/proprietaire/questions-frequentes", "/proprietaire/formules", "/proprietaire/garanties"):
        client.get(path)  # caches warmed
        with counted(app) as statements:
            assert client.get(path).status_code == 200
        reads = [s for s in statements if "FROM parameters" in s]
        assert len(reads) <= 2, (path, len(reads))


def test_stock_list_queries_do_not_grow_with_households(app, client, make, parameters) -> None:
    operator = make.organisation()
    arras = make.commune(insee="62041", name="Arras")
    make.available_unit(operator, commune=arras)
    make.available_unit(operator, commune=arras)
    make.household(operator)
    login_as(client, make.staff(operator))
    client.get("/agence/logements-disponibles")
    with counted(app) as few:
        assert client.get("/agence/logements-disponibles").status_code == 200
    for _ in range(6):
        make.household(operator, referred_on=date.today())
    with counted(app) as many:
        page = client.get("/agence/logements-disponibles")
    assert page.status_code == 200 and "7 ménages en attente" in page.get_data(as_text=True)
    assert len(many) == len(few)
