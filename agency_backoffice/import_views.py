"""Import an SIAO-style export of referrals (staff): upload, line-numbered rejections, an example file."""

from __future__ import annotations

from datetime import date, datetime

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from agency_backoffice import bp
from agency_backoffice.forms import HouseholdImportForm
from agency_backoffice.operations.household_import import import_households
from agency_backoffice.operations.households import HouseholdError
from agency_backoffice.rules import household_import
from passerelle.db import db
from passerelle.formatting import PARIS


def _today() -> date:
    return datetime.now(PARIS).date()


@bp.route("/menages/import", methods=["GET", "POST"])
def households_import() -> ResponseReturnValue:
    operator = current_user.organisation
    if operator is None:
        abort(404)
    session = db.session
    form = HouseholdImportForm()
    report = None
    if form.validate_on_submit():
        upload = form.file.data
        name = upload.filename or "fichier"
        try:
            file = household_import.read_household_file(upload.read(), name)
            report = import_households(session, operator, file, by=current_user, today=_today())
        except (household_import.HouseholdFileError, HouseholdError) as exc:
            session.rollback()
            form.file.errors = [*form.file.errors, str(exc)]
        else:
            if report.imported:
                session.commit()
                flash(report.summary(), "success")
                if report.ignored_columns:
                    flash(f"Colonnes non lues (ignorées) : {', '.join(report.ignored_columns)}.", "warning")
                return redirect(url_for("agency_backoffice.households"))
            session.rollback()
    return render_template(
        "agency_backoffice/households_import.html",
        form=form,
        report=report,
        max_lines=household_import.MAX_LINES,
        example_header=household_import.EXAMPLE_CSV.splitlines()[0],
    )


@bp.route("/menages/import/exemple.csv")
def households_import_example() -> ResponseReturnValue:
    # With a BOM, spreadsheets open the accents right; the import reads the file with or without it.
    body = "\ufeff" + household_import.EXAMPLE_CSV
    return (
        body,
        200,
        {
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": 'attachment; filename="exemple-import-menages.csv"',
        },
    )
