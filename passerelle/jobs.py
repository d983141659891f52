"""Jobs: idempotent functions of (session, date), registered by the packages, run by hand or by the scheduler.

A job returns a summary (a small dict). A run that finished is recorded in ``job_runs``; running the same job
again for the same date does nothing unless forced — the job itself must also be safe to re-run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from passerelle.models import JobRun


@dataclass
class JobReport:
    """What a job did (stored) and the e-mails to send once its work is committed."""

    summary: dict[str, Any]
    mails: list[tuple[str, str, str]] = field(default_factory=list)  # (to, subject, body)


JobFunction = Callable[[Session, date], JobReport]


@dataclass(frozen=True)
class Job:
    name: str
    label: str
    run: JobFunction


def init_app(app: Flask) -> None:
    app.extensions["passerelle.jobs"] = {}


def register_job(app: Flask, name: str, label: str, function: JobFunction) -> None:
    app.extensions["passerelle.jobs"][name] = Job(name=name, label=label, run=function)


def registered_jobs(app: Flask | None = None) -> dict[str, Job]:
    return (app or current_app).extensions["passerelle.jobs"]


@dataclass(frozen=True)
class JobOutcome:
    ran: bool
    report: JobReport


def run_job(session: Session, job: Job, on: date, *, force: bool = False) -> JobOutcome:
    """Run a job for a business date unless it already ran to the end for that date.

    The caller commits, then sends ``outcome.report.mails`` (see ``send_job_mails``).
    """
    previous = session.scalar(select(JobRun).where(JobRun.name == job.name, JobRun.run_date == on))
    if previous is not None and not force:
        return JobOutcome(ran=False, report=JobReport(summary=previous.summary))
    report = job.run(session, on)
    if previous is None:
        session.add(JobRun(name=job.name, run_date=on, summary=report.summary))
    else:
        previous.summary = report.summary
    session.flush()
    return JobOutcome(ran=True, report=report)


def send_job_mails(report: JobReport) -> None:
    from passerelle.mail import send_mail

    for to, subject, body in report.mails:
        send_mail(to, subject, body)
