"""Vocabulary of the rent ledger, arrears, revisions and owner payouts (values stored, French labels shown)."""

from __future__ import annotations

from enum import StrEnum


class EntryKind(StrEnum):
    """What a ledger entry is. Calls and refunds are debits (> 0), payments credits (< 0), corrections either."""

    CALL = "call"
    PAYMENT = "payment"
    REFUND = "refund"
    CORRECTION = "correction"

    @property
    def label(self) -> str:
        return {
            "call": "Appel de loyer",
            "payment": "Paiement",
            "refund": "Remboursement",
            "correction": "Régularisation",
        }[self.value]


class PaymentMethod(StrEnum):
    TRANSFER = "transfer"
    CHEQUE = "cheque"
    CASH = "cash"
    CAF = "caf"
    MSA = "msa"
    FSL = "fsl"
    GUARANTEE = "guarantee"
    STRIPE = "stripe"

    @property
    def label(self) -> str:
        return {
            "transfer": "Virement",
            "cheque": "Chèque",
            "cash": "Espèces",
            "caf": "Aide au logement versée par la CAF",
            "msa": "Aide au logement versée par la MSA",
            "fsl": "Fonds de solidarité logement (FSL)",
            "guarantee": "Versement d'une garantie (Visale, fonds, GLI…)",
            "stripe": "Paiement en ligne",
        }[self.value]

    @property
    def is_housing_benefit(self) -> bool:
        return self in (PaymentMethod.CAF, PaymentMethod.MSA)


MANUAL_PAYMENT_METHODS = tuple(method for method in PaymentMethod if method is not PaymentMethod.STRIPE)


class BenefitPayer(StrEnum):
    """Who pays the housing benefit directly to the operator (tiers payant)."""

    CAF = "caf"
    MSA = "msa"

    @property
    def label(self) -> str:
        return {"caf": "CAF", "msa": "MSA"}[self.value]


class LedgerDocumentKind(StrEnum):
    NOTICE = "notice"
    QUITTANCE = "quittance"
    RECU = "recu"

    @property
    def label(self) -> str:
        return {"notice": "Avis d'échéance", "quittance": "Quittance de loyer", "recu": "Reçu de paiement partiel"}[
            self.value
        ]


class PaymentLinkStatus(StrEnum):
    OPEN = "open"
    PROCESSING = "processing"
    PAID = "paid"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return {
            "open": "En attente de paiement",
            "processing": "Paiement en cours",
            "paid": "Payé",
            "failed": "Paiement échoué",
            "cancelled": "Annulé",
        }[self.value]


class ArrearsTaskKind(StrEnum):
    """The clocks of domain.md §8, each a task with a due date."""

    REMINDER = "reminder"
    VISALE_NOTICE = "visale_notice"
    VISALE_CLAIM = "visale_claim"
    CAF_REPORT = "caf_report"
    REPAYMENT_PLAN = "repayment_plan"
    FSL_REQUEST = "fsl_request"
    CCAPEX_REFERRAL = "ccapex_referral"

    @property
    def label(self) -> str:
        return {
            "reminder": "Courrier de relance amiable",
            "visale_notice": "Mise en demeure (Visale)",
            "visale_claim": "Déclaration de sinistre Visale",
            "caf_report": "Signalement de l'impayé à la CAF / MSA",
            "repayment_plan": "Proposer un plan d'apurement",
            "fsl_request": "Demande d'aide au FSL",
            "ccapex_referral": "Saisine de la CCAPEX",
        }[self.value]


class PlanStatus(StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    BROKEN = "broken"

    @property
    def label(self) -> str:
        return {"active": "En cours", "completed": "Soldé", "broken": "Non respecté"}[self.value]


class RevisionStatus(StrEnum):
    """A yearly IRL revision: proposed for staff review, applied, waiting for the index, or set aside."""

    WAITING_INDEX = "waiting_index"
    PROPOSED = "proposed"
    APPLIED = "applied"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return {
            "waiting_index": "En attente de l'indice",
            "proposed": "À valider",
            "applied": "Appliquée",
            "cancelled": "Non appliquée",
        }[self.value]
