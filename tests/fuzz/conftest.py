"""Fixtures of the fuzzers: one world per test module, one savepoint per generated example."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from flask import Flask

from passerelle.extensions import limiter
from passerelle.reference import importers
from tests.factories import Factory
from tests.fuzz.checks import ErrorLog
from tests.fuzz.world import FuzzWorld, add_fuzz_records, build_matrix_world, open_world, warm_housing_benefit_cache


@pytest.fixture(scope="module", autouse=True)
def no_rate_limits() -> Iterator[None]:
    """Rate limits would turn most examples into 429 answers: the fuzzers test input handling, not throttling
    (tests/test_simulator_api.py and tests/test_auth.py test the limits)."""
    was_enabled = limiter.enabled
    limiter.enabled = False
    try:
        yield
    finally:
        limiter.enabled = was_enabled


@pytest.fixture(scope="module")
def fuzz_world(app: Flask) -> Iterator[FuzzWorld]:
    """The permission matrix's world, built once for the module inside a transaction rolled back at the end.

    Each example runs in a savepoint of that transaction (``world.example()``), so hypothesis can call the test
    body many times without rebuilding anything, and every example sees the same records.
    """
    connection, session, close = open_world(app)
    try:
        report = importers.import_parameters(session, importers.DEFAULT_PARAMETERS_FILE)
        assert report.imported, report.summary()
        make = Factory(session)
        base = build_matrix_world(app, make)
        extra, strings = add_fuzz_records(app, make, base)
        session.commit()
        world = FuzzWorld(app=app, connection=connection, base=base, extra=extra, strings=strings)
        warm_housing_benefit_cache(world)
        yield world
    finally:
        close()


@pytest.fixture(scope="module")
def error_log(app: Flask) -> Iterator[ErrorLog]:
    handler = ErrorLog()
    root = logging.getLogger()
    root.addHandler(handler)  # the app's logger propagates to the root logger
    try:
        yield handler
    finally:
        root.removeHandler(handler)
