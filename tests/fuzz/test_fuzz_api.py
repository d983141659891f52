"""The JSON API fuzzed from its own OpenAPI document (schemathesis, in process through WSGI).

Every operation of /api/v1/openapi.json gets valid and invalid requests (schemathesis' positive and negative
modes), with a live API token where the operation asks for one. Each answer must not be a server error, must be
one the document lists with the documented body and content type, must refuse invalid input with a 4xx, and must
speak French; a POST that does not succeed must leave no row behind. Every example runs in a rolled-back savepoint.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import given, note
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from passerelle.api_tokens import issue_token
from passerelle.models import OrganisationKind
from passerelle.reference import importers
from tests.factories import Factory
from tests.fuzz import world as fuzz_world_module
from tests.fuzz.checks import ENGLISH, ErrorLog
from tests.fuzz.report import record_case
from tests.fuzz.strategies import FUZZ_SETTINGS, NASTY_STRINGS

OPENAPI_PATH = "/api/v1/openapi.json"

# Every operation of the document, with the token scope it needs (None: public). A new operation fails the
# completeness test below until it is listed here, so that it is fuzzed.
OPERATIONS: dict[str, str | None] = {
    "GET /api/v1/ping": None,
    "GET /api/v1/communes": None,
    "GET /api/v1/indicators": "indicators:read",
    "POST /api/v1/households": "households:write",
    "POST /api/v1/simulations": None,
    "POST /api/v1/rent-revisions": None,
}

# Tables a refused request may still write: the token's last use is recorded on every authenticated request.
MAY_WRITE = frozenset({"api_tokens"})

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


@dataclass
class ApiWorld:
    app: Flask
    schema: Any
    connection: Any
    tokens: dict[str, str]
    territory: str
    baseline: fuzz_world_module.Snapshot

    def example(self) -> AbstractContextManager[None]:
        return fuzz_world_module.rolled_back(self.app, self.connection)


@pytest.fixture(scope="module")
def api_world(app: Flask) -> Iterator[ApiWorld]:
    """An operator and a metropolis with their API tokens, the parameters and one commune of the territory."""
    connection, session, close = fuzz_world_module.open_world(app)
    try:
        importers.import_parameters(session, importers.DEFAULT_PARAMETERS_FILE)
        make = Factory(session)
        commune = make.commune("62041", "Arras")
        territory = make.territory(communes=[commune])
        operator = make.organisation(kind=OrganisationKind.AIS, territory=territory)
        metropolis = make.organisation(kind=OrganisationKind.METROPOLIS, territory=territory)
        tokens = {
            "households:write": issue_token(
                session, organisation=operator, name="SI SIAO", scopes=["households:write"], by=None
            )[1],
            "indicators:read": issue_token(
                session, organisation=metropolis, name="Observatoire", scopes=["indicators:read"], by=None
            )[1],
        }
        session.commit()
        schema = schemathesis.openapi.from_wsgi(OPENAPI_PATH, app)
        yield ApiWorld(
            app=app,
            schema=schema,
            connection=connection,
            tokens=tokens,
            territory=territory.epci_code,
            baseline=fuzz_world_module.snapshot(connection),
        )
    finally:
        close()


def _operations(schema: Any) -> dict[str, Any]:
    found = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        found[f"{operation.method.upper()} {operation.path}"] = operation
    return found


def test_every_api_operation_is_fuzzed(api_world: ApiWorld) -> None:
    documented = set(_operations(api_world.schema))
    assert documented == set(OPERATIONS), (
        f"Opérations documentées non fuzzées : {sorted(documented - set(OPERATIONS))} ; "
        f"fuzzées mais absentes du document : {sorted(set(OPERATIONS) - documented)}"
    )


POSITIVE, NEGATIVE, NASTY = "positive", "negative", "nasty"
# Valid requests, requests that break the document (wrong types, missing fields…), and for the JSON bodies valid
# requests whose fields are swapped for nasty values the document allows or not (« sNaN », 1e308, « 1 234,5 »…).
CASES = [
    (label, mode)
    for label in sorted(OPERATIONS)
    for mode in (POSITIVE, NEGATIVE, NASTY)
    if not (label == "GET /api/v1/ping" and mode != POSITIVE) and not (mode == NASTY and label.startswith("GET"))
]

NASTY_JSON: st.SearchStrategy[Any] = st.one_of(
    st.sampled_from(NASTY_STRINGS),
    st.sampled_from([None, True, False, 0, -1, 10**30, -(10**30), 1e308, -1e308, 0.001, 1.5, [], {}, [1, "a"]]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(),
)


def _nasty(case: Any, properties: list[str]) -> st.SearchStrategy[Any]:
    def swap(changes: dict[str, Any]) -> Any:
        if isinstance(case.body, dict):
            case.body = {**case.body, **changes}
        return case

    return st.dictionaries(st.sampled_from(properties), NASTY_JSON, min_size=1, max_size=4).map(swap)


@pytest.mark.parametrize(("label", "mode"), CASES, ids=[f"{label} {mode}" for label, mode in CASES])
def test_api_operation_resists_bad_input(
    app: Flask, api_world: ApiWorld, error_log: ErrorLog, label: str, mode: str
) -> None:
    operation = _operations(api_world.schema)[label]
    scope = OPERATIONS[label]
    headers = {"Authorization": f"Bearer {api_world.tokens[scope]}"} if scope else None
    generation = schemathesis.GenerationMode.NEGATIVE if mode == NEGATIVE else schemathesis.GenerationMode.POSITIVE
    strategies = [operation.as_strategy(generation_mode=generation, headers=headers)]
    if label == "GET /api/v1/indicators":
        # Also the territory the token is for, so that some requests get past the territory check.
        strategies.append(
            operation.as_strategy(generation_mode=generation, headers=headers, query={"territory": api_world.territory})
        )
    strategy = st.one_of(strategies)
    checks = CHECKS
    if mode == NASTY:
        properties = sorted(_body_properties(api_world.schema, operation))
        strategy = strategy.flatmap(lambda case: _nasty(case, properties))
        checks = [check for check in CHECKS if check is not negative_data_rejection]  # may well be valid data
    case_name = f"{label} ({mode})"

    @FUZZ_SETTINGS
    @given(case=strategy)
    def requests(case: Any) -> None:
        note(f"{case_name} : {case.method} {case.formatted_path} query={case.query!r:.500} body={case.body!r:.2000}")
        error_log.records.clear()
        with api_world.example():
            response = case.call()
            record_case(case_name, response.status_code)
            problems = []
            try:
                case.validate_response(response, checks=checks)
            except Exception as failure:  # schemathesis reports its findings as an exception group
                problems.append(_describe(failure)[:4000])
            if error_log.records:
                problems.append("erreur journalisée : " + "; ".join(r.getMessage() for r in error_log.records))
            english = ENGLISH.search(_messages(response))
            if english:
                problems.append(f"message non traduit ou trace : {english.group(0)!r}")
            if case.method == "POST" and response.status_code >= 300:
                changed = fuzz_world_module.diff(api_world.baseline, fuzz_world_module.snapshot(api_world.connection))
                changed = {table: change for table, change in changed.items() if table not in MAY_WRITE}
                if changed:
                    problems.append(f"refusé ({response.status_code}) mais la base a changé : {changed}")
        assert not problems, f"{case_name} : " + " | ".join(problems)

    requests()


def _messages(response: Any) -> str:
    """The texts of a JSON error (« error », « message », per-field « errors », « problems »)."""
    try:
        body = json.loads(response.content or b"null")
    except ValueError:
        return response.text if hasattr(response, "text") else ""
    if not isinstance(body, dict) or response.status_code < 400:
        return ""
    return json.dumps(body, ensure_ascii=False)


def _describe(failure: BaseException) -> str:
    parts = [str(failure)]
    for inner in getattr(failure, "exceptions", ()):
        parts.append(f"{type(inner).__name__}: {inner}")
    return "\n".join(parts)


def _body_properties(schema: Any, operation: Any) -> set[str]:
    """The JSON body's field names, from the document (its schema is a $ref to components)."""
    document = schema.raw_schema
    body = operation.definition.raw["requestBody"]["content"]["application/json"]["schema"]
    while "$ref" in body:
        body = document["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    return set(body.get("properties", {}))
