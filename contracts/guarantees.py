"""What makes the owner safe, on paper (frozen dataclasses → PDF).

- the attestation de garantie of the operator's own guarantee fund, addressed to the owner;
- the récapitulatif des garanties of a lease (Visale, FSL, fund, GLI…), and under sous-location the guarantee
  that matters most: the association's commitment in the main lease (domain.md §2 and §4).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from reportlab.lib.units import cm

from contracts.agreement_layout import Party, Story, fit_footer, render
from contracts.residential_lease import names
from contracts.typography import date_in_words, money


@dataclass(frozen=True, kw_only=True)
class GuaranteeAttestationDocument:
    reference: str  # « Attestation n° 5 »
    operator: Party  # the guarantor
    beneficiary: Party  # the owner
    tenants: tuple[str, ...]
    unit_address: tuple[str, ...]
    lease_reference: str
    lease_starts_on: date
    monthly_rent: Decimal  # charges excluded
    monthly_charges: Decimal
    covered_months: int  # months of unpaid rent and charges covered
    amount: Decimal  # ceiling of the cover
    starts_on: date
    expires_on: date
    claim_contact: str  # where to send a claim: service, postal or e-mail address
    place: str
    issued_on: date
    signatory: str  # « Nadia Benali, directrice »
    beneficiary_role: str = "propriétaire bailleur"  # « bailleur » when the beneficiary is not the owner


@dataclass(frozen=True)
class GuaranteeLine:
    kind: str  # « Garantie Visale »
    details: tuple[str, ...]  # « Visa n° V123456789 », « Plafond : 1 575,00 € par mois »…


@dataclass(frozen=True)
class AssociationCommitment:
    """Under sous-location: the association pays the owner every month and gives the unit back restored."""

    main_lease_reference: str
    monthly_rent: Decimal
    monthly_charges: Decimal
    until: date


@dataclass(frozen=True, kw_only=True)
class GuaranteeSummaryDocument:
    reference: str
    owner: Party
    operator: Party
    unit_address: tuple[str, ...]
    lease_label: str  # « Bail d'habitation n° 42 du 1er décembre 2026 »
    mode_label: str  # « Mandat de gestion », « Location / sous-location »…
    lines: tuple[GuaranteeLine, ...]
    association_commitment: AssociationCommitment | None = None
    issued_on: date


def render_guarantee_attestation(doc: GuaranteeAttestationDocument) -> bytes:
    """The operator's guarantee fund attestation as PDF bytes (same document, same bytes)."""
    story = Story()
    story.header(
        "Attestation de garantie",
        "Fonds de garantie des loyers et charges impayés — intermédiation locative",
        f"{doc.reference} — délivrée le {date_in_words(doc.issued_on)}",
    )
    operator = doc.operator
    identity = ", ".join(
        part for part in (operator.status, operator.identifier, ", ".join(operator.address_lines)) if part
    )
    story.para(
        f"Je soussigné(e), {doc.signatory}, agissant pour {operator.name}"
        + (f" ({identity})" if identity else "")
        + f", atteste que {operator.name} garantit, sur son fonds de garantie, à {doc.beneficiary.name}, "
        f"{doc.beneficiary_role}"
        + (f" ({', '.join(doc.beneficiary.address_lines)})" if doc.beneficiary.address_lines else "")
        + f", le paiement des loyers et charges impayés par {names(doc.tenants)} au titre du bail "
        f"({doc.lease_reference}) qui a pris effet le {date_in_words(doc.lease_starts_on)}, pour le logement "
        f"situé {', '.join(doc.unit_address)}."
    )
    story.facts(
        [
            ("Loyer mensuel hors charges", money(doc.monthly_rent)),
            ("Charges mensuelles", money(doc.monthly_charges)),
            ("Durée couverte", f"{doc.covered_months} mois d'impayés au plus"),
            ("Plafond de la garantie", money(doc.amount)),
            (
                "Période de validité",
                f"du {date_in_words(doc.starts_on)} au {date_in_words(doc.expires_on)} inclus",
            ),
        ]
    )
    story.box(
        f"{operator.name} paie à {doc.beneficiary.name} les loyers et charges restés impayés pendant la période de "
        f"validité, dans la limite de {doc.covered_months} mois et d'au plus {money(doc.amount)} au total."
    )

    story.para("Mise en jeu de la garantie", "article")
    story.para(
        f"Le bénéficiaire, ou son mandataire, adresse une demande écrite à {doc.claim_contact}, accompagnée du "
        "décompte des sommes impayées (échéances appelées et paiements reçus, mois par mois), de la copie des "
        "relances adressées au locataire et de la copie du bail. Les impayés nés pendant la période de validité "
        "restent couverts lorsque la demande arrive après son expiration. Une fois les sommes réglées, le garant "
        "est subrogé dans les droits du bénéficiaire à l'égard du locataire pour les recouvrer."
    )

    story.para("Ce qui n'est pas couvert", "article")
    story.bullets(
        [
            "les impayés nés avant le début ou après la fin de la période de validité, ou après le départ du "
            "locataire ;",
            "les sommes au-delà du plafond ou du nombre de mois couverts ;",
            "les dégradations locatives et les frais de remise en état ;",
            "les pénalités, intérêts de retard, frais de procédure et d'huissier (commissaire de justice) ;",
            "les sommes qui ne relèvent pas du loyer et des charges récupérables prévus au bail.",
        ]
    )
    story.para("La présente attestation est délivrée pour servir et valoir ce que de droit.")

    story.signatures_many(
        place=doc.place,
        signed_on=doc.issued_on,
        boxes=[(f"Pour {operator.name}", doc.signatory)],
        copies=None,
        caption="Signature et cachet :",
    )
    return render(
        story,
        title=f"Attestation de garantie — {doc.reference}",
        footer=fit_footer(f"Attestation de garantie — {doc.reference} — {operator.name} / {doc.beneficiary.name}"),
        initials="",
        issued_on=doc.issued_on,
        author=operator.name,
    )


def render_guarantee_summary(doc: GuaranteeSummaryDocument) -> bytes:
    """The owner's summary of a lease's guarantees as PDF bytes (same document, same bytes)."""
    story = Story()
    story.header(
        "Récapitulatif des garanties",
        f"Ce qui protège votre loyer — {doc.lease_label}",
        f"{doc.reference} — établi le {date_in_words(doc.issued_on)}",
    )
    story.para(
        f"À l'attention de {doc.owner.name}"
        + (f", {', '.join(doc.owner.address_lines)}" if doc.owner.address_lines else ""),
        "strong",
    )
    story.facts(
        [
            ("Logement", ", ".join(doc.unit_address)),
            ("Bail", doc.lease_label),
            ("Mode de gestion", doc.mode_label),
            ("Opérateur", doc.operator.name),
        ]
    )

    commitment = doc.association_commitment
    if commitment is not None:
        story.para("L'engagement de l'association", "article")
        story.box(
            f"Votre garantie, c'est l'engagement de {doc.operator.name} dans le bail principal "
            f"({commitment.main_lease_reference}) : elle vous paie {money(commitment.monthly_rent)} de loyer et "
            f"{money(commitment.monthly_charges)} de charges, soit "
            f"{money(commitment.monthly_rent + commitment.monthly_charges)} chaque mois jusqu'au "
            f"{date_in_words(commitment.until)}, même si le logement est vacant et même si l'occupant ne paie pas. "
            "À la fin du bail, elle vous rend le logement remis en état, sans aucun frais pour vous, l'usure "
            "normale exceptée."
        )

    story.para("Garanties enregistrées" if commitment is None else "Garanties complémentaires", "article")
    for line in doc.lines:
        story.para(line.kind, "strong")
        story.bullets(line.details)
        story.space(0.15 * cm)
    if not doc.lines:
        story.para(
            "Aucune garantie complémentaire n'est enregistrée pour ce bail : l'engagement de l'association "
            "ci-dessus reste votre garantie."
            if commitment is not None
            else f"Aucune garantie n'est enregistrée à ce jour pour ce bail. Si vous pensez qu'il s'agit d'une "
            f"erreur, contactez {doc.operator.name}."
        )

    story.space()
    story.para(
        "Ce récapitulatif est un document d'information : seuls les contrats, visas et attestations de garantie "
        "font foi, dans leurs propres conditions.",
        "small",
    )
    return render(
        story,
        title=f"Récapitulatif des garanties — {doc.reference}",
        footer=fit_footer(f"Récapitulatif des garanties — {doc.reference} — {doc.owner.name}"),
        initials="",
        issued_on=doc.issued_on,
        author=doc.operator.name,
    )
