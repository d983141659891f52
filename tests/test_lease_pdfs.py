"""The lease documents (contracts/residential_lease.py, sublease.py, tripartite.py, guarantees.py): every
mandatory mention read back with pypdf, the optional branches, and the same bytes for the same input."""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
from dataclasses import replace
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest
from pypdf import PdfReader

from contracts.agreement_layout import Convention, Party, UnitDescription, fit_footer
from contracts.guarantees import (
    AssociationCommitment,
    GuaranteeAttestationDocument,
    GuaranteeLine,
    GuaranteeSummaryDocument,
    render_guarantee_attestation,
    render_guarantee_summary,
)
from contracts.residential_lease import (
    LeaseSignature,
    ResidentialLeaseDocument,
    SlideMention,
    render_residential_lease,
)
from contracts.sublease import MainLeaseMention, SubleaseDocument, SupportMention, render_sublease
from contracts.tripartite import TripartiteDocument, render_tripartite
from tests.test_agreement_pdfs import text_of

OWNER = Party("Claire Dupont-Moreau", ("12 rue des Lilas", "69003 Lyon"), status="personne physique")
AIS = Party(
    "AIS Louer solidaire",
    ("5 place Bellecour, 69002 Lyon",),
    status="Agence immobilière sociale",
    identifier="SIRET 12345678900012",
)
ASSOCIATION = Party(
    "Habitat Solidaire Rhône",
    ("1 rue Garibaldi, 69007 Lyon",),
    status="Association agréée (CCH L.365-4)",
    represented_by="Mme Nadia Benali, directrice",
)
UNIT = UnitDescription(("8 rue Paul Bert", "appartement 3B", "69003 Lyon"), D("45.5"), D("6"), 2, "D")
ADDRESS = ("8 rue Paul Bert", "appartement 3B", "69003 Lyon")
CONVENTION = Convention("Loc2 (social)", D("1612.34"), date(2026, 11, 22), 6, 2)
ANNEXES = (
    "État des lieux d'entrée",
    "Notice d'information (arrêté du 29 mai 2015)",
    "Diagnostic de performance énergétique",
    "État des risques et pollutions de moins de six mois",
    "Constat de risque d'exposition au plomb",
)

LEASE = ResidentialLeaseDocument(
    reference="Bail n° 42",
    landlord=OWNER,
    agent=AIS,
    agent_mandate="mandat de gestion n° 12 du 1er décembre 2026",
    landlord_is_legal_person=False,
    tenants=("Amina Diallo", "Karim Benali"),
    unit=UNIT,
    private_parts="cave n° 14 au sous-sol",
    common_parts="hall, escalier, local à vélos, cour intérieure",
    equipment="cuisine équipée (plaques, hotte), chauffage individuel au gaz, fibre optique",
    starts_on=date(2026, 12, 1),
    duration_months=36,
    last_day=date(2029, 11, 30),
    rent=D("1234.56"),
    charges=D("85"),
    charges_method="Provision mensuelle avec régularisation annuelle sur justificatifs",
    deposit=D("1234.56"),
    payment_day=5,
    irl_quarter=3,
    irl_reference="3e trimestre 2025 : 145,77",
    previous_rent=D("1190"),
    previous_tenant_left_on=date(2026, 6, 30),
    works="Remplacement des fenêtres du séjour en mars 2026, pour 4 800,00 €.",
    annexes=ANNEXES,
    convention=CONVENTION,
    housing_benefit_to_agent=True,
    place="Lyon",
    issued_on=date(2026, 11, 22),
)
SLIDE = SlideMention(
    sublease_reference="Sous-location n° 7",
    occupied_since=date(2025, 3, 1),
    tripartite_reference="Convention tripartite n° 3",
    deposit_outcome="Le dépôt de garantie de 480,00 € versé à l'association est transféré au bailleur.",
)
SLID_LEASE = replace(
    LEASE,
    reference="Bail n° 57",
    agent=None,
    agent_mandate=None,
    tenants=("Amina Diallo",),
    private_parts=None,
    common_parts=None,
    equipment=None,
    rent=D("480"),
    charges=D("50"),
    deposit=D("480"),
    payment_day=1,
    irl_reference=None,
    previous_rent=None,
    previous_tenant_left_on=None,
    works=None,
    convention=None,
    slide=SLIDE,
    housing_benefit_to_agent=False,
    starts_on=date(2026, 9, 1),
    last_day=date(2029, 8, 31),
    issued_on=date(2026, 8, 20),
)
SUBLEASE = SubleaseDocument(
    reference="Sous-location n° 7",
    association=ASSOCIATION,
    occupants=("Amina Diallo",),
    owner_name="Claire Dupont-Moreau",
    main_lease=MainLeaseMention("Accord n° 13", date(2026, 12, 1), date(2029, 11, 30), D("480"), D("50")),
    unit=UNIT,
    starts_on=date(2026, 12, 15),
    duration_months=18,
    last_day=date(2028, 6, 14),
    rent=D("455.5"),
    charges=D("50"),
    charges_method="Provision mensuelle régularisée chaque année",
    deposit=D("455.5"),
    payment_day=10,
    support=SupportMention(
        "accompagnement vers et dans le logement (AVDL)",
        "renforcée",
        "Habitat Solidaire Rhône — Julien Martin, travailleur social",
        date(2026, 12, 2),
    ),
    sliding=True,
    review_months=6,
    convention=CONVENTION,
    irl_quarter=2,
    place="Lyon",
    issued_on=date(2026, 12, 3),
)
TRIPARTITE = TripartiteDocument(
    reference="Convention tripartite n° 3",
    owner=OWNER,
    association=ASSOCIATION,
    household=("Amina Diallo", "Moussa Diallo"),
    unit_address=ADDRESS,
    main_lease_reference="Accord n° 13",
    sublease_reference="Sous-location n° 7",
    sublease_starts_on=date(2026, 12, 15),
    sublease_last_day=date(2027, 12, 14),
    review_months=6,
    review_dates=(date(2027, 6, 15), date(2027, 12, 1), date(2028, 6, 1)),
    support_max_months=24,
    slide_target_months=24,
    rent=D("480"),
    charges=D("50"),
    deposit=D("480"),
    deposit_outcome="À la date du glissement, l'association transfère le dépôt de garantie au propriétaire.",
    place="Lyon",
    issued_on=date(2026, 12, 3),
)
ATTESTATION = GuaranteeAttestationDocument(
    reference="Attestation n° 5",
    operator=AIS,
    beneficiary=OWNER,
    tenants=("Amina Diallo", "Karim Benali"),
    unit_address=ADDRESS,
    lease_reference="Bail n° 42",
    lease_starts_on=date(2026, 12, 1),
    monthly_rent=D("1234.56"),
    monthly_charges=D("85"),
    covered_months=6,
    amount=D("7917.36"),
    starts_on=date(2026, 12, 1),
    expires_on=date(2028, 11, 30),
    claim_contact="AIS Louer solidaire, service garanties, garanties@ais-louer-solidaire.example",
    place="Lyon",
    issued_on=date(2026, 11, 25),
    signatory="Nadia Benali, directrice",
)
SUMMARY = GuaranteeSummaryDocument(
    reference="Récapitulatif n° 9",
    owner=OWNER,
    operator=AIS,
    unit_address=ADDRESS,
    lease_label="Bail d'habitation n° 42 du 1er décembre 2026",
    mode_label="Mandat de gestion",
    lines=(
        GuaranteeLine(
            "Garantie Visale",
            ("Visa n° V2026-123456", "Plafond de loyer : 1 575,00 € par mois", "Couverture jusqu'au 30 novembre 2029"),
        ),
        GuaranteeLine("Fonds de solidarité pour le logement (Rhône)", ("Décision du 20 novembre 2026 : 1 234,56 €",)),
        GuaranteeLine("Fonds de garantie de l'AIS", ("Attestation n° 5 : 6 mois, au plus 7 917,36 €",)),
    ),
    issued_on=date(2026, 11, 25),
)
SUBLET_SUMMARY = replace(
    SUMMARY,
    operator=ASSOCIATION,
    lease_label="Bail à l'association n° 13",
    mode_label="Location / sous-location",
    lines=(),
    association_commitment=AssociationCommitment("Accord n° 13", D("480"), D("50"), date(2029, 11, 30)),
)


def pages_footer(text: str, pages: int) -> None:
    assert f"page 1 / {pages}" in text and f"page {pages} / {pages}" in text


# --- bail d'habitation loi 89 ------------------------------------------------------------------------------


def test_lease_under_mandate_carries_every_article_3_mention() -> None:
    text, pages = text_of(render_residential_lease(LEASE))
    assert "Contrat de location — logement nu" in text and "loi n° 89-462 du 6 juillet 1989" in text
    assert "Bail n° 42 — établi le 22 novembre 2026" in text
    # Landlord, and the agent with their address and mandate (art. 3).
    assert "Le bailleur — Claire Dupont-Moreau" in text and "12 rue des Lilas, 69003 Lyon" in text
    assert "représenté(e) par son mandataire AIS Louer solidaire" in text
    assert "SIRET 12345678900012" in text and "5 place Bellecour, 69002 Lyon" in text
    assert "agissant en vertu du mandat de gestion n° 12 du 1er décembre 2026" in text
    assert "Les locataires — Amina Diallo et Karim Benali" in text
    # Designation, surface, use, private and common parts, equipment.
    assert "8 rue Paul Bert, appartement 3B, 69003 Lyon" in text
    assert "Surface habitable 45,50 m²" in text and "Pièces principales 2" in text
    assert "Classe énergie (DPE) D" in text and "résidence principale" in text
    assert "Parties privatives cave n° 14 au sous-sol" in text
    assert "Parties et équipements communs hall, escalier, local à vélos" in text
    assert "chauffage individuel au gaz" in text
    # Start, duration and why.
    assert "prend effet le 1er décembre 2026 pour une durée de 36 mois (3 ans), soit jusqu'au 30 novembre 2029" in text
    assert "personne physique, la durée du bail est au moins de trois ans (article 10 de la loi)" in text
    assert "reconduit tacitement pour trois ans" in text
    # Rent, payment, tiers payant.
    assert "Loyer mensuel hors charges 1 234,56 €" in text
    assert "Charges récupérables 85,00 € par mois" in text and "Total mensuel 1 319,56 €" in text
    assert "le 5 de chaque mois" in text and "entre les mains du mandataire" in text
    assert "tiers payant" in text
    # Revision: anniversary, IRL reference quarter, DPE F/G freeze, convention cap.
    assert "date anniversaire du contrat, le 1er décembre" in text
    assert "Trimestre de référence : le 3e trimestre" in text
    assert "Indice de référence connu à la signature : 3e trimestre 2025 : 145,77" in text
    assert "article 17-1" in text and "F ou G" in text and "Climat et résilience" in text
    # Charges, deposit (art. 22), previous rent, rent control, works.
    assert "Modalité de récupération : provision mensuelle avec régularisation annuelle sur justificatifs" in text
    assert "article 23" in text
    assert "dépôt de garantie de 1 234,56 €" in text and "article 22" in text
    assert "d'un mois" in text and "de deux mois" in text
    assert (
        "Dernier loyer acquitté par le précédent locataire, qui a quitté le logement le 30 juin 2026 : 1 190,00 €"
        in text
    )
    assert "Encadrement des loyers : sans objet" in text
    assert "Remplacement des fenêtres du séjour en mars 2026, pour 4 800,00 €." in text
    assert "risques locatifs" in text and "Clause résolutoire" in text and "six semaines" in text
    # Loc'Avantages.
    assert "Loc'Avantages, niveau Loc2 (social), pour 6 ans" in text
    assert "1 612,34 € par mois hors charges au 22 novembre 2026" in text
    assert "ressources de son ménage ne dépassent pas le plafond" in text
    assert "décret n° 2015-587 du 29 mai 2015 ne s'applique pas" in text and "L.321-8" in text
    # Annexes and signatures.
    for annex in ANNEXES:
        assert annex in text
    assert "Le mandataire, pour le bailleur AIS Louer solidaire" in text
    assert "Le locataire Amina Diallo" in text and "Le locataire Karim Benali" in text
    assert "Fait à Lyon, le ____" in text and "en trois exemplaires originaux" in text
    assert "Paraphes : bailleur ________ locataire(s) ________" in text
    assert "Signature enregistrée" not in text
    pages_footer(text, pages)


def test_direct_lease_after_a_slide() -> None:
    text, pages = text_of(render_residential_lease(SLID_LEASE))
    assert "Glissement du bail" in text
    assert "convention tripartite (Convention tripartite n° 3)" in text
    assert "occupe déjà le logement depuis le 1er mars 2025" in text
    assert "contrat de sous-location (Sous-location n° 7) qui a pris fin le 31 août 2026" in text
    assert "Le dépôt de garantie de 480,00 € versé à l'association est transféré au bailleur." in text
    assert "Le locataire — Amina Diallo" in text and "mandataire" not in text
    assert "Le bailleur Claire Dupont-Moreau" in text and "en deux exemplaires originaux" in text
    assert "le 1er de chaque mois" in text and "payés au bailleur" in text
    assert "Dernier loyer acquitté par le précédent locataire : sans objet" in text
    assert "Aucuns travaux n'ont été réalisés" in text
    assert "Indice de référence connu" not in text and "tiers payant" not in text
    # No convention: the contrat type applies, no Loc'Avantages article.
    assert "Loc'Avantages" not in text and "contrat type défini par le décret n° 2015-587" in text
    assert "Parties privatives le logement seul" in text and "Parties et équipements communs sans objet" in text
    pages_footer(text, pages)


def test_legal_person_landlord_lets_for_six_years_and_rent_control_is_printed() -> None:
    lease = replace(
        LEASE,
        landlord=Party("SCI Les Tilleuls", ("3 quai Perrache", "69002 Lyon"), status="société civile immobilière"),
        landlord_is_legal_person=True,
        duration_months=72,
        last_day=date(2032, 11, 30),
        rent_control="loyer de référence 14,20 €/m², loyer de référence majoré 17,04 €/m², aucun complément.",
    )
    text, _ = text_of(render_residential_lease(lease))
    assert "72 mois (6 ans)" in text and "personne morale, la durée du bail est au moins de six ans" in text
    assert "reconduit tacitement pour six ans" in text
    assert "Encadrement des loyers : loyer de référence 14,20 €/m², loyer de référence majoré 17,04 €/m²" in text


def test_lease_dpe_f_or_g_says_rent_cannot_rise() -> None:
    lease = replace(LEASE, unit=replace(UNIT, dpe_class="F"))
    text, _ = text_of(render_residential_lease(lease))
    assert "Le logement étant classé F au diagnostic de performance énergétique" in text
    assert "aucune hausse" in text


def test_signed_lease_records_the_signature() -> None:
    signed = replace(
        LEASE,
        signature=LeaseSignature(
            date(2026, 11, 28), "Signature manuscrite en agence", "AIS Louer solidaire, Amina Diallo et Karim Benali"
        ),
    )
    text, _ = text_of(render_residential_lease(signed))
    assert "Fait à Lyon, le 28 novembre 2026, en trois exemplaires originaux" in text
    assert (
        "Signature enregistrée : signature manuscrite en agence par AIS Louer solidaire, Amina Diallo et Karim "
        "Benali, le 28 novembre 2026." in text
    )


def test_lease_refuses_an_impossible_irl_quarter() -> None:
    with pytest.raises(ValueError, match="irl_quarter"):
        replace(LEASE, irl_quarter=5)


# --- sous-location -----------------------------------------------------------------------------------------


def test_sublease_stays_within_the_main_lease_and_carries_the_support_clause() -> None:
    text, pages = text_of(render_sublease(SUBLEASE))
    assert (
        "Contrat de sous-location — bail glissant" in text and "Sous-location n° 7 — établi le 3 décembre 2026" in text
    )
    assert "L'association — Habitat Solidaire Rhône" in text and "représenté(e) par Mme Nadia Benali" in text
    assert "L'occupant — Amina Diallo" in text
    assert "bail principal (Accord n° 13) conclu avec Claire Dupont-Moreau, propriétaire" in text
    assert "a pris effet le 1er décembre 2026 et court jusqu'au 30 novembre 2029" in text
    assert "autorisation écrite du propriétaire" in text and "article 8 de la loi n° 89-462" in text
    assert "8 rue Paul Bert, appartement 3B, 69003 Lyon" in text and "Surface habitable 45,50 m²" in text
    assert "prend effet le 15 décembre 2026 pour une durée de 18 mois, soit jusqu'au 14 juin 2028" in text
    assert "au-delà du bail principal, qui prend fin le 30 novembre 2029" in text
    assert "Redevance mensuelle hors charges 455,50 €" in text and "Total mensuel 505,50 €" in text
    assert "Loyer du bail principal, hors charges 480,00 €" in text
    # 455.50 / 45.5 = 10.01 €/m² ≤ 480 / 45.5 = 10.55 €/m².
    assert "la redevance est de 10,01 € par m², pour un loyer principal de 10,55 € par m²" in text
    assert "provision mensuelle régularisée chaque année" in text and "2e trimestre" in text
    assert "niveau Loc2 (social)" in text and "1 612,34 €" in text
    assert "le 10 de chaque mois" in text and "dépôt de garantie de 455,50 €" in text
    # Support: kind, intensity, diagnostic, consent, referent.
    assert "accompagnement social d'intensité renforcée, défini à partir d'un diagnostic" in text
    assert "libre consentement, recueilli le 2 décembre 2026. Dispositif : accompagnement vers et dans" in text
    assert "Référent de l'accompagnement : Habitat Solidaire Rhône — Julien Martin, travailleur social" in text
    # End, sliding, annexes, signatures.
    assert "prend fin au plus tard à la fin du bail principal" in text and "préavis d'un mois" in text
    assert "Un point d'étape réunit tous les 6 mois le propriétaire, l'association et l'occupant" in text
    assert "convention tripartite" in text
    assert "Copie du bail principal en cours (Accord n° 13)" in text and "État des lieux d'entrée" in text
    assert "Convention tripartite de bail glissant" in text and "Dossier de diagnostic technique" in text
    assert "Pour l'association Habitat Solidaire Rhône" in text and "L'occupant Amina Diallo" in text
    assert "en deux exemplaires originaux" in text and "Paraphes : association ________ occupant(s)" in text
    pages_footer(text, pages)


def test_plain_sublease_has_no_sliding_article_and_says_what_is_missing() -> None:
    plain = replace(
        SUBLEASE,
        occupants=("Amina Diallo", "Moussa Diallo"),
        sliding=False,
        review_months=None,
        convention=None,
        deposit=D("0"),
        support=SupportMention(None, "légère", None, None),
        annexes=("Règlement de copropriété (extraits)",),
    )
    text, _ = text_of(render_sublease(plain))
    assert "glissement" not in text.lower() and "tripartite" not in text
    assert "Loc'Avantages" not in text and "Aucun dépôt de garantie n'est demandé." in text
    assert "Les occupants — Amina Diallo et Moussa Diallo" in text and "en trois exemplaires originaux" in text
    assert "accompagnement social d'intensité légère" in text and "Dispositif" not in text
    assert "qui sera recueilli par écrit avant le début de l'accompagnement" in text
    assert "L'association désigne le référent" in text
    # The operation's annexes replace the default ones; the authorisation and the main lease always stay.
    assert "Règlement de copropriété (extraits)" in text and "État des lieux d'entrée" not in text
    assert "Autorisation écrite du propriétaire de sous-louer" in text and "Copie du bail principal" in text


def test_sublease_cannot_outlast_the_main_lease_or_cost_more() -> None:
    with pytest.raises(ValueError, match="outlast"):
        replace(SUBLEASE, last_day=date(2029, 12, 31))
    with pytest.raises(ValueError, match="exceed"):
        replace(SUBLEASE, rent=D("480.01"))


# --- convention tripartite -----------------------------------------------------------------------------------


def test_tripartite_sets_conditions_reviews_slide_and_deposit() -> None:
    text, pages = text_of(render_tripartite(TRIPARTITE))
    assert "Convention tripartite de bail glissant" in text and "établie le 3 décembre 2026" in text
    assert "Le propriétaire — Claire Dupont-Moreau" in text and "L'association — Habitat Solidaire Rhône" in text
    assert "Le ménage — Amina Diallo et Moussa Diallo" in text
    assert "8 rue Paul Bert, appartement 3B, 69003 Lyon" in text
    assert "(Sous-location n° 7) consenti par l'association du 15 décembre 2026 au 14 décembre 2027" in text
    assert "bail principal (Accord n° 13)" in text
    # Conditions of the slide.
    assert "(530,00 € par mois) sont payées régulièrement" in text
    assert "assuré contre les risques locatifs" in text and "résidence principale" in text
    assert "objectifs de l'accompagnement social" in text and "souhaite devenir locataire en titre" in text
    assert "visé dans les 24 mois (2 ans) qui suivent le début de la sous-location" in text
    # Reviews: who, what, schedule.
    assert "Tous les 6 mois, un point d'étape réunit le propriétaire" in text and "l'avis du ménage" in text
    assert "1er point d'étape : 15 juin 2027" in text
    assert "2e point d'étape : 1er décembre 2027" in text and "3e point d'étape : 1er juin 2028" in text
    # The slide, the deposit, the other way out, duration.
    assert "bail d'habitation direct soumis à la loi n° 89-462" in text and "même loyer : 480,00 € hors charges" in text
    assert "50,00 € de charges" in text and "Le bail principal prend fin pour ce logement" in text
    assert "déchargée pour l'avenir" in text
    assert "dépôt de garantie de 480,00 €. À la date du glissement, l'association transfère le dépôt" in text
    assert "ne dépassant pas 24 mois (2 ans) au total" in text and "SIAO" in text and "relogement" in text
    assert "Durée" in text and "prend fin à la date du glissement du bail" in text
    # Three signature boxes.
    assert "Le propriétaire Claire Dupont-Moreau" in text and "Pour l'association Habitat Solidaire Rhône" in text
    assert "Le ménage Amina Diallo et Moussa Diallo" in text and "en trois exemplaires originaux" in text
    assert "Paraphes : propriétaire ________ association ________ ménage ________" in text
    pages_footer(text, pages)


def test_tripartite_without_schedule_or_deposit() -> None:
    text, _ = text_of(render_tripartite(replace(TRIPARTITE, review_dates=(), deposit=D("0"))))
    assert "point d'étape :" not in text and "calendrier des points d'étape est fixé par l'association" in text
    assert "n'a pas versé de dépôt de garantie" in text


# --- garanties -----------------------------------------------------------------------------------------------


def test_guarantee_attestation_states_cover_ceiling_period_and_claim() -> None:
    text, pages = text_of(render_guarantee_attestation(ATTESTATION))
    assert "Attestation de garantie" in text and "Attestation n° 5 — délivrée le 25 novembre 2026" in text
    assert "Je soussigné(e), Nadia Benali, directrice, agissant pour AIS Louer solidaire" in text
    assert "SIRET 12345678900012" in text
    assert "à Claire Dupont-Moreau, propriétaire bailleur (12 rue des Lilas, 69003 Lyon), le paiement" in text
    assert "AIS Louer solidaire paie à Claire Dupont-Moreau les loyers et charges restés impayés" in text
    assert "impayés par Amina Diallo et Karim Benali au titre du bail (Bail n° 42) qui a pris effet" in text
    assert "pris effet le 1er décembre 2026, pour" in text and "8 rue Paul Bert, appartement 3B, 69003 Lyon" in text
    assert "Loyer mensuel hors charges 1 234,56 €" in text and "Charges mensuelles 85,00 €" in text
    assert "Durée couverte 6 mois d'impayés au plus" in text and "Plafond de la garantie 7 917,36 €" in text
    assert "du 1er décembre 2026 au 30 novembre 2028 inclus" in text
    assert "dans la limite de 6 mois et d'au plus 7 917,36 € au total" in text
    assert "garanties@ais-louer-solidaire.example" in text and "décompte des sommes impayées" in text
    assert "Ce qui n'est pas couvert" in text and "dégradations locatives" in text
    assert "Fait à Lyon, le 25 novembre 2026." in text and "Pour AIS Louer solidaire Nadia Benali" in text
    pages_footer(text, pages)


def test_attestation_names_another_beneficiary_by_its_role() -> None:
    attestation = replace(ATTESTATION, beneficiary=ASSOCIATION, beneficiary_role="bailleur")
    text, _ = text_of(render_guarantee_attestation(attestation))
    assert "à Habitat Solidaire Rhône, bailleur (1 rue Garibaldi, 69007 Lyon)" in text
    assert "propriétaire bailleur" not in text


def test_guarantee_summary_lists_every_guarantee() -> None:
    text, pages = text_of(render_guarantee_summary(SUMMARY))
    assert "Récapitulatif des garanties" in text and "Bail d'habitation n° 42 du 1er décembre 2026" in text
    assert "À l'attention de Claire Dupont-Moreau, 12 rue des Lilas, 69003 Lyon" in text
    assert "Logement 8 rue Paul Bert, appartement 3B, 69003 Lyon" in text
    assert "Mode de gestion Mandat de gestion" in text and "Opérateur AIS Louer solidaire" in text
    assert "Garanties enregistrées" in text and "Garantie Visale" in text and "Visa n° V2026-123456" in text
    assert "Plafond de loyer : 1 575,00 € par mois" in text and "Couverture jusqu'au 30 novembre 2029" in text
    assert "Décision du 20 novembre 2026 : 1 234,56 €" in text
    assert "Fonds de garantie de l'AIS" in text and "établi le 25 novembre 2026" in text
    assert "engagement de l'association" not in text.lower()
    pages_footer(text, pages)


def test_sublet_summary_shows_the_association_commitment_first() -> None:
    text, _ = text_of(render_guarantee_summary(SUBLET_SUMMARY))
    assert "L'engagement de l'association" in text
    assert "bail principal (Accord n° 13) : elle vous paie 480,00 € de loyer et 50,00 € de charges" in text
    assert "soit 530,00 € chaque mois jusqu'au 30 novembre 2029" in text
    assert "même si le logement est vacant et même si l'occupant ne paie pas" in text
    assert "remis en état, sans aucun frais pour vous, l'usure normale exceptée" in text
    assert "Aucune garantie complémentaire n'est enregistrée" in text
    assert text.index("L'engagement de l'association") < text.index("Garanties complémentaires")


def test_summary_with_nothing_says_so() -> None:
    text, _ = text_of(render_guarantee_summary(replace(SUMMARY, lines=())))
    assert "Aucune garantie n'est enregistrée à ce jour pour ce bail" in text
    assert "Garantie Visale" not in text


# --- all documents -------------------------------------------------------------------------------------------

RENDERS = {
    "lease": lambda: render_residential_lease(LEASE),
    "slid_lease": lambda: render_residential_lease(SLID_LEASE),
    "sublease": lambda: render_sublease(SUBLEASE),
    "tripartite": lambda: render_tripartite(TRIPARTITE),
    "attestation": lambda: render_guarantee_attestation(ATTESTATION),
    "summary": lambda: render_guarantee_summary(SUMMARY),
    "sublet_summary": lambda: render_guarantee_summary(SUBLET_SUMMARY),
}


def test_same_input_same_bytes() -> None:
    for name, build in RENDERS.items():
        assert build() == build(), name
    assert render_residential_lease(LEASE) != render_residential_lease(replace(LEASE, rent=D("1234.57")))


def test_same_bytes_in_another_process() -> None:
    """Nothing depends on the process (time, font subset names, object ids)."""
    script = (
        "import hashlib\n"
        "from tests.test_lease_pdfs import RENDERS\n"
        "print(' '.join(hashlib.sha256(build()).hexdigest() for build in RENDERS.values()))\n"
    )
    root = Path(__file__).resolve().parents[1]
    output = subprocess.run(
        [sys.executable, "-c", script], cwd=root, capture_output=True, text=True, check=True, timeout=120
    ).stdout.split()
    assert output == [hashlib.sha256(build()).hexdigest() for build in RENDERS.values()]


def test_metadata_carries_title_and_document_date() -> None:
    reader = PdfReader(io.BytesIO(render_residential_lease(LEASE)))
    assert reader.metadata is not None
    assert reader.metadata.title == "Bail d'habitation — Bail n° 42"
    assert str(reader.metadata.get("/CreationDate", "")).startswith("D:20261122")


def test_long_footer_is_shortened_before_the_page_number() -> None:
    long = "Convention tripartite — " + "Habitat Solidaire Rhône / " * 8
    short = fit_footer(long)
    assert short.endswith("…") and len(short) < len(long)
    assert fit_footer("Bail n° 42") == "Bail n° 42"
