"""Capture tables. Importing this package registers them on ``Base.metadata``."""

from capture.models.agreements import Agreement, AnahFollowUp, StockEntry, UnitAssessment
from capture.models.campaigns import Campaign, CaptureActivity, campaign_communes
from capture.models.cases import CaptureCase, CaptureStageChange, RoutingRule
from capture.models.enums import (
    ActivityKind,
    AssessmentOutcome,
    CampaignChannel,
    CaptureStage,
    ConventionLevel,
    DeclarationStatus,
    FollowUpKind,
    Heating,
    IMLMode,
    LandlordKind,
    LeadSource,
    SignatureMethod,
    StockStatus,
)
from capture.models.incidents import Incident, IncidentKind, IncidentStatus, IncidentUpdate
from capture.models.targets import CapturePlan, CaptureTarget, IndicatorSnapshot
from capture.models.units import Landlord, Simulation, Unit, UnitDocument

__all__ = [
    "ActivityKind",
    "Agreement",
    "AnahFollowUp",
    "AssessmentOutcome",
    "Campaign",
    "CampaignChannel",
    "CaptureActivity",
    "CaptureCase",
    "CapturePlan",
    "CaptureStage",
    "CaptureStageChange",
    "CaptureTarget",
    "ConventionLevel",
    "DeclarationStatus",
    "FollowUpKind",
    "Heating",
    "IMLMode",
    "Incident",
    "IncidentKind",
    "IncidentStatus",
    "IncidentUpdate",
    "IndicatorSnapshot",
    "Landlord",
    "LandlordKind",
    "LeadSource",
    "RoutingRule",
    "SignatureMethod",
    "Simulation",
    "StockEntry",
    "StockStatus",
    "Unit",
    "UnitAssessment",
    "UnitDocument",
    "campaign_communes",
]
