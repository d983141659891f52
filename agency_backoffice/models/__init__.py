"""Back-office tables. Importing this package registers them on ``Base.metadata``."""

from agency_backoffice.models.enums import (
    OPEN_PROPOSAL_STATUSES,
    DeclineParty,
    DeclineReason,
    HouseholdStatus,
    Need,
    PriorityFlag,
    ProposalStatus,
    ResourceKind,
    Sex,
    Situation,
    SupportIntensity,
)
from agency_backoffice.models.households import (
    Household,
    HouseholdMember,
    HouseholdOwnerLink,
    HouseholdResource,
)
from agency_backoffice.models.matching import HousingBenefitEstimate, MatchingSettings, Proposal, ProposalEvent

__all__ = [
    "OPEN_PROPOSAL_STATUSES",
    "DeclineParty",
    "DeclineReason",
    "Household",
    "HouseholdMember",
    "HouseholdOwnerLink",
    "HouseholdResource",
    "HouseholdStatus",
    "HousingBenefitEstimate",
    "MatchingSettings",
    "Need",
    "PriorityFlag",
    "Proposal",
    "ProposalEvent",
    "ProposalStatus",
    "ResourceKind",
    "Sex",
    "Situation",
    "SupportIntensity",
]
