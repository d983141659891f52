"""Every form of the app fed with bad input: never a 500, nothing half saved, every message in French.

Each POST route is listed below with the actor allowed to use it and the page that shows its form (or excluded
with the reason). The test GETs that page, reads the form's fields from the HTML, then hypothesis fills them with
kept, plausible, broken, missing and extra values. CSRF is switched off (``WTF_CSRF_ENABLED`` is False for the
test app): the CSRF check is tested in tests/test_auth.py, here every example must reach the form's own checks.
Every example runs in a savepoint of the world's transaction, rolled back afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from hypothesis import given, note
from werkzeug.exceptions import MethodNotAllowed, NotFound

from agency_backoffice.models import DepositOutcome, GuaranteeKind, LeaseSignatureMethod
from landlord_portal.declaration_views import STEPS
from tests import test_permissions as matrix
from tests.fuzz import world as fuzz_world_module
from tests.fuzz.checks import ENGLISH, ErrorLog
from tests.fuzz.html_forms import FormField, HtmlForm, post_forms
from tests.fuzz.report import record_case
from tests.fuzz.strategies import FIRST_OPTION, FUZZ_SETTINGS, form_data
from tests.fuzz.world import FuzzWorld
from tests.stripe_support import localstripe_config

Values = Callable[[FuzzWorld], dict[str, Any]]


def _records(**names: str) -> Values:
    """URL values taken from the world's records: ``_records(lease_id="draft_lease")``."""
    return lambda world: {key: world.records[record] for key, record in names.items()}


@dataclass(frozen=True)
class WorldString:
    """In a seed: a value of this world (``world.strings[key]``), such as a commune's INSEE code."""

    key: str


def _radio(name: str, values: list[str]) -> list[FormField]:
    return [FormField(name=name, kind="radio", value=value) for value in values]


@dataclass(frozen=True)
class FormRoute:
    """A POST route, who may use it, and the page that shows its form."""

    endpoint: str
    actor: str
    page: str
    page_values: Values | None = None  # default: the permission matrix's URL values of the page
    query: str = ""
    variant: str = ""
    form_index: int = 0  # when the page has several forms for the route
    # Fields declared here when no page of the world shows the form (its record is in another state).
    fields: tuple[FormField, ...] = ()
    # The route answers 200 when it succeeds (a result page rather than a redirect).
    success_200: bool = False
    # Tables a refused submission may still write, and why (e.g. failed login attempts are counted).
    may_write: frozenset[str] = frozenset()
    # A sensible submission (with what the page shows) that examples change a field or two of.
    seed: dict[str, str | WorldString] = field(default_factory=dict)
    # Run in each example before the POST (inside its savepoint); returns more URL values (a payment token…).
    prepare: Callable[[FuzzWorld, FlaskClient], dict[str, Any]] | None = None

    @property
    def case(self) -> str:
        return f"{self.endpoint}[{self.variant}]" if self.variant else self.endpoint


R = FormRoute
STAFF, LANDLORD, ANONYMOUS = "staff_op1", "landlord_a", "anonymous"
DRAFT_UNIT = _records(unit_id="draft_unit")

FORM_ROUTES: tuple[FormRoute, ...] = (
    # --- accounts ---
    R("auth.login", ANONYMOUS, "auth.login", may_write=frozenset({"login_attempts"})),
    R("auth.logout", LANDLORD, "public.index"),
    R(
        "auth.signup",
        ANONYMOUS,
        "auth.signup",
        seed={
            "full_name": "Nouvelle Personne",
            "email": "nouvelle.personne@exemple.fr",
            "password": "cheval-agrafe-batterie-42",
            "confirm": "cheval-agrafe-batterie-42",
            "accept_terms": "y",
        },
    ),
    R("auth.password_reset_request", ANONYMOUS, "auth.password_reset_request", success_200=True),
    R(
        "auth.password_reset",
        ANONYMOUS,
        "auth.password_reset",
        page_values=lambda w: {"token": w.strings["reset_token"]},
    ),
    R("auth.account", LANDLORD, "auth.account"),
    R("auth.password_change", LANDLORD, "auth.password_change"),
    # --- landlord portal ---
    R(
        "landlord_portal.callback",
        ANONYMOUS,
        "landlord_portal.callback",
        seed={
            "name": "Camille Exemple",
            "phone": "06 12 34 56 78",
            "email": "camille@exemple.fr",
            "commune": WorldString("commune"),
            "mode": "mandate",
            "consent": "y",
        },
    ),
    R("landlord_portal.simulator", ANONYMOUS, "landlord_portal.simulator", success_200=True),
    R("landlord_portal.rent_revision", ANONYMOUS, "landlord_portal.rent_revision", success_200=True),
    R(
        "landlord_portal.profile",
        LANDLORD,
        "landlord_portal.profile",
        seed={
            "kind": "person",
            "address": "12 rue des Lilas",
            "postal_code": "69003",
            "city": "Lyon",
            "preferred_contact": "email",
        },
    ),
    R("landlord_portal.bank_details", LANDLORD, "landlord_portal.bank_details"),
    R("landlord_portal.unit_new", LANDLORD, "landlord_portal.unit_new"),
    *(
        R(
            "landlord_portal.unit_step",
            LANDLORD,
            "landlord_portal.unit_step",
            page_values=lambda w, slug=step.slug: {"unit_id": w.records["draft_unit"], "step": slug},
            variant=step.slug,
        )
        for step in STEPS
    ),
    R(
        "landlord_portal.unit_document_delete",
        LANDLORD,
        "landlord_portal.unit_step",
        page_values=lambda w: {"unit_id": w.records["draft_unit"], "step": "documents"},
    ),
    R("landlord_portal.unit_submit", LANDLORD, "landlord_portal.unit_detail", page_values=DRAFT_UNIT),
    R("landlord_portal.incident_new", LANDLORD, "landlord_portal.incident_new"),
    R(
        "landlord_portal.agreement_accept",
        LANDLORD,
        "landlord_portal.agreement_accept",
        page_values=_records(agreement_id="sent_agreement"),
    ),
    # --- capture ---
    R("capture.case_stage", STAFF, "capture.case_detail"),
    R("capture.case_activity", STAFF, "capture.case_detail"),
    R("capture.case_assign", STAFF, "capture.case_detail"),
    R("capture.case_assessment", STAFF, "capture.case_assessment"),
    R("capture.case_agreement", STAFF, "capture.case_agreement"),
    R("capture.agreement_sign", STAFF, "capture.case_agreement", page_values=_records(case_id="sent_case")),
    R(
        "capture.campaign_new",
        STAFF,
        "capture.campaign_new",
        seed={
            "name": "Courriers 2027",
            "channel": "letters",
            "ends_on": "2027-06-30",
            "cost": "1 200,50",
            "communes": FIRST_OPTION,
        },
    ),
    R("capture.campaign_detail", STAFF, "capture.campaign_detail"),
    R("capture.campaign_import", STAFF, "capture.campaign_import"),
    R("metro.targets", "metro", "metro.targets", seed={"total": "40", "mode_mandate": "20", "level_loc2": "10"}),
    # --- agency: households, matching, proposals ---
    R(
        "agency_backoffice.household_new",
        STAFF,
        "agency_backoffice.household_new",
        seed={
            "siao_reference": "SIAO-FUZZ-1",
            "contact_name": "Camille Exemple",
            "situation": "street",
            "members-0-kind": "adult",
            "members-0-birth_year": "1985",
            "resource_wages": "900",
        },
    ),
    R("agency_backoffice.household_edit", STAFF, "agency_backoffice.household_edit"),
    R("agency_backoffice.household_park", STAFF, "agency_backoffice.household_detail"),
    R("agency_backoffice.household_close", STAFF, "agency_backoffice.household_detail"),
    R(
        "agency_backoffice.household_unpark",
        STAFF,
        "agency_backoffice.household_detail",
        page_values=_records(household_id="parked_household"),
    ),
    R("agency_backoffice.households_import", STAFF, "agency_backoffice.households_import"),
    R("agency_backoffice.incident_detail", STAFF, "agency_backoffice.incident_detail"),
    R("agency_backoffice.matching_settings", STAFF, "agency_backoffice.matching_settings"),
    R("agency_backoffice.proposal_create", STAFF, "agency_backoffice.matching_unit"),
    R("agency_backoffice.proposal_step", STAFF, "agency_backoffice.proposal_detail"),
    R("agency_backoffice.proposal_decline", STAFF, "agency_backoffice.proposal_detail"),
    R("agency_backoffice.proposal_withdraw", STAFF, "agency_backoffice.proposal_detail"),
    # --- agency: leases, guarantees, reviews ---
    R(
        "agency_backoffice.lease_new",
        STAFF,
        "agency_backoffice.lease_new",
        page_values=_records(proposal_id="ready_proposal"),
    ),
    R(
        "agency_backoffice.lease_edit",
        STAFF,
        "agency_backoffice.lease_edit",
        page_values=_records(lease_id="draft_lease"),
    ),
    R(
        "agency_backoffice.lease_sign",
        STAFF,
        "agency_backoffice.lease_detail",
        page_values=_records(lease_id="draft_lease"),
    ),
    R(
        "agency_backoffice.lease_activate",
        STAFF,
        "agency_backoffice.lease_detail",
        page_values=_records(lease_id="signed_lease"),
    ),
    R("agency_backoffice.lease_end", STAFF, "agency_backoffice.lease_detail", variant="fin"),
    R(
        "agency_backoffice.lease_end",
        STAFF,
        "agency_backoffice.lease_detail",
        page_values=_records(lease_id="signed_lease"),
        variant="annulation",
    ),
    R("agency_backoffice.lease_settings", STAFF, "agency_backoffice.lease_settings"),
    *(
        R(
            "agency_backoffice.guarantee_new",
            STAFF,
            "agency_backoffice.guarantee_new",
            query=f"type={kind.value}",
            variant=kind.value,
        )
        for kind in GuaranteeKind
    ),
    R("agency_backoffice.guarantee_remove", STAFF, "agency_backoffice.lease_detail"),
    R(
        "agency_backoffice.review_edit",
        STAFF,
        "agency_backoffice.review_edit",
        seed={
            "rent_paid_regularly": "yes",
            "insurance_ok": "yes",
            "occupancy_ok": "yes",
            "goals_progress": "met",
            "decision": "renew",
            "reasons": "Loyer payé, logement bien tenu.",
        },
    ),
    R(
        "agency_backoffice.lease_slide",
        STAFF,
        "agency_backoffice.lease_detail",
        page_values=_records(lease_id="glissant"),
        # The slide form shows once a review decided the slide and its date has come.
        fields=(
            *_radio("deposit_outcome", [o.value for o in DepositOutcome]),
            FormField(name="deposit_note", kind="textarea"),
            FormField(name="signatories", kind="text"),
            *_radio("signature_method", [m.value for m in LeaseSignatureMethod]),
        ),
    ),
    # --- agency: rents, arrears, revisions, statements ---
    R("agency_backoffice.rent_settings", STAFF, "agency_backoffice.rent_settings"),
    R("agency_backoffice.ledger_payment", STAFF, "agency_backoffice.lease_account"),
    R("agency_backoffice.ledger_refund", STAFF, "agency_backoffice.lease_account"),
    R("agency_backoffice.ledger_correction", STAFF, "agency_backoffice.lease_account"),
    R("agency_backoffice.ledger_benefit", STAFF, "agency_backoffice.lease_account"),
    R("agency_backoffice.arrears_task_done", STAFF, "agency_backoffice.arrears_case"),
    R("agency_backoffice.arrears_task_letter", STAFF, "agency_backoffice.arrears_case"),
    R(
        "agency_backoffice.arrears_plan_create",
        STAFF,
        "agency_backoffice.arrears_case",
        # The world's arrears case already has its plan: the form is hidden, the route still answers.
        fields=(
            FormField(name="plan-total", kind="text", inputmode="decimal"),
            FormField(name="plan-months", kind="number"),
            FormField(name="plan-first_due_on", kind="date"),
        ),
    ),
    R("agency_backoffice.revision_apply", STAFF, "agency_backoffice.revision_detail"),
    R("agency_backoffice.revision_cancel", STAFF, "agency_backoffice.revision_detail"),
    R(
        "agency_backoffice.revision_recompute",
        STAFF,
        "agency_backoffice.revision_detail",
        page_values=_records(revision_id="waiting_revision"),
        success_200=True,
    ),
    R("agency_backoffice.statements_issue", STAFF, "agency_backoffice.statements"),
    R(
        "agency_backoffice.payout_create",
        STAFF,
        "agency_backoffice.payouts",
        # The world's statements are already paid out: no batch to create, so no form on the page.
        fields=(FormField(name="month", kind="hidden"), FormField(name="execution_date", kind="date")),
    ),
)


def _payment_link(world: FuzzWorld, client: FlaskClient) -> dict[str, Any]:
    """A payment link for the bail glissant's unpaid month (Stripe keys set by the ``stripe_on`` fixture)."""
    from datetime import UTC, datetime

    from agency_backoffice.models import Lease
    from agency_backoffice.operations import payments as payment_ops
    from passerelle.db import db

    with world.app.test_request_context():
        lease, staff = db.session.get(Lease, world.records["glissant"]), world.actor(STAFF)
        assert lease is not None and staff is not None
        _link, token = payment_ops.create_payment_link(db.session, lease, by=staff, now=datetime.now(UTC))
        db.session.commit()
    return {"token": token}


def _started_payment(world: FuzzWorld, client: FlaskClient) -> dict[str, Any]:
    """A payment link whose payer has confirmed the amount: a PaymentIntent waits for the card."""
    values = _payment_link(world, client)
    with world.app.test_request_context():
        started = client.post(url_for("payments.pay_start", **values))
    assert started.status_code == 200, f"pay_start : {started.status_code}"
    return values


# Online payment: the routes exist only with Stripe keys; a local Stripe API (localstripe) answers.
PAYMENT_ROUTES: tuple[FormRoute, ...] = (
    R("agency_backoffice.payment_link_create", STAFF, "agency_backoffice.payment_links", success_200=True),
    R("payments.pay_start", ANONYMOUS, "payments.pay", prepare=_payment_link, success_200=True),
    R(
        "payments.pay_card",
        ANONYMOUS,
        "payments.pay",
        prepare=_started_payment,
        success_200=True,
        # The card form comes in pay_start's answer, not on a page of its own.
        fields=(FormField(name="card_token", kind="hidden", value="tok_visa"),),
    ),
)

# POST routes not fuzzed here, and why.
EXCLUDED: dict[str, str] = {
    "agency_api.household_create": "API JSON : fuzzée par schemathesis (tests/fuzz/test_fuzz_api.py)",
    "landlord_api.simulation_create": "API JSON : fuzzée par schemathesis (tests/fuzz/test_fuzz_api.py)",
    "rent_revision_api.rent_revision_create": "API JSON : fuzzée par schemathesis (tests/fuzz/test_fuzz_api.py)",
    "payments.stripe_webhook": "JSON signé par Stripe, pas un formulaire : tests/test_stripe_webhook.py vérifie "
    "signatures, rejeux et contenus invalides",
}


def _post_endpoints(app: Flask) -> set[str]:
    return {endpoint for endpoint, method, _path in matrix._routes(app) if method == "POST"}


def test_every_post_route_is_fuzzed_or_excluded_with_a_reason(app: Flask) -> None:
    fuzzed = {route.endpoint for route in (*FORM_ROUTES, *PAYMENT_ROUTES)}
    posts = _post_endpoints(app)
    missing = sorted(posts - fuzzed - set(EXCLUDED))
    assert not missing, "Routes POST ni fuzzées ni exclues (tests/fuzz/test_fuzz_forms.py) :\n" + "\n".join(missing)
    stale = sorted((fuzzed | set(EXCLUDED)) - posts)
    assert not stale, f"Routes fuzzées ou exclues qui n'existent plus : {stale}"
    assert not fuzzed & set(EXCLUDED), "Une route est à la fois fuzzée et exclue."
    assert all(reason.strip() for reason in EXCLUDED.values())


def test_the_completeness_check_sees_a_new_post_route(app: Flask) -> None:
    """The check above really fails when a POST route is added without being fuzzed or excluded."""
    fuzzed = {route.endpoint for route in (*FORM_ROUTES, *PAYMENT_ROUTES)} | set(EXCLUDED)
    assert sorted({*_post_endpoints(app), "landlord_portal.secret_form"} - fuzzed) == ["landlord_portal.secret_form"]


# --- the fuzzing ----------------------------------------------------------------------------------------------


@dataclass
class Target:
    """A route ready to fuzz: its form (fields and action) and the world's rows before any example."""

    route: FormRoute
    form: HtmlForm
    baseline: fuzz_world_module.Snapshot = field(default_factory=dict)
    seed: dict[str, str] = field(default_factory=dict)


@pytest.fixture(scope="module")
def targets(fuzz_world: FuzzWorld) -> dict[str, Target]:
    """Filled lazily: each route's page is read once, in a savepoint (reading a household file is audited)."""
    return {}


def _target(world: FuzzWorld, targets: dict[str, Target], route: FormRoute) -> Target:
    if route.case in targets:
        return targets[route.case]
    with world.example():
        baseline = fuzz_world_module.snapshot(world.connection)
        client = world.client(route.actor)
        values = _url_values(world, route, client)
        with world.app.test_request_context():
            page_url = url_for(route.page, **values) + (f"?{route.query}" if route.query else "")
            action = url_for(route.endpoint, **values) if route.fields else ""
        if route.fields:
            form = HtmlForm(action=action, enctype="application/x-www-form-urlencoded", fields=list(route.fields))
        else:
            response = client.get(page_url)
            assert response.status_code == 200, f"{route.case} : la page {page_url} répond {response.status_code}"
            forms = [
                form
                for form in post_forms(response.get_data(as_text=True), page_url)
                if _endpoint_of(world.app, form.action) == route.endpoint
            ]
            assert len(forms) > route.form_index, f"{route.case} : aucun formulaire pour la route sur {page_url}"
            form = forms[route.form_index]
    seed = {name: world.strings[v.key] if isinstance(v, WorldString) else v for name, v in route.seed.items()}
    targets[route.case] = Target(route=route, form=form, baseline=baseline, seed=seed)
    return targets[route.case]


def _url_values(world: FuzzWorld, route: FormRoute, client: FlaskClient) -> dict[str, Any]:
    values = route.page_values(world) if route.page_values else world.base.url_values(route.page, route.actor)
    if route.prepare is not None:
        values = {**values, **route.prepare(world, client)}
    return values


def _endpoint_of(app: Flask, action: str) -> str | None:
    try:
        endpoint, _ = app.url_map.bind("localhost").match(urlsplit(action).path, method="POST")
    except (NotFound, MethodNotAllowed):
        return None
    return str(endpoint)


def _text(response: Any) -> str:
    return response.get_data(as_text=True) if response.mimetype in ("text/html", "application/json") else ""


def _refused(route: FormRoute, status: int, body: str) -> bool:
    if status >= 400:
        return True
    if status != 200:
        return False
    title = re.search(r"<title>(.*?)</title>", body, re.S)
    return not route.success_200 or bool(title and "Erreur" in title.group(1))


@pytest.mark.parametrize("route", FORM_ROUTES, ids=lambda route: route.case)
def test_form_resists_bad_input(
    fuzz_world: FuzzWorld, targets: dict[str, Target], error_log: ErrorLog, route: FormRoute
) -> None:
    _fuzz(fuzz_world, _target(fuzz_world, targets, route), error_log)


@pytest.fixture
def stripe_on(app: Flask, localstripe_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Stripe keys for these tests only (the app is shared by the session), against localstripe."""
    for key, value in localstripe_config(localstripe_url).items():
        monkeypatch.setitem(app.config, key, value)
    monkeypatch.delitem(app.extensions, "passerelle.stripe", raising=False)


@pytest.mark.parametrize("route", PAYMENT_ROUTES, ids=lambda route: route.case)
def test_payment_form_resists_bad_input(
    fuzz_world: FuzzWorld, targets: dict[str, Target], error_log: ErrorLog, stripe_on: None, route: FormRoute
) -> None:
    _fuzz(fuzz_world, _target(fuzz_world, targets, route), error_log)


def _fuzz(world: FuzzWorld, target: Target, error_log: ErrorLog) -> None:
    """Hypothesis fills the route's form again and again; each submission is checked by ``_submit``."""

    @FUZZ_SETTINGS
    @given(submitted=form_data(target.form, target.seed))
    def submissions(submitted: dict[str, Any]) -> None:
        note(f"{target.route.case} : {submitted!r:.3000}")
        _submit(world, target, error_log, submitted)

    submissions()


def _submit(world: FuzzWorld, target: Target, error_log: ErrorLog, submitted: dict[str, Any]) -> None:
    route = target.route
    error_log.records.clear()
    with world.example():
        client = world.client(route.actor)
        action, baseline = target.form.action, target.baseline
        if route.prepare is not None:  # a fresh token in each example: the action and the rows change
            with world.app.test_request_context():
                action = url_for(route.endpoint, **_url_values(world, route, client))
            baseline = fuzz_world_module.snapshot(world.connection)
        response = client.post(action, data=submitted)
        status, body = response.status_code, _text(response)
        record_case(route.case, status)
        problems = []
        if status >= 500 or error_log.records:
            logged = "; ".join(record.getMessage() for record in error_log.records)
            problems.append(f"réponse {status} {logged}".strip())
        english = ENGLISH.search(body)
        if english:
            problems.append(f"message non traduit ou trace : {english.group(0)!r}")
        if _refused(route, status, body):
            changed = fuzz_world_module.diff(baseline, fuzz_world_module.snapshot(world.connection))
            changed = {table: change for table, change in changed.items() if table not in route.may_write}
            if changed:
                problems.append(f"refusé ({status}) mais la base a changé : {changed}")
        elif status in (301, 302, 303) and not problems:
            location = response.headers.get("Location", "")
            if location.startswith("/") or urlsplit(location).netloc in ("", "localhost"):
                followed = client.get(location)
                if followed.status_code >= 500 or error_log.records:
                    problems.append(f"la page suivante {location} répond {followed.status_code}")
                english = ENGLISH.search(_text(followed))
                if english:
                    problems.append(f"message non traduit ou trace sur {location} : {english.group(0)!r}")
                followed.close()
        response.close()
    assert not problems, f"{route.case} POST {action} : " + " | ".join(problems)
