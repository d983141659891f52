"""Enumerations of the capture domain, with their French labels."""

from __future__ import annotations

from enum import StrEnum


class LandlordKind(StrEnum):
    PERSON = "person"
    FAMILY_SCI = "family_sci"
    SCI = "sci"
    INDIVISION = "indivision"

    @property
    def label(self) -> str:
        return {
            "person": "Personne physique",
            "family_sci": "SCI familiale",
            "sci": "Société (SCI ou autre personne morale)",
            "indivision": "Indivision",
        }[self.value]

    @property
    def is_legal_person(self) -> bool:
        """Loi 89-462 art. 10: 6-year leases for legal persons; a family SCI counts as a natural person."""
        return self is LandlordKind.SCI


class IMLMode(StrEnum):
    MANDATE = "mandate"
    SUBLEASE = "sublease"
    BAIL_GLISSANT = "bail_glissant"

    @property
    def label(self) -> str:
        return {
            "mandate": "Mandat de gestion",
            "sublease": "Location / sous-location",
            "bail_glissant": "Bail glissant",
        }[self.value]

    @property
    def is_sublease(self) -> bool:
        """A bail glissant starts as a sous-location."""
        return self is not IMLMode.MANDATE


class ConventionLevel(StrEnum):
    NONE = "none"
    LOC1 = "loc1"
    LOC2 = "loc2"
    LOC3 = "loc3"

    @property
    def label(self) -> str:
        return {
            "none": "Sans convention",
            "loc1": "Loc1 (intermédiaire)",
            "loc2": "Loc2 (social)",
            "loc3": "Loc3 (très social)",
        }[self.value]


class DeclarationStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


class Heating(StrEnum):
    INDIVIDUAL_GAS = "individual_gas"
    INDIVIDUAL_ELECTRIC = "individual_electric"
    HEAT_PUMP = "heat_pump"
    COLLECTIVE = "collective"
    WOOD = "wood"
    FUEL_OIL = "fuel_oil"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            "individual_gas": "Individuel au gaz",
            "individual_electric": "Individuel électrique",
            "heat_pump": "Pompe à chaleur",
            "collective": "Collectif",
            "wood": "Bois / granulés",
            "fuel_oil": "Fioul",
            "other": "Autre",
        }[self.value]


class CaptureStage(StrEnum):
    NEW = "new"
    CONTACTED = "contacted"
    VISIT_PLANNED = "visit_planned"
    VISITED = "visited"
    PROPOSAL_SENT = "proposal_sent"
    SIGNED = "signed"
    LOST = "lost"
    PAUSED = "paused"

    @property
    def label(self) -> str:
        return {
            "new": "Nouveau",
            "contacted": "Contacté",
            "visit_planned": "Visite planifiée",
            "visited": "Visite réalisée",
            "proposal_sent": "Proposition envoyée",
            "signed": "Accord signé (capté)",
            "lost": "Perdu",
            "paused": "En pause",
        }[self.value]


class LeadSource(StrEnum):
    PORTAL = "portal"
    CALLBACK = "callback"
    PHONE = "phone"
    OFFICE_HOURS = "office_hours"
    PARTNER = "partner"
    CAMPAIGN = "campaign"

    @property
    def label(self) -> str:
        return {
            "portal": "Portail propriétaires",
            "callback": "Demande de rappel",
            "phone": "Numéro unique",
            "office_hours": "Permanence",
            "partner": "Orientation d'un partenaire",
            "campaign": "Campagne",
        }[self.value]


class ActivityKind(StrEnum):
    CALL = "call"
    EMAIL = "email"
    LETTER = "letter"
    VISIT = "visit"
    NOTE = "note"

    @property
    def label(self) -> str:
        return {"call": "Appel", "email": "E-mail", "letter": "Courrier", "visit": "Visite", "note": "Note"}[self.value]


class CampaignChannel(StrEnum):
    LETTERS = "letters"
    POSTERS = "posters"
    SOCIAL_MEDIA = "social_media"
    PRESS = "press"
    EVENT = "event"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            "letters": "Courriers",
            "posters": "Affichage",
            "social_media": "Réseaux sociaux",
            "press": "Presse",
            "event": "Réunion publique / salon",
            "other": "Autre",
        }[self.value]


class AssessmentOutcome(StrEnum):
    ELIGIBLE = "eligible"
    ELIGIBLE_AFTER_WORKS = "eligible_after_works"
    NOT_ELIGIBLE = "not_eligible"

    @property
    def label(self) -> str:
        return {
            "eligible": "Éligible",
            "eligible_after_works": "Éligible après travaux",
            "not_eligible": "Non éligible",
        }[self.value]


class SignatureMethod(StrEnum):
    PAPER = "paper"
    CLICK = "click"

    @property
    def label(self) -> str:
        return {"paper": "Signature sur papier", "click": "Acceptation en ligne"}[self.value]


class StockStatus(StrEnum):
    AVAILABLE = "available"
    LET = "let"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return {"available": "Disponible", "let": "Loué", "withdrawn": "Retiré"}[self.value]


class FollowUpKind(StrEnum):
    CONVENTION_REQUEST = "convention_request"
    IML_PREMIUM_CLAIM = "iml_premium_claim"
    CONVENTION_END = "convention_end"

    @property
    def label(self) -> str:
        return {
            "convention_request": "Demande de convention Anah (Loc'Avantages)",
            "iml_premium_claim": "Demande de prime d'intermédiation locative Anah",
            "convention_end": "Fin de l'engagement Loc'Avantages",
        }[self.value]
