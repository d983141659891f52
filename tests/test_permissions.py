"""The role × route matrix: every route of the app, every kind of visitor, the expected answer.

A route added without an expectation here makes this test fail; no route may ever answer 500.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient

from agency_backoffice.models import ArrearsTaskKind, LeaseDocumentKind, PaymentMethod, RentRevision, RevisionStatus
from agency_backoffice.operations import arrears as arrears_ops
from agency_backoffice.operations import arrears_letters, ledger_documents, payouts, repayment_plans
from agency_backoffice.operations import ledger as ledger_ops
from agency_backoffice.operations import statements as statement_ops
from agency_backoffice.queries import arrears as arrears_queries
from agency_backoffice.rules.arrears import arrears_amount
from agency_backoffice.rules.ledger import month_start, next_month
from capture.models import IMLMode
from passerelle.models import OrganisationKind, Role, User
from passerelle.models.jobs import SchedulerHeartbeat
from passerelle.security import ROLE_HOME
from tests.conftest import login_as
from tests.factories import Factory

ACTORS = ("anonymous", "landlord_a", "landlord_b", "staff_op1", "staff_op2", "metro", "admin")
IGNORED_METHODS = {"HEAD", "OPTIONS"}

# Expected answers: an HTTP status, "login" (redirect to the login page) or "home" (redirect to the
# actor's own home page), or "redirect:<path prefix>".
OK, LOGIN, HOME, FORBIDDEN, NOT_FOUND = 200, "login", "home", 403, 404


def expect(
    *,
    anonymous: Any,
    landlord: Any,
    staff: Any,
    metro: Any,
    admin: Any,
    landlord_b: Any = None,
    staff_op2: Any = None,
) -> dict[str, Any]:
    return {
        "anonymous": anonymous,
        "landlord_a": landlord,
        "landlord_b": landlord if landlord_b is None else landlord_b,
        "staff_op1": staff,
        "staff_op2": staff if staff_op2 is None else staff_op2,
        "metro": metro,
        "admin": admin,
    }


def everyone(answer: Any) -> dict[str, Any]:
    return expect(anonymous=answer, landlord=answer, staff=answer, metro=answer, admin=answer)


def only(role: Role) -> dict[str, Any]:
    """A page of one role: anonymous visitors are sent to log in, other roles are refused."""
    answers = expect(anonymous=LOGIN, landlord=FORBIDDEN, staff=FORBIDDEN, metro=FORBIDDEN, admin=FORBIDDEN)
    keys = {
        Role.LANDLORD: ("landlord_a", "landlord_b"),
        Role.AGENCY_STAFF: ("staff_op1", "staff_op2"),
        Role.METRO: ("metro",),
        Role.ADMIN: ("admin",),
    }[role]
    return {actor: (OK if actor in keys else answer) for actor, answer in answers.items()}


def landlord_a_only(answer: Any = OK) -> dict[str, Any]:
    """A record of landlord A: landlord B gets 404 (it does not exist for them), other roles 403."""
    return expect(
        anonymous=LOGIN,
        landlord=answer,
        landlord_b=NOT_FOUND,
        staff=FORBIDDEN,
        metro=FORBIDDEN,
        admin=FORBIDDEN,
    )


def operator_1_only(answer: Any = OK) -> dict[str, Any]:
    """A record of operator 1: operator 2's staff get 404, other roles 403."""
    return expect(
        anonymous=LOGIN,
        landlord=FORBIDDEN,
        staff=answer,
        staff_op2=NOT_FOUND,
        metro=FORBIDDEN,
        admin=FORBIDDEN,
    )


ANONYMOUS_ONLY = expect(anonymous=OK, landlord=HOME, staff=HOME, metro=HOME, admin=HOME)
LOGGED_IN = expect(anonymous=LOGIN, landlord=OK, staff=OK, metro=OK, admin=OK)

# (endpoint, method) -> expected answer per actor. POSTs are sent empty (CSRF checked elsewhere).
EXPECTATIONS: dict[tuple[str, str], dict[str, Any]] = {
    ("static", "GET"): everyone(OK),
    ("public.index", "GET"): everyone(OK),
    ("api.ping", "GET"): everyone(OK),
    ("api.openapi", "GET"): everyone(OK),
    ("api.communes", "GET"): everyone(422),  # no query: a French message, never a 500
    ("public.terms", "GET"): everyone(OK),
    ("public.privacy", "GET"): everyone(OK),
    ("public.accessibility", "GET"): everyone(OK),
    ("health.livez", "GET"): everyone(OK),
    # The world holds a fresh heartbeat of an active scheduler (tests/test_health.py covers every 503).
    ("health.healthz", "GET"): everyone(OK),
    ("auth.login", "GET"): ANONYMOUS_ONLY,
    ("auth.login", "POST"): ANONYMOUS_ONLY,  # empty form: re-displayed with errors
    ("auth.logout", "POST"): everyone("redirect:/"),
    ("auth.signup", "GET"): ANONYMOUS_ONLY,
    ("auth.signup", "POST"): ANONYMOUS_ONLY,
    ("auth.signup_done", "GET"): everyone(OK),
    ("auth.verify_email", "GET"): everyone(LOGIN),  # invalid token: back to login with a message
    ("auth.password_reset_request", "GET"): everyone(OK),
    ("auth.password_reset_request", "POST"): everyone(OK),
    ("auth.password_reset", "GET"): everyone("redirect:/mot-de-passe-oublie"),
    ("auth.password_reset", "POST"): everyone("redirect:/mot-de-passe-oublie"),
    ("auth.account", "GET"): LOGGED_IN,
    # An empty POST carries no field: the form keeps the stored values and saves them unchanged.
    ("auth.account", "POST"): expect(
        anonymous=LOGIN,
        landlord="redirect:/compte",
        staff="redirect:/compte",
        metro="redirect:/compte",
        admin="redirect:/compte",
    ),
    ("auth.password_change", "GET"): LOGGED_IN,
    ("auth.password_change", "POST"): LOGGED_IN,
    ("admin.home", "GET"): only(Role.ADMIN),
    ("admin.users", "GET"): only(Role.ADMIN),
    ("admin.organisations", "GET"): only(Role.ADMIN),
    ("admin.reference_data", "GET"): only(Role.ADMIN),
    ("landlord_portal.about", "GET"): everyone(OK),
    ("landlord_portal.modes", "GET"): everyone(OK),
    ("landlord_portal.guarantees", "GET"): everyone(OK),
    ("landlord_portal.commitment", "GET"): everyone(OK),
    ("landlord_portal.faq", "GET"): everyone(OK),
    ("landlord_portal.callback", "GET"): everyone(OK),
    ("landlord_portal.callback", "POST"): everyone(OK),  # empty form: re-displayed with French errors
    ("landlord_portal.callback_done", "GET"): everyone(OK),
    ("landlord_portal.simulator", "GET"): everyone(OK),
    ("landlord_portal.simulator", "POST"): everyone(OK),  # empty form re-displayed with French errors
    ("landlord_portal.simulation_result", "GET"): everyone(NOT_FOUND),  # not the visitor's simulation
    ("landlord_api.simulation_create", "POST"): everyone(400),  # empty body: not a JSON object
    ("landlord_portal.home", "GET"): only(Role.LANDLORD),
    ("landlord_portal.profile", "GET"): only(Role.LANDLORD),
    ("landlord_portal.profile", "POST"): only(Role.LANDLORD),  # empty form: errors
    ("landlord_portal.unit_new", "GET"): only(Role.LANDLORD),
    # Creating a draft is a POST: each landlord gets their own draft and goes to its first step.
    ("landlord_portal.unit_new", "POST"): {
        **only(Role.LANDLORD),
        "landlord_a": "prefix:/proprietaire/logements/",
        "landlord_b": "prefix:/proprietaire/logements/",
    },
    # Landlord A's unit is already submitted: its steps send back to the unit page.
    ("landlord_portal.unit_step", "GET"): landlord_a_only("prefix:/proprietaire/logements/"),
    ("landlord_portal.unit_step", "POST"): landlord_a_only("prefix:/proprietaire/logements/"),
    ("landlord_portal.unit_detail", "GET"): landlord_a_only(),
    ("landlord_portal.unit_submit", "POST"): landlord_a_only("prefix:/proprietaire/logements/"),
    ("landlord_portal.unit_document", "GET"): landlord_a_only(),
    ("landlord_portal.unit_document_delete", "POST"): landlord_a_only("prefix:/proprietaire/logements/"),
    ("landlord_portal.incident_new", "GET"): landlord_a_only(),
    ("landlord_portal.incident_new", "POST"): landlord_a_only(),  # empty form: errors
    ("landlord_portal.incident_detail", "GET"): landlord_a_only(),
    ("capture.board", "GET"): only(Role.AGENCY_STAFF),
    ("capture.case_detail", "GET"): operator_1_only(),
    # Empty POSTs: the form is shown again with its errors (422).
    ("capture.case_stage", "POST"): operator_1_only(422),
    ("capture.case_activity", "POST"): operator_1_only(422),
    ("capture.case_assign", "POST"): operator_1_only("prefix:/captation/dossiers/"),
    ("capture.case_document", "GET"): operator_1_only(),
    ("capture.case_assessment", "GET"): operator_1_only(),
    ("capture.case_assessment", "POST"): operator_1_only(422),
    ("capture.case_agreement", "GET"): operator_1_only(),
    ("capture.case_agreement", "POST"): operator_1_only(422),
    ("capture.agreement_document", "GET"): operator_1_only(),
    ("capture.agreement_sign", "POST"): operator_1_only(422),
    ("landlord_portal.agreement_accept", "GET"): landlord_a_only(),
    ("landlord_portal.agreement_accept", "POST"): landlord_a_only(422),
    ("landlord_portal.agreement_document", "GET"): landlord_a_only(),
    ("landlord_portal.lease_document", "GET"): landlord_a_only(),
    ("capture.campaigns", "GET"): only(Role.AGENCY_STAFF),
    ("capture.campaign_new", "GET"): only(Role.AGENCY_STAFF),
    ("capture.campaign_new", "POST"): only(Role.AGENCY_STAFF),  # empty form: errors
    ("capture.campaign_detail", "GET"): operator_1_only(),
    ("capture.campaign_detail", "POST"): operator_1_only(),  # empty form: errors
    ("capture.campaign_import", "GET"): operator_1_only(),
    ("capture.campaign_import", "POST"): operator_1_only(),  # no file: errors
    ("capture.campaign_letters", "GET"): operator_1_only(),  # the PDF: the campaign has one lead
    ("agency_backoffice.incidents", "GET"): only(Role.AGENCY_STAFF),
    ("agency_backoffice.incident_detail", "GET"): operator_1_only(),
    ("agency_backoffice.incident_detail", "POST"): operator_1_only(),  # empty form: errors
    ("agency_backoffice.home", "GET"): only(Role.AGENCY_STAFF),
    ("agency_backoffice.households", "GET"): only(Role.AGENCY_STAFF),
    ("agency_backoffice.household_new", "GET"): only(Role.AGENCY_STAFF),
    ("agency_backoffice.household_new", "POST"): only(Role.AGENCY_STAFF),  # empty form: errors
    ("agency_backoffice.household_detail", "GET"): operator_1_only(),
    ("agency_backoffice.household_edit", "GET"): operator_1_only(),
    ("agency_backoffice.household_edit", "POST"): operator_1_only(),  # empty form: errors
    ("agency_backoffice.household_park", "POST"): operator_1_only("prefix:/agence/menages/"),
    ("agency_backoffice.household_unpark", "POST"): operator_1_only("prefix:/agence/menages/"),
    ("agency_backoffice.household_close", "POST"): operator_1_only("prefix:/agence/menages/"),
    ("agency_backoffice.households_import", "GET"): only(Role.AGENCY_STAFF),
    ("agency_backoffice.households_import", "POST"): only(Role.AGENCY_STAFF),  # no file: errors
    ("agency_backoffice.households_import_example", "GET"): only(Role.AGENCY_STAFF),
    ("agency_backoffice.household_export", "GET"): operator_1_only(),
    ("agency_backoffice.matching_stock", "GET"): only(Role.AGENCY_STAFF),
    ("agency_backoffice.matching_unit", "GET"): operator_1_only(),
    ("agency_backoffice.proposal_create", "POST"): operator_1_only("prefix:/agence/logements-disponibles/"),
    ("agency_backoffice.household_matches", "GET"): operator_1_only(),
    ("agency_backoffice.matching_global", "GET"): only(Role.AGENCY_STAFF),
    ("agency_backoffice.matching_settings", "GET"): only(Role.AGENCY_STAFF),
    # Empty form: every setting back to the reference value, then the page again.
    ("agency_backoffice.matching_settings", "POST"): expect(
        anonymous=LOGIN,
        landlord=FORBIDDEN,
        staff="redirect:/agence/reglages/rapprochement",
        metro=FORBIDDEN,
        admin=FORBIDDEN,
    ),
    ("agency_backoffice.proposals", "GET"): only(Role.AGENCY_STAFF),
    ("agency_backoffice.proposal_detail", "GET"): operator_1_only(),
    ("agency_backoffice.proposal_step", "POST"): operator_1_only(422),  # empty form
    ("agency_backoffice.proposal_decline", "POST"): operator_1_only(422),  # no reason
    ("agency_backoffice.proposal_withdraw", "POST"): operator_1_only("prefix:/agence/propositions/"),
    ("agency_backoffice.leases", "GET"): only(Role.AGENCY_STAFF),
    # The matrix's proposal is not ready for lease: back to it with a message.
    ("agency_backoffice.lease_new", "GET"): operator_1_only("prefix:/agence/propositions/"),
    ("agency_backoffice.lease_new", "POST"): operator_1_only("prefix:/agence/propositions/"),
    ("agency_backoffice.lease_detail", "GET"): operator_1_only(),
    # The matrix's lease is running: only a draft can be edited; empty forms are refused with their errors.
    ("agency_backoffice.lease_edit", "GET"): operator_1_only("prefix:/agence/baux/"),
    ("agency_backoffice.lease_edit", "POST"): operator_1_only("prefix:/agence/baux/"),
    ("agency_backoffice.lease_sign", "POST"): operator_1_only(422),
    ("agency_backoffice.lease_activate", "POST"): operator_1_only(422),
    ("agency_backoffice.lease_end", "POST"): operator_1_only(422),
    ("agency_backoffice.lease_document", "GET"): operator_1_only(),
    ("agency_backoffice.guarantee_new", "GET"): operator_1_only(),
    ("agency_backoffice.guarantee_new", "POST"): operator_1_only(422),
    ("agency_backoffice.guarantee_remove", "POST"): operator_1_only("prefix:/agence/baux/"),
    ("agency_backoffice.lease_settings", "GET"): only(Role.AGENCY_STAFF),
    # Empty form: no guarantee waives the deposit any more, then the page again.
    ("agency_backoffice.lease_settings", "POST"): expect(
        anonymous=LOGIN,
        landlord=FORBIDDEN,
        staff="redirect:/agence/reglages/baux",
        metro=FORBIDDEN,
        admin=FORBIDDEN,
    ),
    ("agency_backoffice.reviews", "GET"): only(Role.AGENCY_STAFF),
    ("agency_backoffice.review_edit", "GET"): operator_1_only(),
    ("agency_backoffice.review_edit", "POST"): operator_1_only(422),
    ("agency_backoffice.lease_slide", "POST"): operator_1_only(422),
    # The public rent revision calculator: a page and its JSON twin (an empty body is not a JSON object).
    ("landlord_portal.rent_revision", "GET"): everyone(OK),
    ("landlord_portal.rent_revision", "POST"): everyone(OK),  # empty form shown again with its French errors
    ("rent_revision_api.rent_revision_create", "POST"): everyone(400),
    ("agency_backoffice.rents", "GET"): only(Role.AGENCY_STAFF),
    ("agency_backoffice.rent_settings", "GET"): only(Role.AGENCY_STAFF),
    ("agency_backoffice.rent_settings", "POST"): expect(
        anonymous=LOGIN, landlord=FORBIDDEN, staff=422, metro=FORBIDDEN, admin=FORBIDDEN
    ),  # empty form: shown again with its errors
    ("agency_backoffice.arrears", "GET"): only(Role.AGENCY_STAFF),
    ("agency_backoffice.arrears_case", "GET"): operator_1_only(),
    ("agency_backoffice.arrears_task_done", "POST"): operator_1_only(422),  # empty form
    ("agency_backoffice.arrears_task_letter", "POST"): operator_1_only("prefix:/agence/impayes/"),
    ("agency_backoffice.arrears_task_document", "GET"): operator_1_only(),
    ("agency_backoffice.arrears_plan_create", "POST"): operator_1_only(422),  # empty form
    ("agency_backoffice.arrears_plan_document", "GET"): operator_1_only(),
    ("agency_backoffice.statements", "GET"): only(Role.AGENCY_STAFF),
    # Empty POST: issues last month's missing statements of the staff's own operator, then back to the list.
    ("agency_backoffice.statements_issue", "POST"): expect(
        anonymous=LOGIN,
        landlord=FORBIDDEN,
        staff="redirect:/agence/proprietaires/releves",
        metro=FORBIDDEN,
        admin=FORBIDDEN,
    ),
    ("agency_backoffice.statement_pdf", "GET"): operator_1_only(),
    ("agency_backoffice.payouts", "GET"): only(Role.AGENCY_STAFF),
    # Empty form (no execution date): shown again with its errors.
    ("agency_backoffice.payout_create", "POST"): expect(
        anonymous=LOGIN, landlord=FORBIDDEN, staff=422, metro=FORBIDDEN, admin=FORBIDDEN
    ),
    ("agency_backoffice.payout_file", "GET"): operator_1_only(),
    ("landlord_portal.statement_download", "GET"): landlord_a_only(),
    # Landlord B has no profile yet: asked to complete it first. An empty form is shown again with its errors.
    ("landlord_portal.bank_details", "GET"): expect(
        anonymous=LOGIN,
        landlord=OK,
        landlord_b="prefix:/proprietaire/profil",
        staff=FORBIDDEN,
        metro=FORBIDDEN,
        admin=FORBIDDEN,
    ),
    ("landlord_portal.bank_details", "POST"): expect(
        anonymous=LOGIN,
        landlord=422,
        landlord_b="prefix:/proprietaire/profil",
        staff=FORBIDDEN,
        metro=FORBIDDEN,
        admin=FORBIDDEN,
    ),
    # Online payment: hidden (404) without Stripe keys, as in this matrix; with keys, test_payment_links checks them.
    ("agency_backoffice.payment_links", "GET"): operator_1_only(NOT_FOUND),
    ("agency_backoffice.payment_link_create", "POST"): operator_1_only(NOT_FOUND),
    ("payments.pay", "GET"): everyone(NOT_FOUND),
    ("payments.pay_start", "POST"): everyone(NOT_FOUND),
    ("payments.pay_card", "POST"): everyone(NOT_FOUND),
    ("payments.pay_done", "GET"): everyone(NOT_FOUND),
    ("payments.stripe_webhook", "POST"): everyone(NOT_FOUND),
    ("agency_backoffice.revisions", "GET"): only(Role.AGENCY_STAFF),
    ("agency_backoffice.revision_detail", "GET"): operator_1_only(),
    ("agency_backoffice.revision_apply", "POST"): operator_1_only(422),  # empty form
    ("agency_backoffice.revision_cancel", "POST"): operator_1_only(422),  # empty form
    ("agency_backoffice.revision_recompute", "POST"): operator_1_only("prefix:/agence/revisions/"),
    # The matrix's revision waits for its index: no letter yet.
    ("agency_backoffice.revision_letter", "GET"): operator_1_only(NOT_FOUND),
    ("agency_backoffice.lease_account", "GET"): operator_1_only(),
    # Empty forms: shown again with their errors, nothing recorded.
    ("agency_backoffice.ledger_payment", "POST"): operator_1_only(422),
    ("agency_backoffice.ledger_refund", "POST"): operator_1_only(422),
    ("agency_backoffice.ledger_correction", "POST"): operator_1_only(422),
    ("agency_backoffice.ledger_benefit", "POST"): operator_1_only(422),
    ("agency_backoffice.rent_call_notice", "GET"): operator_1_only(),
    ("agency_backoffice.ledger_document", "GET"): operator_1_only(),
    # Bearer token only, never a session: every visitor of the matrix gets 401.
    ("agency_api.household_create", "POST"): everyone(401),
    ("capture.home", "GET"): only(Role.AGENCY_STAFF),
    ("metro.home", "GET"): only(Role.METRO),
    ("metro.dashboard", "GET"): only(Role.METRO),
    ("metro.targets", "GET"): only(Role.METRO),
    ("metro.targets", "POST"): only(Role.METRO),  # empty form: shown again with its errors
    ("metro.export_csv", "GET"): only(Role.METRO),
    ("metro.export_xlsx", "GET"): only(Role.METRO),
    ("capture.indicators", "GET"): only(Role.AGENCY_STAFF),
    # The API answers in JSON: 401 without a session, 403 for roles other than the territory's metropolis,
    # 422 here because the matrix sends no territory/year.
    ("capture_api.indicators", "GET"): expect(anonymous=401, landlord=403, staff=403, metro=422, admin=403),
}


@dataclass
class World:
    """Two landlords, two operators of one territory with a staff member each, the metropolis, an admin."""

    actors: dict[str, User | None]
    records: dict[str, int]

    def url_values(self, endpoint: str, actor: str) -> dict[str, Any]:
        """URL arguments: always landlord A's and operator 1's records, whoever asks."""
        r = self.records
        unit = {"unit_id": r["unit"]}
        values: dict[str, dict[str, Any]] = {
            "static": {"filename": "css/passerelle.css"},
            "auth.verify_email": {"token": "jeton-invalide"},
            "auth.password_reset": {"token": "jeton-invalide"},
            "landlord_portal.simulation_result": {"simulation_id": 999999},
            "landlord_portal.unit_step": {**unit, "step": "adresse"},
            "landlord_portal.unit_detail": unit,
            "landlord_portal.unit_submit": unit,
            "landlord_portal.unit_document": {**unit, "document_id": r["document"]},
            "landlord_portal.unit_document_delete": {**unit, "document_id": r["document"]},
            "landlord_portal.incident_new": unit,
            "landlord_portal.incident_detail": {"incident_id": r["incident"]},
            "capture.case_detail": {"case_id": r["case"]},
            "capture.case_stage": {"case_id": r["case"]},
            "capture.case_activity": {"case_id": r["case"]},
            "capture.case_assign": {"case_id": r["case"]},
            "capture.case_document": {"case_id": r["case"], "document_id": r["document"]},
            "agency_backoffice.incident_detail": {"incident_id": r["incident"]},
            "agency_backoffice.matching_unit": {"stock_entry_id": r["stock_entry"]},
            "agency_backoffice.proposal_create": {"stock_entry_id": r["stock_entry"]},
            **{
                f"agency_backoffice.proposal_{name}": {"proposal_id": r["proposal"]}
                for name in ("detail", "step", "decline", "withdraw")
            },
            **{
                f"agency_backoffice.household_{name}": {"household_id": r["household"]}
                for name in ("detail", "edit", "park", "unpark", "close", "export", "matches")
            },
            "capture.case_assessment": {"case_id": r["case"]},
            "capture.case_agreement": {"case_id": r["case"]},
            "capture.agreement_document": {"agreement_id": r["agreement"]},
            "capture.agreement_sign": {"agreement_id": r["agreement"]},
            "landlord_portal.agreement_accept": {"agreement_id": r["agreement"]},
            "landlord_portal.agreement_document": {"agreement_id": r["agreement"]},
            "landlord_portal.lease_document": {"document_id": r["lease_document"]},
            "agency_backoffice.lease_new": {"proposal_id": r["proposal"]},
            **{
                f"agency_backoffice.lease_{name}": {"lease_id": r["lease"]}
                for name in ("detail", "edit", "sign", "activate", "end")
            },
            "agency_backoffice.lease_document": {"lease_id": r["lease"], "document_id": r["lease_document"]},
            "agency_backoffice.guarantee_new": {"lease_id": r["lease"]},
            "agency_backoffice.guarantee_remove": {"lease_id": r["lease"], "guarantee_id": r["guarantee"]},
            "agency_backoffice.review_edit": {"lease_id": r["glissant"], "review_id": r["review"]},
            "agency_backoffice.lease_slide": {"lease_id": r["glissant"]},
            **{
                f"agency_backoffice.{name}": {"lease_id": r["lease"]}
                for name in ("lease_account", "ledger_payment", "ledger_refund", "ledger_correction", "ledger_benefit")
            },
            "agency_backoffice.rent_call_notice": {"entry_id": r["call"]},
            "agency_backoffice.payment_links": {"lease_id": r["lease"]},
            "agency_backoffice.arrears_case": {"case_id": r["arrears_case"]},
            **{
                f"agency_backoffice.arrears_task_{name}": {"case_id": r["arrears_case"], "task_id": r["arrears_task"]}
                for name in ("done", "letter", "document")
            },
            "agency_backoffice.arrears_plan_create": {"case_id": r["arrears_case"]},
            "agency_backoffice.arrears_plan_document": {"case_id": r["arrears_case"], "plan_id": r["repayment_plan"]},
            "agency_backoffice.statement_pdf": {"statement_id": r["statement"]},
            "landlord_portal.statement_download": {"statement_id": r["statement"]},
            "agency_backoffice.payout_file": {"batch_id": r["payout_batch"]},
            "agency_backoffice.payment_link_create": {"lease_id": r["lease"]},
            **{
                f"payments.{name}": {"token": "jeton-invalide"} for name in ("pay", "pay_start", "pay_card", "pay_done")
            },
            **{
                f"agency_backoffice.revision_{name}": {"revision_id": r["revision"]}
                for name in ("detail", "apply", "cancel", "recompute", "letter")
            },
            "agency_backoffice.ledger_document": {"document_id": r["ledger_document"]},
            "capture.campaign_detail": {"campaign_id": r["campaign"]},
            "capture.campaign_import": {"campaign_id": r["campaign"]},
            "capture.campaign_letters": {"campaign_id": r["campaign"]},
        }
        return values.get(endpoint, {})


@pytest.fixture
def world(app: Flask, make: Factory, parameters: None) -> World:
    territory = make.territory(name="Territoire test")
    operator_1 = make.organisation(kind=OrganisationKind.AIS, territory=territory)
    operator_2 = make.organisation(kind=OrganisationKind.ASSOCIATION, territory=territory)
    metropolis = make.organisation(kind=OrganisationKind.METROPOLIS, territory=territory)
    landlord_a = make.user(Role.LANDLORD)
    staff_op1 = make.staff(operator_1)
    make.session.add(SchedulerHeartbeat(name="matrix:1", pid=1, host="matrix", holds_lock=True))
    with app.app_context():
        unit, case, document, incident = make.captured_unit_with_incident(landlord_a, operator_1)
        agreement = make.agreement(case)
        # A running lease under mandate on another unit of landlord A, with its documents.
        lease = make.lease(operator_1, by=staff_op1, mode=IMLMode.MANDATE, landlord=unit.landlord)
        glissant = make.lease(operator_1, by=staff_op1, mode=IMLMode.BAIL_GLISSANT)
        guarantee = make.guarantee(lease, by=staff_op1)
        # The lease's first rent call, paid in full: its quittance.
        call = ledger_ops.issue_rent_call(make.session, lease, month_start(lease.starts_on), on=lease.starts_on)
        ledger_ops.record_payment(
            make.session, lease, amount=call.amount, method=PaymentMethod.TRANSFER, received_on=call.due_on, by=None
        )
        (quittance,) = ledger_documents.issue_receipts(make.session, on=call.due_on, lease_id=lease.id).documents
        # The owner's statement of that month and its SEPA payout batch.
        unit.landlord.iban = "FR1420041010050500013M02606"
        operator_1.iban, operator_1.bic = "FR7630004000031234567890143", "BNPAFRPPXXX"
        run = statement_ops.issue_owner_statements(
            make.session, on=next_month(call.period), operator_ids=[operator_1.id]
        )
        statement = next(s for s in run.created if s.landlord_id == unit.landlord.id)
        batch = payouts.create_payout_batch(
            make.session, operator_1, call.period, execution_date=date.today(), by=staff_op1, now=datetime.now(UTC)
        )
        # The bail glissant's first month left unpaid: an arrears case, its reminder letter, a repayment plan.
        today = date.today()
        ledger_ops.issue_rent_call(make.session, glissant, month_start(glissant.starts_on), on=glissant.starts_on)
        arrears_ops.run_arrears_clocks(make.session, today, operator_ids=[operator_1.id])
        arrears_case = arrears_queries.open_cases_of(make.session, [glissant.id])[glissant.id]
        reminder = next(t for t in arrears_case.tasks if t.kind is ArrearsTaskKind.REMINDER)
        arrears_letters.task_letter(make.session, reminder, on=today, by=staff_op1)
        debt = arrears_amount(arrears_queries.lease_facts(make.session, glissant.id, today), today)
        plan = repayment_plans.create_plan(
            make.session, arrears_case, total=debt, months=2, first_due_on=today, today=today, by=staff_op1
        )
        # A yearly IRL revision of the lease, waiting for its index.
        revision = RentRevision(
            operator_id=operator_1.id,
            lease_id=lease.id,
            due_on=lease.starts_on.replace(year=lease.starts_on.year + 1),
            quarter_year=2025,
            quarter=3,
            old_rent=lease.rent,
            status=RevisionStatus.WAITING_INDEX,
        )
        make.session.add(revision)
        make.session.flush()
    lease_document = next(d for d in lease.documents if d.kind is LeaseDocumentKind.LEASE)
    campaign = make.campaign(operator_1, by=staff_op1)
    household = make.household(operator_1)
    stock_entry = make.available_unit(operator_1)
    proposal = make.proposal(make.available_unit(operator_1), make.household(operator_1), by=staff_op1)
    return World(
        records={
            "unit": unit.id,
            "case": case.id,
            "document": document.id,
            "incident": incident.id,
            "campaign": campaign.id,
            "agreement": agreement.id,
            "household": household.id,
            "stock_entry": stock_entry.id,
            "proposal": proposal.id,
            "lease": lease.id,
            "lease_document": lease_document.id,
            "glissant": glissant.id,
            "review": glissant.reviews[0].id,
            "guarantee": guarantee.id,
            "call": call.id,
            "ledger_document": quittance.id,
            "revision": revision.id,
            "statement": statement.id,
            "payout_batch": batch.id,
            "arrears_case": arrears_case.id,
            "arrears_task": reminder.id,
            "repayment_plan": plan.id,
        },
        actors={
            "anonymous": None,
            "landlord_a": landlord_a,
            "landlord_b": make.user(Role.LANDLORD),
            "staff_op1": staff_op1,
            "staff_op2": make.staff(operator_2),
            "metro": make.metro_user(metropolis),
            "admin": make.user(Role.ADMIN),
        },
    )


def _routes(app: Flask) -> list[tuple[str, str, str]]:
    """Every (endpoint, method, path), sorted: rows that write (a landlord's first draft creates their profile)
    must run in the same order whatever order the URL map iterates in (it changes once requests were matched)."""
    routes = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - IGNORED_METHODS):
            routes.append((rule.endpoint, method, rule.rule))
    return sorted(routes, key=lambda route: (route[2], route[1], route[0]))


def test_every_route_has_an_expectation(app: Flask) -> None:
    missing = [
        f"{method} {path} ({endpoint})"
        for endpoint, method, path in _routes(app)
        if (endpoint, method) not in EXPECTATIONS
    ]
    assert not missing, "Routes sans attente dans la matrice des permissions :\n" + "\n".join(missing)
    stale = set(EXPECTATIONS) - {(endpoint, method) for endpoint, method, _ in _routes(app)}
    assert not stale, f"Attentes pour des routes qui n'existent plus : {sorted(stale)}"


def test_matrix_detects_an_unlisted_route(app: Flask) -> None:
    """The completeness check really fails when a route is added without an expectation."""
    listed = {(endpoint, method) for endpoint, method, _ in _routes(app)}
    fake = ("landlord_portal.secret", "GET")
    assert fake not in EXPECTATIONS
    assert [route for route in [*listed, fake] if route not in EXPECTATIONS] == [fake]


@pytest.mark.parametrize("actor", ACTORS)
def test_role_route_matrix(app: Flask, client: FlaskClient, world: World, actor: str) -> None:
    user = world.actors[actor]
    if user is not None:
        login_as(client, user)
    with app.test_request_context():
        rows = [
            (
                method,
                url_for(endpoint, **world.url_values(endpoint, actor)),
                EXPECTATIONS[(endpoint, method)][actor],
            )
            for endpoint, method, _path in _routes(app)
        ]
        home = url_for(ROLE_HOME[user.role]) if user is not None else None
    failures = []
    for method, url, expected in rows:
        response = client.open(url, method=method, data={})
        response.close()
        if user is not None:
            login_as(client, user)  # a logout in the matrix must not change the next rows
        problem = _check(response, expected, home)
        if problem:
            failures.append(f"{method} {url} as {actor}: {problem}")
    assert not failures, "\n".join(failures)


def _check(response: Any, expected: Any, home: str | None) -> str | None:
    status = response.status_code
    if status >= 500:
        return f"answered {status}"
    location = response.headers.get("Location", "")
    if expected == LOGIN:
        ok = status == 302 and location.startswith("/login")
    elif expected == HOME:
        ok = status == 302 and home is not None and location == home
    elif isinstance(expected, str) and expected.startswith("prefix:"):
        ok = status == 302 and urlsplit(location).path.startswith(expected.removeprefix("prefix:"))
    elif isinstance(expected, str) and expected.startswith("redirect:"):
        ok = status == 302 and urlsplit(location).path == expected.removeprefix("redirect:")
    else:
        ok = status == expected
    return None if ok else f"expected {expected}, got {status} {location}".strip()
