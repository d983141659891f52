"""Enumerations of the households and matching domain, with their French labels."""

from __future__ import annotations

from enum import StrEnum


class HouseholdStatus(StrEnum):
    """Active (waiting for a unit), housed, or closed (file ended; anonymised after the retention period)."""

    ACTIVE = "active"
    HOUSED = "housed"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return {"active": "En attente d'un logement", "housed": "Logé", "closed": "Dossier clos"}[self.value]


class ResourceKind(StrEnum):
    """Monthly resources by type; which ones count for housing benefit is in ``housing_benefit``."""

    WAGES = "wages"
    UNEMPLOYMENT = "unemployment"
    PENSION = "pension"
    ALIMONY = "alimony"
    RSA = "rsa"
    AAH = "aah"
    ACTIVITY_BONUS = "activity_bonus"
    FAMILY_BENEFITS = "family_benefits"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            "wages": "Salaires",
            "unemployment": "Allocations chômage",
            "pension": "Retraites et pensions",
            "alimony": "Pension alimentaire reçue",
            "rsa": "RSA",
            "aah": "AAH",
            "activity_bonus": "Prime d'activité",
            "family_benefits": "Prestations familiales",
            "other": "Autres ressources",
        }[self.value]


class Situation(StrEnum):
    """Where the household lives when referred."""

    STREET = "street"
    EMERGENCY_SHELTER = "emergency_shelter"
    CHRS = "chrs"
    HOTEL = "hotel"
    INSTITUTION = "institution"
    HOSTED = "hosted"
    SQUAT = "squat"
    UNFIT_HOUSING = "unfit_housing"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            "street": "À la rue",
            "emergency_shelter": "Hébergement d'urgence",
            "chrs": "CHRS",
            "hotel": "Hôtel",
            "institution": "Sortie d'institution (hôpital, prison, ASE…)",
            "hosted": "Hébergé chez des tiers",
            "squat": "Squat ou abri de fortune",
            "unfit_housing": "Logement indigne ou suroccupé",
            "other": "Autre",
        }[self.value]


class PriorityFlag(StrEnum):
    DALO = "dalo"
    DOMESTIC_VIOLENCE = "domestic_violence"
    CHILD_WELFARE_LEAVER = "child_welfare_leaver"
    PRISON_LEAVER = "prison_leaver"
    HOSPITAL_LEAVER = "hospital_leaver"
    CHILDREN_IN_SHELTER = "children_in_shelter"

    @property
    def label(self) -> str:
        return {
            "dalo": "Reconnu prioritaire DALO",
            "domestic_violence": "Violences conjugales ou intrafamiliales",
            "child_welfare_leaver": "Sortie de l'aide sociale à l'enfance",
            "prison_leaver": "Sortie de détention",
            "hospital_leaver": "Sortie d'hospitalisation",
            "children_in_shelter": "Enfants mineurs sans logement",
        }[self.value]


class Need(StrEnum):
    """Housing needs, recorded as needs, never as diagnoses."""

    STEP_FREE = "step_free"
    GROUND_FLOOR_OR_LIFT = "ground_floor_or_lift"
    PETS = "pets"

    @property
    def label(self) -> str:
        return {
            "step_free": "Accès de plain-pied (sans marche)",
            "ground_floor_or_lift": "Rez-de-chaussée ou ascenseur",
            "pets": "Animal de compagnie",
        }[self.value]


class SupportIntensity(StrEnum):
    NONE = "none"
    LIGHT = "light"
    MEDIUM = "medium"
    INTENSIVE = "intensive"

    @property
    def label(self) -> str:
        return {
            "none": "Pas d'accompagnement",
            "light": "Accompagnement léger",
            "medium": "Accompagnement régulier",
            "intensive": "Accompagnement renforcé",
        }[self.value]


class Sex(StrEnum):
    FEMALE = "F"
    MALE = "M"

    @property
    def label(self) -> str:
        return {"F": "Fille", "M": "Garçon"}[self.value]


class ProposalStatus(StrEnum):
    """Proposal steps; the allowed transitions are in ``agency_backoffice.rules.proposals``."""

    PROPOSED = "proposed"
    VISIT = "visit"
    HOUSEHOLD_ACCEPTED = "household_accepted"
    OWNER_ACCEPTED = "owner_accepted"
    READY_FOR_LEASE = "ready_for_lease"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return {
            "proposed": "Proposé",
            "visit": "Visite",
            "household_accepted": "Accepté par le ménage",
            "owner_accepted": "Accepté par le propriétaire",
            "ready_for_lease": "Prêt pour le bail",
            "declined": "Refusé",
            "withdrawn": "Retiré",
        }[self.value]

    @property
    def is_open(self) -> bool:
        return self not in (ProposalStatus.DECLINED, ProposalStatus.WITHDRAWN)


OPEN_PROPOSAL_STATUSES = tuple(status.value for status in ProposalStatus if status.is_open)


class DeclineParty(StrEnum):
    HOUSEHOLD = "household"
    OWNER = "owner"
    OPERATOR = "operator"

    @property
    def label(self) -> str:
        return {"household": "Ménage", "owner": "Propriétaire", "operator": "Opérateur"}[self.value]


class DeclineReason(StrEnum):
    """Why a proposal ended, each tagged with who declined."""

    HOUSEHOLD_LOCATION = "household_location"
    HOUSEHOLD_COST = "household_cost"
    HOUSEHOLD_UNIT = "household_unit"
    HOUSEHOLD_NOT_READY = "household_not_ready"
    HOUSEHOLD_UNREACHABLE = "household_unreachable"
    HOUSEHOLD_HOUSED_ELSEWHERE = "household_housed_elsewhere"
    OWNER_REFUSED = "owner_refused"
    OWNER_WITHDREW_UNIT = "owner_withdrew_unit"
    OPERATOR_SUPPORT_NOT_READY = "operator_support_not_ready"
    OPERATOR_DOCUMENTS_MISSING = "operator_documents_missing"
    OPERATOR_UNIT_NOT_READY = "operator_unit_not_ready"
    OPERATOR_OTHER = "operator_other"

    @property
    def party(self) -> DeclineParty:
        return DeclineParty(self.value.split("_", 1)[0])

    @property
    def label(self) -> str:
        return {
            "household_location": "Le ménage refuse : localisation",
            "household_cost": "Le ménage refuse : reste à charge trop élevé",
            "household_unit": "Le ménage refuse : logement inadapté (taille, étage, état)",
            "household_not_ready": "Le ménage n'est pas prêt à entrer dans un logement",
            "household_unreachable": "Le ménage n'a pas pu être joint",
            "household_housed_elsewhere": "Le ménage a trouvé une autre solution",
            "owner_refused": "Le propriétaire refuse la candidature",
            "owner_withdrew_unit": "Le propriétaire retire son logement",
            "operator_support_not_ready": "Opérateur : accompagnement pas encore en place",
            "operator_documents_missing": "Opérateur : pièces du dossier manquantes",
            "operator_unit_not_ready": "Opérateur : logement pas prêt (travaux, diagnostics)",
            "operator_other": "Opérateur : autre motif",
        }[self.value]
