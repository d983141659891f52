"""Owner statements in the landlord space: the list on the home page and the download of one's own statements."""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from werkzeug.wrappers import Response

from agency_backoffice.models import OwnerStatement
from agency_backoffice.queries import statements as queries
from agency_backoffice.rules.statements import of_month
from landlord_portal import bp
from passerelle import storage
from passerelle.audit import audit
from passerelle.db import db


@bp.context_processor
def _statements() -> dict[str, Any]:
    """``landlord_statements()`` in the landlord space's templates: the owner's statements (with the operator's
    name), latest first; ``of_month(period)`` writes « d'octobre 2026 »."""

    def landlord_statements() -> list[tuple[OwnerStatement, str]]:
        if not current_user.is_authenticated:
            return []
        return queries.landlord_statements(db.session, current_user)

    return {"landlord_statements": landlord_statements, "of_month": of_month}


@bp.route("/releves/<int:statement_id>")
def statement_download(statement_id: int) -> Response:
    """Stream one of the owner's statements (404 for anyone else's)."""
    session = db.session
    statement = queries.get_statement_for_landlord_or_404(session, current_user, statement_id)
    audit(
        session,
        actor=current_user,
        action="owner_statement.download",
        object_type="owner_statement",
        object_id=statement.id,
    )
    session.commit()
    return storage.send_stored(statement.sha256, content_type="application/pdf", filename=statement.filename)
