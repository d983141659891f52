"""Save an operator's own matching thresholds and weights (checked as a whole before they replace the old)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from agency_backoffice.models import MatchingSettings
from agency_backoffice.queries.matching import matching_parameters
from agency_backoffice.rules.parameters import OPERATOR_SETTINGS, InvalidSettings
from passerelle.audit import audit
from passerelle.models import Organisation, User


def save_matching_settings(
    session: Session, operator: Organisation, values: dict[str, str], *, by: User, today: date
) -> MatchingSettings:
    """Replace the operator's overrides; keys left out fall back to the reference defaults."""
    unknown = set(values) - set(OPERATOR_SETTINGS)
    if unknown:
        raise InvalidSettings(f"Réglages inconnus : {', '.join(sorted(unknown))}.")
    settings = session.scalar(select(MatchingSettings).where(MatchingSettings.operator_id == operator.id))
    if settings is None:
        settings = MatchingSettings(operator_id=operator.id, values={})
        session.add(settings)
    previous = dict(settings.values)
    settings.values = dict(values)
    settings.updated_by_id = by.id
    session.flush()
    try:
        matching_parameters(session, operator.id, today)  # the whole set must make sense
    except InvalidSettings:
        settings.values = previous
        session.flush()
        raise
    audit(
        session,
        actor=by,
        action="matching_settings.update",
        object_type="organisation",
        object_id=operator.id,
        values=values,
    )
    return settings
