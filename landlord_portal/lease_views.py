"""The owner's lease documents: the direct lease and tripartite agreement they signed, the guarantee summary."""

from __future__ import annotations

from flask_login import current_user
from werkzeug.wrappers import Response

from agency_backoffice.queries import leases as lease_queries
from landlord_portal import bp
from passerelle import storage
from passerelle.audit import audit
from passerelle.db import db


@bp.route("/documents/<int:document_id>")
def lease_document(document_id: int) -> Response:
    """Stream a document of a lease on one of the owner's units (404 for anyone else's, and for the sub-lease)."""
    session = db.session
    document = lease_queries.get_document_for_landlord_or_404(session, current_user, document_id)
    audit(
        session,
        actor=current_user,
        action="lease_document.download",
        object_type="lease_document",
        object_id=document.id,
        kind=document.kind.value,
    )
    session.commit()
    return storage.send_stored(document.sha256, content_type="application/pdf", filename=document.filename)
