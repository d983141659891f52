"""Import an SIAO-style export of referrals: every new household of the file, or none."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from agency_backoffice.models import Household
from agency_backoffice.operations.households import HouseholdError, known_communes, register_household
from agency_backoffice.rules import household_import
from passerelle.audit import audit
from passerelle.models import Organisation, User
from passerelle.reference.importers import Rejection


def import_households(
    session: Session, operator: Organisation, file: household_import.HouseholdFile, *, by: User, today: date
) -> household_import.HouseholdImportReport:
    """Register the file's new referrals for the operator: all of them or, if one line is rejected, none.

    References the operator already holds are skipped and reported, so importing the same export twice
    changes nothing the second time.
    """
    if not operator.kind.is_operator:
        raise HouseholdError(["Seul un opérateur (AIS ou association agréée) reçoit des orientations du SIAO."])
    references = sorted(file.references())
    held = select(Household.siao_reference, Household.id).where(
        Household.operator_id == operator.id, Household.siao_reference.in_(references)
    )
    registered = {reference: household_id for reference, household_id in session.execute(held)}
    report = household_import.check_households(
        file,
        today=today,
        known_communes=known_communes(session, file.commune_codes()),
        registered=registered,
    )
    if not report.imported:
        return report
    # A savepoint: should one registration still be refused, the households already added go with it.
    savepoint = session.begin_nested()
    for line, data in report.households:
        try:
            register_household(session, operator, data, by=by, today=today, source="import")
        except HouseholdError as error:
            report.rejected.append(Rejection(line, " ; ".join(error.problems)))
    if report.rejected:
        savepoint.rollback()
        report.imported = False
        return report
    savepoint.commit()
    report.created = len(report.households)
    audit(
        session,
        actor=by,
        action="household.import",
        object_type="organisation",
        object_id=operator.id,
        file=file.name,
        lines=report.lines,
        created=report.created,
        already_imported=len(report.already_imported),
    )
    return report
