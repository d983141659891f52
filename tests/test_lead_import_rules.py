"""Reading a list of vacant units into leads (pure rules: no database)."""

from __future__ import annotations

import re

import pytest

from capture.rules import lead_import as li

HEADER = (
    "nom_proprietaire;adresse_proprietaire;code_postal_proprietaire;ville_proprietaire;"
    "adresse_logement;commune;duree_vacance_mois"
)
COMMUNES = li.CommuneIndex(
    [
        li.CommuneRef("62041", "Arras", "62"),
        li.CommuneRef("62065", "Achicourt", "62"),
        li.CommuneRef("62764", "Sainte-Catherine", "62"),
        # Two communes of the same name in one territory (it happens across a département border).
        li.CommuneRef("80001", "Beaurains", "80"),
        li.CommuneRef("62099", "Beaurains", "62"),
    ]
)


def check(
    text: str,
    *,
    followed: dict[tuple[str, str], int] | None = None,
    do_not_contact: set[tuple[str, str]] | None = None,
) -> li.LeadImportReport:
    file = li.read_lead_file(text.encode("utf-8"), "liste.csv")
    return li.check_leads(file, communes=COMMUNES, followed=followed or {}, do_not_contact=do_not_contact or set())


def good_line(n: int) -> str:
    return f"Propriétaire {n};{n} rue des Lilas;62000;Arras;{n} rue du Logement;62041;{n % 60}"


# --- the generated 1,000-line file (acceptance 4) ----------------------------------------------------

# Physical line → what is wrong with it (the header is line 1, so data lines are 2 … 1001).
BAD_LINES = {
    7: ("Propriétaire 7;7 rue des Lilas;62000;Arras;;62041;3", "adresse_logement : valeur manquante"),
    150: ("Propriétaire 150;150 rue des Lilas;ABCDE;Arras;150 rue du Logement;62041;3", "« ABCDE »"),
    333: ("Propriétaire 333;333 rue des Lilas;62000;Arras;333 rue du Logement;Paris;3", "« Paris »"),
    512: ("Propriétaire 512;512 rue des Lilas;62000;Arras;512 rue du Logement;62041;-4", "« -4 »"),
    640: ("Propriétaire 640;640 rue des Lilas;62000", "nombre de champs incorrect : 3 au lieu de 7"),
    777: ("Propriétaire 777;777 rue des Lilas;62000;Arras;777 rue du Logement;62041;douze", "« douze »"),
    # Line 901 repeats line 10's owner and unit (written differently: case, accents, abbreviation).
    901: ("PROPRIETAIRE 8;1 rue;62000;Arras;8 r. du logement;Arras;4", "doublon de la ligne 10"),
    1001: (";1001 rue des Lilas;62000;Arras;1001 rue du Logement;62041;5", "nom_proprietaire : valeur manquante"),
}


def thousand_line_file() -> str:
    lines = [HEADER]
    for physical in range(2, 1002):
        lines.append(BAD_LINES[physical][0] if physical in BAD_LINES else good_line(physical - 2))
    return "\n".join(lines) + "\n"


def test_thousand_line_file_reports_exactly_the_bad_lines() -> None:
    report = check(thousand_line_file())

    assert report.lines == 1000
    assert [rejection.line for rejection in report.rejected] == sorted(BAD_LINES)
    for rejection in report.rejected:
        assert BAD_LINES[rejection.line][1] in rejection.message, rejection
    assert report.imported is False
    assert "Rien n'a été importé" in report.summary()
    # Line 10 holds good_line(8); it stays valid, its repetition on line 901 is the rejected one.
    assert 10 in {lead.line for lead in report.leads}
    assert len(report.leads) == 1000 - len(BAD_LINES)


def test_rejections_name_the_column_and_the_value() -> None:
    report = check(
        "\n".join(
            [
                HEADER,
                "Dupont;1 rue A;6200A;Arras;2 rue B;62041;12",
                "Dupont;1 rue A;62000;Arras;2 rue B;99999;12",
                "Martin;1 rue A;62000;Arras;3 rue B;Arras;1201",
            ]
        )
    )
    assert [(r.line, r.message) for r in report.rejected] == [
        (2, "code_postal_proprietaire : code postal invalide « 6200A » (attendu 5 chiffres)"),
        (3, "commune : code INSEE « 99999 » absent du territoire"),
        (4, "duree_vacance_mois : « 1201 » hors limites (attendu entre 0 et 1200)"),
    ]


def test_all_good_lines_are_leads_with_their_values() -> None:
    report = check(
        f"{HEADER}\n{good_line(1)}\nSCI  Les Tilleuls ;  4 place du Marché ; 1000 ;Bourg;5 bis rue Neuve;Achicourt;0\n"
    )

    assert report.imported is True
    assert report.rejected == []
    first, second = report.leads
    assert (first.line, first.commune_insee, first.commune_name, first.vacancy_months) == (2, "62041", "Arras", 1)
    assert first.owner_address == "1 rue des Lilas, 62000 Arras"
    # Spaces tidied, the leading zero a spreadsheet dropped is restored, the commune found by name.
    assert second.owner_name == "SCI Les Tilleuls"
    assert second.owner_address == "4 place du Marché, 01000 Bourg"
    assert (second.commune_insee, second.vacancy_months) == ("62065", 0)


# --- the file itself --------------------------------------------------------------------------------


def test_header_tolerates_case_accents_spaces_bom_and_commas() -> None:
    text = (
        "\ufeffNom Propriétaire,Adresse propriétaire,Code postal propriétaire,Ville propriétaire,"
        "Adresse logement,Commune,Durée vacance mois,Remarque\n"
        '"Dupont, Jean",1 rue A,62000,Arras,"2 rue B, appartement 3",62041,7,RAS\n'
    )
    report = check(text)
    assert report.rejected == []
    (lead,) = report.leads
    assert (lead.owner_name, lead.unit_address, lead.vacancy_months) == ("Dupont, Jean", "2 rue B, appartement 3", 7)


def test_rejections_use_the_column_names_as_written_in_the_file() -> None:
    text = (
        "Nom propriétaire;Adresse propriétaire;Code postal propriétaire;Ville propriétaire;Adresse logement;"
        "Commune;Durée vacance mois\n;1 rue A;62000;Arras;2 rue B;62041;7\n"
    )
    (rejection,) = check(text).rejected
    assert rejection.message == "Nom propriétaire : valeur manquante"


def test_vacancy_in_years_is_converted_to_months() -> None:
    header = HEADER.replace("duree_vacance_mois", "duree_vacance_ans")
    report = check(
        f"{header}\nA;1 rue A;62000;Arras;1 rue X;62041;2\nB;1 rue B;62000;Arras;2 rue X;62041;2,5\n"
        "C;1 rue C;62000;Arras;3 rue X;62041;0.04\nD;1 rue D;62000;Arras;4 rue X;62041;-1\n"
    )
    # 2 years = 24 months; 2.5 = 30; 0.04 × 12 = 0.48 → 0 (rounded half up).
    assert [lead.vacancy_months for lead in report.leads] == [24, 30, 0]
    (rejection,) = report.rejected
    assert rejection.line == 5
    assert rejection.message.startswith("duree_vacance_ans : durée invalide « -1 »")


def test_blank_lines_and_multiline_fields_keep_physical_line_numbers() -> None:
    two_lines = '"Nom\nsur deux lignes";1 rue A;62000;Arras;9 rue Z;62041;3'
    text = f"{HEADER}\n\n{good_line(1)}\n{two_lines}\n{good_line(2)[:-2]};x\n"
    report = check(text)
    # Line 2 is blank, line 3 is good, lines 4-5 hold one record, line 6 is bad.
    assert [lead.line for lead in report.leads] == [3, 4]
    assert [(r.line, r.message) for r in report.rejected] == [(6, "duree_vacance_mois : nombre entier invalide « x »")]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "est vide"),
        ("nom;adresse\néé".encode("latin-1"), "n'est pas encodé en UTF-8"),
        (HEADER.encode(), "aucune ligne de données"),
        (HEADER.replace(";commune", "").encode() + b"\nA;B;62000;C;D;3\n", "colonne(s) manquante(s) : commune"),
        (HEADER.replace(";duree_vacance_mois", "").encode() + b"\nA;B;62000;C;D;62041\n", "duree_vacance_mois (ou"),
        ((HEADER + ";duree_vacance_ans").encode() + b"\nA;B;62000;C;D;62041;3;1\n", "pas les deux"),
        ((HEADER + ";Commune").encode() + b"\nA;B;62000;C;D;62041;3;x\n", "apparaît deux fois"),
    ],
)
def test_unreadable_files_are_refused_as_a_whole(data: bytes, message: str) -> None:
    with pytest.raises(li.LeadFileError, match=re.escape(message)):
        li.read_lead_file(data, "liste.csv")


def test_too_many_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(li, "MAX_LINES", 3)
    text = "\n".join([HEADER, *(good_line(n) for n in range(4))])
    with pytest.raises(li.LeadFileError, match="4 lignes"):
        li.read_lead_file(text.encode(), "liste.csv")


# --- communes ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("62041", "62041"),
        ("arras", "62041"),
        ("ARRAS", "62041"),
        ("Sainte Catherine", "62764"),
        ("sainte-catherine", "62764"),
        ("Beaurains (62)", "62099"),
        ("80001", "80001"),
    ],
)
def test_commune_by_code_or_name(text: str, expected: str) -> None:
    found = COMMUNES.resolve(text)
    assert isinstance(found, li.CommuneRef)
    assert found.insee == expected


def test_ambiguous_or_unknown_commune_explains_what_to_do() -> None:
    assert COMMUNES.resolve("Beaurains") == (
        "« Beaurains » désigne plusieurs communes du territoire (80001, 62099) : indiquez le code INSEE"
    )
    assert "absente du territoire" in str(COMMUNES.resolve("Lens"))


# --- duplicates, units already followed, do-not-contact ---------------------------------------------


def test_duplicate_in_file_is_rejected_with_the_first_line() -> None:
    report = check(
        f"{HEADER}\nM. Jean DUPONT;1 rue A;62000;Arras;12 bd Victor Hugo;62041;3\n"
        f"{good_line(5)}\n"
        "Dupont Jean;1 rue A;62000;Arras;12, boulevard Victor-Hugo;Arras;9\n"
        # Same owner, other unit: not a duplicate. Same unit, other commune: not a duplicate either.
        "Dupont Jean;1 rue A;62000;Arras;14 boulevard Victor Hugo;62041;9\n"
        "Dupont Jean;1 rue A;62000;Arras;12 boulevard Victor Hugo;62065;9\n"
    )
    assert [(r.line, r.message) for r in report.rejected] == [
        (4, "doublon de la ligne 2 (même propriétaire, même logement)")
    ]
    assert [lead.line for lead in report.leads] == [2, 3, 5, 6]


def test_units_already_followed_are_skipped_not_rejected() -> None:
    followed = {li.unit_key("3 rue du Logement", "62041"): 42}
    report = check(
        f"{HEADER}\n{good_line(1)}\nAutre;9 rue Z;62000;Arras;3, Rue du logement;Arras;7\n", followed=followed
    )
    assert report.rejected == []
    assert report.imported is True
    assert [(r.line, r.message) for r in report.already_followed] == [(3, "déjà suivi (dossier n° 42)")]
    assert [lead.line for lead in report.leads] == [2]


def test_do_not_contact_owners_are_excluded() -> None:
    refusing = {li.owner_key("Jean Dupont", "12 boulevard Victor Hugo")}
    followed = {li.unit_key("5 rue X", "62041"): 7}
    report = check(
        f"{HEADER}\n"
        "M. DUPONT Jean;12 bd Victor-Hugo;62000;Arras;5 rue X;62041;3\n"  # refusing and already followed
        f"{good_line(1)}\n"
        "Dupont Jean;14 bd Victor-Hugo;62000;Arras;8 rue X;62041;3\n",  # same name, another address
        followed=followed,
        do_not_contact=refusing,
    )
    assert [(r.line, r.message) for r in report.excluded] == [(2, "exclu : ne souhaite pas être contacté")]
    assert report.already_followed == []
    assert [lead.line for lead in report.leads] == [3, 4]
    assert report.imported is True


# --- normalisation and envelopes --------------------------------------------------------------------


def test_normalisation() -> None:
    assert li.normalise("  Rue de l'Église,   3 ") == "rue de l eglise 3"
    assert li.normalise("Cœur-Joie") == "coeur joie"
    assert li.address_key("12bis, Bd. Victor-Hugo") == li.address_key("12 BIS boulevard victor hugo")
    assert li.address_key("3 av. St-Jean") == "3 avenue saint jean"
    assert li.name_key("M. et Mme DUPONT Jean") == li.name_key("jean dupont") == "dupont jean"
    assert li.name_key("Jean Dupont") != li.name_key("Jeanne Dupont")


def test_postal_lines_for_a_windowed_envelope() -> None:
    assert li.postal_lines("Résidence Les Lilas, 12 rue X, 42000 Saint-Étienne") == (
        "Résidence Les Lilas",
        "12 rue X",
        "42000 SAINT-ETIENNE",
    )
    assert li.postal_lines(li.compose_owner_address("1 rue A", "62000", "Arras")) == ("1 rue A", "62000 ARRAS")
    assert len(li.postal_lines("a, b, c, d, e, f, g, 62000 Arras")) == 6
    assert li.postal_lines("") == ()
