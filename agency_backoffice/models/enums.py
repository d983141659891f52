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
    LEASED = "leased"
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
            "leased": "Bail signé",
            "declined": "Refusé",
            "withdrawn": "Retiré",
        }[self.value]

    @property
    def is_open(self) -> bool:
        return self not in (ProposalStatus.LEASED, ProposalStatus.DECLINED, ProposalStatus.WITHDRAWN)


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


# --- leases, guarantees, bail glissant --------------------------------------------------------------------------


class LeaseKind(StrEnum):
    """Who lets to the household: the owner (loi 89 lease, under mandate or after a slide) or the association."""

    DIRECT = "direct"
    SUBLEASE = "sublease"

    @property
    def label(self) -> str:
        return {
            "direct": "Bail d'habitation (loi du 6 juillet 1989)",
            "sublease": "Sous-location (convention d'occupation)",
        }[self.value]


class LeaseStatus(StrEnum):
    """draft → signed → active → ended; the transitions are in ``agency_backoffice.rules.leases``."""

    DRAFT = "draft"
    SIGNED = "signed"
    ACTIVE = "active"
    ENDED = "ended"

    @property
    def label(self) -> str:
        return {"draft": "Brouillon", "signed": "Signé", "active": "En cours", "ended": "Terminé"}[self.value]

    @property
    def in_force(self) -> bool:
        """A signed or running lease holds the unit (one per unit, enforced by the database)."""
        return self in (LeaseStatus.SIGNED, LeaseStatus.ACTIVE)


IN_FORCE_LEASE_STATUSES = tuple(status.value for status in LeaseStatus if status.in_force)


class ChargesMethod(StrEnum):
    PROVISION = "provision"
    FLAT = "flat"

    @property
    def label(self) -> str:
        return {
            "provision": "Provision mensuelle avec régularisation annuelle sur justificatifs",
            "flat": "Forfait mensuel",
        }[self.value]


class LeaseSignatureMethod(StrEnum):
    PAPER = "paper"
    ELECTRONIC = "electronic"

    @property
    def label(self) -> str:
        return {"paper": "Signature manuscrite", "electronic": "Signature électronique"}[self.value]


class LeaseEndReason(StrEnum):
    TENANT_NOTICE = "tenant_notice"
    OWNER_NOTICE = "owner_notice"
    SUBLEASE_TERM = "sublease_term"
    SLIDE = "slide"
    REHOUSED = "rehoused"
    TERMINATION = "termination"
    DEATH = "death"
    CANCELLED = "cancelled"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            "tenant_notice": "Congé donné par le ménage",
            "owner_notice": "Congé donné par le bailleur",
            "sublease_term": "Fin de la sous-location à son terme",
            "slide": "Glissement du bail : le ménage devient locataire en titre",
            "rehoused": "Relogement du ménage dans un logement pérenne",
            "termination": "Résiliation (clause résolutoire ou décision de justice)",
            "death": "Décès du locataire",
            "cancelled": "Annulé avant l'entrée dans les lieux",
            "other": "Autre motif",
        }[self.value]


class LeaseAnnex(StrEnum):
    """Documents annexed to a loi 89 lease (art. 3 and 3-3): which apply depends on the unit."""

    INVENTORY = "inventory"
    NOTICE = "notice"
    DPE = "dpe"
    ERP = "erp"
    LEAD = "lead"
    ASBESTOS = "asbestos"
    GAS = "gas"
    ELECTRICITY = "electricity"
    NOISE = "noise"
    CONDOMINIUM_RULES = "condominium_rules"

    @property
    def label(self) -> str:
        return {
            "inventory": "État des lieux d'entrée",
            "notice": "Notice d'information relative aux droits et obligations des locataires et des bailleurs",
            "dpe": "Diagnostic de performance énergétique (DPE)",
            "erp": "État des risques et pollutions (moins de 6 mois)",
            "lead": "Constat de risque d'exposition au plomb (immeuble construit avant 1949)",
            "asbestos": "État mentionnant l'absence ou la présence d'amiante (permis de construire avant 1997)",
            "gas": "État de l'installation intérieure de gaz (installation de plus de 15 ans)",
            "electricity": "État de l'installation intérieure d'électricité (installation de plus de 15 ans)",
            "noise": "Diagnostic bruit (zone d'exposition au bruit d'un aérodrome)",
            "condominium_rules": "Extraits du règlement de copropriété (jouissance et charges)",
        }[self.value]


class GuaranteeKind(StrEnum):
    VISALE = "visale"
    FSL = "fsl"
    OPERATOR_FUND = "operator_fund"
    GLI = "gli"
    PERSONAL_GUARANTOR = "personal_guarantor"

    @property
    def label(self) -> str:
        return {
            "visale": "Visale (Action Logement)",
            "fsl": "Fonds de solidarité pour le logement (FSL)",
            "operator_fund": "Fonds de garantie de l'opérateur",
            "gli": "Garantie loyers impayés (assurance GLI)",
            "personal_guarantor": "Caution personnelle",
        }[self.value]


class VisaleArea(StrEnum):
    """The three Visale rent caps from 6 January 2026 (before: Île-de-France and elsewhere)."""

    ILE_DE_FRANCE = "idf"
    LARGE_AGGLOMERATION = "large_agglomeration"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            "idf": "Île-de-France",
            "large_agglomeration": "Agglomération de plus de 100 000 habitants, Corse ou outre-mer",
            "other": "Ailleurs",
        }[self.value]


class LeaseDocumentKind(StrEnum):
    LEASE = "lease"
    SUBLEASE = "sublease"
    TRIPARTITE = "tripartite"
    GUARANTEE_ATTESTATION = "guarantee_attestation"
    GUARANTEE_SUMMARY = "guarantee_summary"

    @property
    def label(self) -> str:
        return {
            "lease": "Bail d'habitation",
            "sublease": "Contrat de sous-location",
            "tripartite": "Convention tripartite de bail glissant",
            "guarantee_attestation": "Attestation de garantie",
            "guarantee_summary": "Récapitulatif des garanties pour le propriétaire",
        }[self.value]

    @property
    def for_owner(self) -> bool:
        """The owner is a party to the direct lease and the tripartite agreement, and gets the summary.

        The sub-lease is between the association and the household: the owner has no part in it (and it holds
        the household's personal data); the operator's attestation goes to the household and the owner's copy
        is the summary.
        """
        return self in (LeaseDocumentKind.LEASE, LeaseDocumentKind.TRIPARTITE, LeaseDocumentKind.GUARANTEE_SUMMARY)


class ReviewDecision(StrEnum):
    RENEW = "renew"
    SLIDE = "slide"
    END = "end"

    @property
    def label(self) -> str:
        return {
            "renew": "Renouveler la sous-location",
            "slide": "Faire glisser le bail",
            "end": "Mettre fin à la sous-location",
        }[self.value]


class GoalProgress(StrEnum):
    MET = "met"
    PARTLY = "partly"
    NOT_MET = "not_met"

    @property
    def label(self) -> str:
        return {"met": "Atteints", "partly": "En partie atteints", "not_met": "Non atteints"}[self.value]


class DepositOutcome(StrEnum):
    """What happens to the household's deposit when the lease slides."""

    TRANSFERRED = "transferred"
    RETURNED = "returned"
    NONE = "none"

    @property
    def label(self) -> str:
        return {
            "transferred": "Transféré au propriétaire comme dépôt de garantie du nouveau bail",
            "returned": "Restitué au ménage par l'association (nouveau dépôt versé au propriétaire)",
            "none": "Aucun dépôt de garantie",
        }[self.value]
