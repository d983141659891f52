"""The public rent revision calculator page: the same checks and rule as ``POST /api/v1/rent-revisions``.

Nothing is stored, so the result is shown on the page that computed it (no redirect). Rate limited like the
public API on POST.
"""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session
from wtforms import SelectChoice

from capture.rules.rent_revision import Quarter, RentRevision
from contracts.typography import number as french_number
from landlord_portal import bp
from landlord_portal.revision_api import NOT_CONFIGURED, NotConfigured, calculate, check_request, today
from landlord_portal.revision_forms import RentRevisionForm
from passerelle.api import public_rate_limit
from passerelle.db import db
from passerelle.extensions import limiter
from passerelle.reference.queries import irl_series
from passerelle.security import public

FIELDS = ("rent", "irl_quarter", "dpe_class", "cap_monthly", "revision_date")


def quarter_choices(session: Session) -> list[SelectChoice]:
    """The imported quarters that can be applied (their index a year earlier is imported too), latest first."""
    series = {(row.year, row.quarter): row.value for row in irl_series(session)}
    return [
        SelectChoice(
            Quarter(year, quarter).label,
            f"{Quarter(year, quarter).in_words} — IRL {french_number(value)}, comparé à "
            f"{french_number(series[(year - 1, quarter)])} un an plus tôt",
        )
        for (year, quarter), value in series.items()
        if (year - 1, quarter) in series
    ]


def _payload(form: RentRevisionForm) -> dict[str, Any]:
    return {name: getattr(form, name).data for name in FIELDS}


def _show_errors(form: RentRevisionForm, errors: dict[str, list[str]]) -> None:
    """Put the check's messages on the fields, unless the field already says what is wrong."""
    for name, messages in errors.items():
        field = getattr(form, name, None)
        if field is None:
            form.form_errors.extend(messages)
        elif not field.errors:
            field.errors = [*field.errors, *messages]


@bp.route("/revision-du-loyer", methods=["GET", "POST"])
@limiter.limit(public_rate_limit, methods=["POST"])
@public
def rent_revision() -> ResponseReturnValue:
    session = db.session
    form = RentRevisionForm()
    form.irl_quarter.choices = quarter_choices(session)
    revision: RentRevision | None = None
    on = today()
    if form.is_submitted():
        valid = form.validate()
        # Checked even when the form is not: the visitor sees every problem at once.
        asked, errors = check_request(_payload(form), on=on)
        _show_errors(form, errors)
        if valid and asked is not None:
            on = asked.on
            try:
                revision, missing = calculate(session, asked)
            except NotConfigured:
                form.form_errors.append(NOT_CONFIGURED)
            else:
                form.irl_quarter.errors = [*form.irl_quarter.errors, *missing]
    return render_template("landlord_portal/rent_revision.html", form=form, revision=revision, on=on)
