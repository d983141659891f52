"""Capture reads and permission-aware loaders, by aggregate."""

from capture.queries.cases import (
    TerritoryOverview,
    case_for_unit,
    get_case_document_for_staff_or_404,
    get_case_for_staff_or_404,
    get_document_for_landlord_or_404,
    get_incident_for_landlord_or_404,
    get_incident_for_staff_or_404,
    get_unit_for_landlord_or_404,
    landlord_incidents,
    landlord_units,
    operator_cases,
    operator_incidents,
    staff_emails,
    stages_reached,
    territory_overview,
)

__all__ = [
    "TerritoryOverview",
    "case_for_unit",
    "get_case_document_for_staff_or_404",
    "get_case_for_staff_or_404",
    "get_document_for_landlord_or_404",
    "get_incident_for_landlord_or_404",
    "get_incident_for_staff_or_404",
    "get_unit_for_landlord_or_404",
    "landlord_incidents",
    "landlord_units",
    "operator_cases",
    "operator_incidents",
    "staff_emails",
    "stages_reached",
    "territory_overview",
]
