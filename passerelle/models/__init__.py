"""Kernel tables. Importing this package registers them on ``Base.metadata``."""

from passerelle.models.api_tokens import ApiToken
from passerelle.models.audit import AuditEntry
from passerelle.models.jobs import JobRun, SchedulerHeartbeat
from passerelle.models.organisations import (
    Membership,
    Organisation,
    OrganisationKind,
    Territory,
    territory_communes,
)
from passerelle.models.reference import (
    Commune,
    CommuneZone,
    IncomeCeiling,
    IrlIndex,
    LocalPremium,
    Parameter,
    RentReference,
)
from passerelle.models.types import str_enum
from passerelle.models.users import LoginAttempt, Role, User

__all__ = [
    "ApiToken",
    "AuditEntry",
    "Commune",
    "CommuneZone",
    "IncomeCeiling",
    "IrlIndex",
    "JobRun",
    "LocalPremium",
    "LoginAttempt",
    "Membership",
    "Organisation",
    "OrganisationKind",
    "Parameter",
    "RentReference",
    "Role",
    "SchedulerHeartbeat",
    "Territory",
    "User",
    "str_enum",
    "territory_communes",
]
