"""Guarantee rules without a database: Visale caps and cover around 6 January 2026, the GLI and guarantor
combination, the operator's deposit waivers, and each kind's required facts (domain.md §4)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal as D

import pytest

from agency_backoffice.models import GuaranteeKind, LeaseStatus, VisaleArea
from agency_backoffice.rules.guarantees import (
    STUDENT_NOTE,
    GuaranteeInput,
    LeaseFacts,
    VisaleCaps,
    check_guarantee,
    deposit_waiver_refusal,
    fixed_visale_area,
    in_force,
    visale_cover_end,
    visale_refusal,
)

K = GuaranteeKind
A = VisaleArea
NBSP = "\u202f"
TODAY = date(2026, 11, 22)
# domain.md §4, as the parameters hold them (checked against parameters.toml in test_guarantees.py).
UNTIL_5_JANUARY_2026 = VisaleCaps(
    on=date(2026, 1, 5),
    caps={A.ILE_DE_FRANCE: D("1500"), A.LARGE_AGGLOMERATION: D("1300"), A.OTHER: D("1300")},
    cover_years=None,
)
FROM_6_JANUARY_2026 = VisaleCaps(
    on=date(2026, 1, 6),
    caps={A.ILE_DE_FRANCE: D("1940"), A.LARGE_AGGLOMERATION: D("1575"), A.OTHER: D("1365")},
    cover_years=3,
)
LEASE = LeaseFacts(
    status=LeaseStatus.SIGNED,
    rent=D("420"),
    charges=D("60"),
    deposit=D("420"),
    starts_on=date(2026, 1, 6),
    signed_on=date(2026, 1, 2),
    fixed_area=None,
    kinds_in_force=(),
    deposit_waived_with=(),
)
VISA = GuaranteeInput(visa_number="V123456789", visa_issued_on=date(2025, 12, 20), visale_area=A.OTHER)


def plain(text: str) -> str:
    return text.replace(NBSP, " ").replace("\xa0", " ")


def check(kind: GuaranteeKind, data: GuaranteeInput, lease: LeaseFacts = LEASE, caps: VisaleCaps | None = None):  # type: ignore[no-untyped-def]
    return check_guarantee(kind, data, lease, today=TODAY, visale=caps or FROM_6_JANUARY_2026)


# --- Visale ------------------------------------------------------------------------------------------------------


def test_1600_charges_included_in_ile_de_france_is_refused_until_5_january_2026_and_accepted_from_the_6th():
    rent, charges = D("1450"), D("150")
    refusal = visale_refusal(rent, charges, A.ILE_DE_FRANCE, UNTIL_5_JANUARY_2026)
    assert refusal is not None
    assert "Loyer charges comprises de 1 600,00 €" in plain(refusal)
    assert "plafond Visale de 1 500,00 €" in plain(refusal) and "5 janvier 2026" in refusal
    assert visale_refusal(rent, charges, A.ILE_DE_FRANCE, FROM_6_JANUARY_2026) is None


def test_the_cap_is_charges_included_and_inclusive():
    # Rent alone at the 1 300 € cap: the charges take it over.
    assert visale_refusal(D("1300"), D("50"), A.OTHER, UNTIL_5_JANUARY_2026) is not None
    assert visale_refusal(D("1250"), D("50"), A.OTHER, UNTIL_5_JANUARY_2026) is None  # exactly the cap
    assert visale_refusal(D("1300"), D("65"), A.OTHER, FROM_6_JANUARY_2026) is None
    assert visale_refusal(D("1300"), D("65.01"), A.OTHER, FROM_6_JANUARY_2026) is not None


@pytest.mark.parametrize(
    ("total", "before", "after"),
    [
        # The caps outside Île-de-France all rose on 6 January 2026: a rent refused before can pass after,
        # and no rent goes the other way.
        (D("1340"), False, True),
        (D("1300"), True, True),
        (D("1500"), False, False),
    ],
)
def test_elsewhere_the_cap_goes_from_1300_to_1365(total, before, after):
    assert (visale_refusal(total, D("0"), A.OTHER, UNTIL_5_JANUARY_2026) is None) is before
    assert (visale_refusal(total, D("0"), A.OTHER, FROM_6_JANUARY_2026) is None) is after


def test_large_agglomerations_corsica_and_overseas_have_their_own_cap_from_6_january_2026():
    total = D("1500")
    assert visale_refusal(total, D("0"), A.LARGE_AGGLOMERATION, FROM_6_JANUARY_2026) is None  # ≤ 1 575
    assert visale_refusal(total, D("0"), A.OTHER, FROM_6_JANUARY_2026) is not None  # > 1 365
    assert visale_refusal(total, D("0"), A.LARGE_AGGLOMERATION, UNTIL_5_JANUARY_2026) is not None  # > 1 300
    refusal = visale_refusal(D("1600"), D("0"), A.LARGE_AGGLOMERATION, FROM_6_JANUARY_2026)
    assert refusal is not None and "1 575,00 €" in plain(refusal) and A.LARGE_AGGLOMERATION.label in refusal


@pytest.mark.parametrize(
    ("departement", "region", "area"),
    [
        ("75", "11", A.ILE_DE_FRANCE),
        ("93", None, A.ILE_DE_FRANCE),  # region unknown: the département says it
        ("2A", "94", A.LARGE_AGGLOMERATION),
        ("2B", "94", A.LARGE_AGGLOMERATION),
        ("974", "04", A.LARGE_AGGLOMERATION),
        ("97", None, A.LARGE_AGGLOMERATION),
        ("69", "84", None),  # Lyon or a village: staff say
        ("", None, None),
    ],
)
def test_the_commune_decides_the_area_only_in_ile_de_france_corsica_and_overseas(departement, region, area):
    assert fixed_visale_area(departement, region) is area


def test_cover_is_limited_to_the_first_three_years_only_from_2026_leases():
    assert visale_cover_end(date(2026, 1, 6), 3) == date(2029, 1, 5)
    assert visale_cover_end(date(2026, 3, 1), 3) == date(2029, 2, 28)
    assert visale_cover_end(date(2026, 1, 5), UNTIL_5_JANUARY_2026.cover_years) is None


def test_a_complete_visa_in_the_cap_passes():
    assert check(K.VISALE, VISA) == {}


def test_visale_asks_the_visa_number_and_date_and_the_area_when_the_commune_does_not_decide():
    errors = check(K.VISALE, GuaranteeInput(visa_number="  "))
    assert set(errors) == {"visa_number", "visa_issued_on", "visale_area"}
    assert "agglomération de plus de 100 000 habitants" in errors["visale_area"]
    # In Île-de-France the commune decides: nothing to choose.
    idf = replace(LEASE, fixed_area=A.ILE_DE_FRANCE)
    assert check(K.VISALE, replace(VISA, visale_area=None), idf) == {}


def test_the_visa_must_exist_before_the_lease_is_signed_and_not_in_the_future():
    late = check(K.VISALE, replace(VISA, visa_issued_on=date(2026, 1, 3)))
    assert "avant la signature du bail" in late["visa_issued_on"] and "2 janvier 2026" in late["visa_issued_on"]
    assert check(K.VISALE, replace(VISA, visa_issued_on=date(2026, 1, 2))) == {}  # the same day is fine
    future = check(K.VISALE, replace(VISA, visa_issued_on=TODAY.replace(day=23)), replace(LEASE, signed_on=None))
    assert "futur" in future["visa_issued_on"]


def test_a_rent_above_the_cap_is_refused_for_the_whole_form():
    expensive = replace(LEASE, rent=D("1400"), charges=D("100"), deposit=D("0"))
    errors = check(K.VISALE, VISA, expensive)
    assert set(errors) == {""} and "1 500,00 €" in plain(errors[""]) and "1 365,00 €" in plain(errors[""])
    assert check(K.VISALE, replace(VISA, visale_area=A.LARGE_AGGLOMERATION), expensive) == {}


# --- GLI and personal guarantor ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("existing", "kind", "data"),
    [
        (K.PERSONAL_GUARANTOR, K.GLI, GuaranteeInput(insurer="Assurances Exemple")),
        (K.GLI, K.PERSONAL_GUARANTOR, GuaranteeInput(guarantor_name="Marie Diallo")),
    ],
)
def test_gli_and_a_personal_guarantor_are_refused_together_in_either_order_except_for_a_student(existing, kind, data):
    lease = replace(LEASE, kinds_in_force=(existing,))
    errors = check(kind, data, lease)
    assert set(errors) == {"student"}
    assert "ne peut pas se cumuler avec une caution personnelle" in errors["student"]
    assert existing.label in errors["student"]
    assert check(kind, replace(data, student=True), lease) == {}
    assert check(kind, data, replace(LEASE, kinds_in_force=())) == {}  # the other one ended


def test_gli_needs_an_insurer_and_a_guarantor_a_name():
    assert set(check(K.GLI, GuaranteeInput(insurer=" "))) == {"insurer"}
    assert set(check(K.GLI, GuaranteeInput(insurer="X", amount=D("0")))) == {"amount"}
    assert set(check(K.PERSONAL_GUARANTOR, GuaranteeInput())) == {"guarantor_name"}


# --- FSL and the operator's fund ---------------------------------------------------------------------------------

FSL = GuaranteeInput(
    fsl_departement="69", fsl_decision_reference="FSL-2026-118", fsl_decision_on=date(2026, 10, 2), amount=D("850")
)
FUND = GuaranteeInput(covered_months=6, amount=D("3000"), starts_on=date(2026, 1, 6), expires_on=date(2029, 1, 5))


def test_fsl_needs_a_departement_a_decision_and_an_amount():
    assert check(K.FSL, FSL) == {}
    assert check(K.FSL, replace(FSL, fsl_departement="2a")) == {}
    errors = check(K.FSL, GuaranteeInput(fsl_departement="6", amount=D("0")))
    assert set(errors) == {"fsl_departement", "fsl_decision_reference", "fsl_decision_on", "amount"}
    assert "invalide" in errors["fsl_departement"] and "supérieur à 0 €" in errors["amount"]
    assert "futur" in check(K.FSL, replace(FSL, fsl_decision_on=date(2026, 11, 23)))["fsl_decision_on"]


def test_the_fund_needs_months_an_amount_and_an_expiry_after_its_start():
    assert check(K.OPERATOR_FUND, FUND) == {}
    errors = check(K.OPERATOR_FUND, replace(FUND, covered_months=0, amount=D("-1"), expires_on=date(2026, 1, 6)))
    assert set(errors) == {"covered_months", "amount", "expires_on"}
    assert "doit suivre son début" in errors["expires_on"]
    assert set(check(K.OPERATOR_FUND, GuaranteeInput())) == {"covered_months", "amount", "starts_on", "expires_on"}


# --- the lease ---------------------------------------------------------------------------------------------------


def test_nothing_is_added_to_an_ended_lease():
    errors = check(K.FSL, FSL, replace(LEASE, status=LeaseStatus.ENDED))
    assert errors == {"": "Le bail est terminé : on ne peut plus lui ajouter de garantie."}


def test_a_draft_must_drop_its_deposit_before_taking_a_guarantee_the_operator_waives_it_for():
    waived = replace(LEASE, status=LeaseStatus.DRAFT, signed_on=None, deposit_waived_with=(K.OPERATOR_FUND,))
    refusal = deposit_waiver_refusal(K.OPERATOR_FUND, waived)
    assert refusal is not None and "ramenez d'abord le dépôt de garantie du bail à 0 €" in refusal
    assert "420,00 €" in plain(refusal)
    assert check(K.OPERATOR_FUND, FUND, waived) == {"": refusal}
    assert check(K.OPERATOR_FUND, FUND, replace(waived, deposit=D("0"))) == {}
    assert check(K.FSL, FSL, waived) == {}  # not a waived kind
    # Once signed, the deposit was lawfully taken: the guarantee may be added.
    assert check(K.OPERATOR_FUND, FUND, replace(waived, status=LeaseStatus.SIGNED)) == {}


def test_a_guarantee_stops_counting_on_the_day_it_ends():
    assert in_force(None, TODAY)
    assert in_force(date(2026, 11, 23), TODAY)
    assert not in_force(TODAY, TODAY)


def test_the_input_is_read_from_form_data():
    data = GuaranteeInput.from_mapping(
        {"csrf_token": "x", "visa_number": "V1", "visale_area": "other", "student": None, "note": ""}
    )
    assert data == GuaranteeInput(visa_number="V1", visale_area=A.OTHER, note="")
    assert GuaranteeInput.from_mapping({"visale_area": "idf?"}).visale_area is None
    assert STUDENT_NOTE.startswith("Locataire étudiant ou apprenti")
