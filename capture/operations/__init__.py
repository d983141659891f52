"""Capture writes (add and flush, never commit), by aggregate."""

from capture.operations.cases import (
    UNIT_FIELDS,
    CaptureError,
    add_unit_document,
    answer_incident,
    create_callback_lead,
    landlord_for_user,
    open_capture_case,
    raise_incident,
    remove_unit_document,
    route_operator,
    save_landlord_profile,
    start_unit_draft,
    submit_unit,
    territory_of_commune,
    update_unit_draft,
)

__all__ = [
    "UNIT_FIELDS",
    "CaptureError",
    "add_unit_document",
    "answer_incident",
    "create_callback_lead",
    "landlord_for_user",
    "open_capture_case",
    "raise_incident",
    "remove_unit_document",
    "route_operator",
    "save_landlord_profile",
    "start_unit_draft",
    "submit_unit",
    "territory_of_commune",
    "update_unit_draft",
]
