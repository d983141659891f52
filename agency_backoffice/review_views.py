"""Bail glissant (staff): the reviews due, one review with its decision, and the slide to a direct lease."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from agency_backoffice import bp
from agency_backoffice.lease_forms import apply_errors
from agency_backoffice.models import (
    DepositOutcome,
    Lease,
    LeaseKind,
    LeaseSignatureMethod,
    LeaseStatus,
    SlidingReview,
)
from agency_backoffice.operations import households as household_ops
from agency_backoffice.operations import sliding as ops
from agency_backoffice.operations.leases import LeaseError
from agency_backoffice.queries.leases import get_lease_for_staff_or_404, reviews_due
from agency_backoffice.review_forms import ReviewForm, SlideForm
from agency_backoffice.rules.leases import last_day
from agency_backoffice.rules.sliding import slide_refusal
from capture.models import IMLMode
from passerelle.db import db
from passerelle.formatting import PARIS
from passerelle.reference.queries import MissingParameter, parameter_at

REMINDER_DAYS_KEY = "bail_glissant.review_reminder_days"
MAX_DAYS = 366


def _today() -> date:
    return datetime.now(PARIS).date()


@dataclass(frozen=True)
class SlidingPanel:
    """What the lease page shows of a bail glissant: its reviews, what comes next, where the lease went."""

    lease: Lease
    reviews: list[SlidingReview]
    next_review: SlidingReview | None  # the first review not held yet
    deciding: SlidingReview | None  # the last review held: its decision is in force
    slide_allowed: bool
    slid_to: Lease | None
    default_signatories: str

    @property
    def shown(self) -> bool:
        return self.lease.mode is IMLMode.BAIL_GLISSANT

    @property
    def slide_form(self) -> SlideForm:
        return SlideForm(formdata=None, data={"signatories": self.default_signatories})


@bp.app_template_global("lease_sliding")
def lease_sliding(lease: Lease) -> SlidingPanel:
    """The bail glissant panel of a lease (used by ``_lease_reviews.html``)."""
    deciding = ops.latest_held_review(lease)
    running = lease.kind is LeaseKind.SUBLEASE and lease.status is LeaseStatus.ACTIVE
    allowed = (
        running
        and deciding is not None
        and deciding.slide_on is not None
        and slide_refusal(deciding.decision, deciding.slide_on, on=deciding.slide_on, today=_today()) is None
    )
    pending = [review for review in lease.reviews if review.held_on is None]
    slid_to = ops.slid_to(db.session, lease) if lease.kind is LeaseKind.SUBLEASE else None
    return SlidingPanel(
        lease=lease,
        reviews=list(lease.reviews),
        next_review=pending[0] if pending and running else None,
        deciding=deciding,
        slide_allowed=allowed,
        slid_to=slid_to,
        default_signatories=" ; ".join([*lease.tenants, lease.landlord.name]),
    )


def _review_or_404(lease: Lease, review_id: int) -> SlidingReview:
    review = db.session.get(SlidingReview, review_id)
    if review is None or review.lease_id != lease.id:
        abort(404)
    return review


def _render(
    lease: Lease, review: SlidingReview, *, form: ReviewForm | None = None, slide_form: SlideForm | None = None
) -> str:
    return render_template(
        "agency_backoffice/review_form.html",
        lease=lease,
        review=review,
        term_last_day=last_day(lease.starts_on, lease.duration_months),
        form=form or ReviewForm(formdata=None, data={"held_on": min(_today(), max(review.due_on, lease.starts_on))}),
        sliding_form=slide_form,
    )


@bp.route("/revues")
def reviews():
    session = db.session
    today = _today()
    raw = request.args.get("jours", "")
    days: int | None = int(raw) if raw.isdigit() and int(raw) <= MAX_DAYS else None
    if days is None:
        if raw:
            flash(f"Nombre de jours invalide : indiquez un nombre entre 0 et {MAX_DAYS}.", "error")
        try:
            value = parameter_at(session, REMINDER_DAYS_KEY, today).value
            days = value if isinstance(value, int) else 0
        except MissingParameter:
            flash("Paramètre de référence manquant : seules les revues en retard sont listées.", "error")
            days = 0
    rows = reviews_due(session, current_user.organisation_id, until=today + timedelta(days=days))
    household_ops.audit_list_view(session, by=current_user, count=len(rows))
    session.commit()
    return render_template("agency_backoffice/reviews.html", rows=rows, days=days, today=today)


@bp.route("/baux/<int:lease_id>/revues/<int:review_id>", methods=["GET", "POST"])
def review_edit(lease_id: int, review_id: int) -> Response | str | tuple[str, int]:
    session = db.session
    lease = get_lease_for_staff_or_404(session, current_user, lease_id)
    review = _review_or_404(lease, review_id)
    if request.method == "GET":
        household_ops.record_view(session, lease.household, by=current_user, what=f"sliding review {review.id}")
        session.commit()
        return _render(lease, review)
    form = ReviewForm()
    if form.validate_on_submit():
        try:
            ops.record_review(session, review, form.values(), by=current_user, today=_today())
        except LeaseError as error:
            session.rollback()
            lease = get_lease_for_staff_or_404(session, current_user, lease_id)
            review = _review_or_404(lease, review_id)
            apply_errors(form, error.errors)
        else:
            decision = review.decision
            session.commit()
            flash(f"Revue enregistrée : {decision.label.lower() if decision else 'décision consignée'}.", "success")
            return redirect(url_for("agency_backoffice.review_edit", lease_id=lease_id, review_id=review_id))
    return _render(lease, review, form=form), 422


@bp.post("/baux/<int:lease_id>/glissement")
def lease_slide(lease_id: int) -> Response | tuple[str, int]:
    session = db.session
    lease = get_lease_for_staff_or_404(session, current_user, lease_id)
    if not lease.reviews:
        abort(404)  # not a bail glissant: there is nothing to slide
    form = SlideForm()
    if form.validate_on_submit():
        deciding = ops.latest_held_review(lease)
        try:
            direct = ops.slide_lease(
                session,
                lease,
                on=deciding.slide_on if deciding is not None and deciding.slide_on else _today(),
                deposit_outcome=DepositOutcome(form.deposit_outcome.data),
                deposit_note=form.deposit_note.data,
                signatories=form.signatories.data or "",
                method=LeaseSignatureMethod(form.signature_method.data),
                by=current_user,
                today=_today(),
            )
        except LeaseError as error:
            session.rollback()
            lease = get_lease_for_staff_or_404(session, current_user, lease_id)
            apply_errors(form, error.errors)
        else:
            direct_id = direct.id
            session.commit()
            flash(f"Le bail a glissé : bail d'habitation n° {direct_id} entre le propriétaire et le ménage.", "success")
            return redirect(url_for("agency_backoffice.lease_detail", lease_id=direct_id))
    review = ops.latest_held_review(lease) or lease.reviews[0]
    return _render(lease, review, slide_form=form), 422
