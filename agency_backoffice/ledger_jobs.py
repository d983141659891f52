"""Rent ledger jobs, idempotent functions of (session, date): rent calls and receipts."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from agency_backoffice.operations.ledger import issue_rent_calls
from agency_backoffice.operations.ledger_documents import issue_receipts
from passerelle.jobs import JobReport


def rent_calls(session: Session, on: date) -> JobReport:
    """Issue the rent calls due on ``on`` (each operator's call day; missing recent months caught up)."""
    run = issue_rent_calls(session, on)
    return JobReport(summary={"calls": run.created, "periods": [f"{period:%Y-%m}" for period in run.periods]})


def receipts(session: Session, on: date) -> JobReport:
    """Issue the quittances of the periods fully paid and the reçus of partial payments, not issued yet."""
    run = issue_receipts(session, on=on)
    return JobReport(summary={"quittances": run.quittances, "recus": run.recus})
