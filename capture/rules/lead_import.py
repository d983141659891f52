"""Read a list of vacant units and their owners (CSV) into leads: columns, checks, duplicates, exclusions.

The kind of list a commune obtains from the vacant-housing files (LOVAC, Zéro Logement Vacant exports),
one line per unit. Expected columns (header on the first line, in any order; case, accents, spaces and
hyphens in the names do not matter, so « Nom propriétaire » reads as ``nom_proprietaire``)::

    nom_proprietaire          owner's name (person, company or indivision)           required, 200 chars max
    adresse_proprietaire      owner's street address (number, street, complement)    required, 200 chars max
    code_postal_proprietaire  owner's postal code, 5 digits (4 digits: a 0 lost by a spreadsheet is restored)
    ville_proprietaire        owner's town                                            required, 80 chars max
    adresse_logement          the vacant unit's street address                        required, 300 chars max
    commune                   the unit's commune: INSEE code (``62041``) or name (``Arras``, ``Arras (62)``);
                              it must belong to the operator's territory
    duree_vacance_mois        vacancy duration in whole months (integer ≥ 0)
      or duree_vacance_ans    … in years (``2`` or ``2,5``; converted to months, rounded half up)

Other columns are ignored. The file is UTF-8 (with or without BOM); fields are separated by semicolons or
commas (whichever the header uses). Line numbers are physical lines of the file, the header being line 1.

A line is either rejected (a problem to fix: nothing is imported while one remains), a duplicate of an
earlier line (same owner and same unit: rejected too), excluded (the owner asked not to be contacted),
already followed (the operator already has a case for this unit: skipped) or a new lead.

Pure: the caller loads the territory's communes, the operator's followed units and the do-not-contact
owners and passes them in.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal

from passerelle.formatting import number
from passerelle.models.reference import search_key
from passerelle.reference.importers import (
    FatalImportError,
    Fields,
    ImportReport,
    Rejection,
    csv_lines,
    validate,
)

OWNER_NAME = "nom_proprietaire"
OWNER_STREET = "adresse_proprietaire"
OWNER_POSTAL_CODE = "code_postal_proprietaire"
OWNER_CITY = "ville_proprietaire"
UNIT_ADDRESS = "adresse_logement"
COMMUNE = "commune"
VACANCY_MONTHS = "duree_vacance_mois"
VACANCY_YEARS = "duree_vacance_ans"
REQUIRED_COLUMNS = (OWNER_NAME, OWNER_STREET, OWNER_POSTAL_CODE, OWNER_CITY, UNIT_ADDRESS, COMMUNE)
EXAMPLE_HEADER = ";".join((*REQUIRED_COLUMNS, VACANCY_MONTHS))

# One upload is handled in one request (about 6 s per 1,000 leads on PostgreSQL, one case at a time through
# open_capture_case): a bigger list is split into several files; units already imported are then skipped.
MAX_LINES = 2_000
MAX_VACANCY_MONTHS = 1200  # 100 years: anything longer is a typing error

POSTAL_CODE = re.compile(r"\d{5}")
INSEE_CODE = re.compile(r"\d{5}|2[AB]\d{3}", re.IGNORECASE)
DECIMAL = re.compile(r"\d{1,3}(?:[.,]\d{1,2})?")

EXCLUDED_MESSAGE = "exclu : ne souhaite pas être contacté"


class LeadFileError(FatalImportError):
    """The file cannot be read at all (encoding, header, size): one French message, nothing imported."""


# --- normalisation ----------------------------------------------------------------------------------

_PUNCTUATION = re.compile(r"[^\w\s]|_")
_NUMBER_SUFFIX = re.compile(r"(?<=\d)(?=[a-z])")
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "Œ": "oe", "Æ": "ae"})
# Street-type abbreviations of French postal addresses, so « 12 bd V. Hugo » meets « 12 boulevard V Hugo ».
_STREET_WORDS = {
    "r": "rue",
    "bd": "boulevard",
    "bld": "boulevard",
    "boul": "boulevard",
    "av": "avenue",
    "ave": "avenue",
    "pl": "place",
    "imp": "impasse",
    "all": "allee",
    "che": "chemin",
    "chem": "chemin",
    "rte": "route",
    "crs": "cours",
    "fg": "faubourg",
    "fbg": "faubourg",
    "sq": "square",
    "res": "residence",
    "st": "saint",
    "ste": "sainte",
}
# Civilities and the « et » of « M. et Mme Dupont » say nothing about who the owner is.
_NAME_NOISE = {"m", "mr", "mme", "mmes", "mlle", "mm", "monsieur", "madame", "mademoiselle", "messieurs", "et"}


def normalise(text: str) -> str:
    """Lower-case, accents and punctuation removed, spaces collapsed: « Rue de l'Église, 3 » → « rue de l eglise 3 »."""
    return search_key(_PUNCTUATION.sub(" ", text.translate(_LIGATURES)))


def address_key(address: str) -> str:
    """Compare street addresses: normalised, ``12bis`` → ``12 bis``, street-type abbreviations spelt out."""
    words = _NUMBER_SUFFIX.sub(" ", normalise(address)).split()
    return " ".join(_STREET_WORDS.get(word, word) for word in words)


def name_key(name: str) -> str:
    """Compare owners' names: normalised, civilities dropped, word order ignored (« DUPONT Jean » = « Jean Dupont »)."""
    return " ".join(sorted(word for word in normalise(name).split() if word not in _NAME_NOISE))


def owner_key(name: str, street: str) -> tuple[str, str]:
    """Who an owner is, for the do-not-contact list: name and street address (postal code and town are not
    compared, so a typo there cannot let a refusing owner through)."""
    return name_key(name), address_key(street)


def unit_key(address: str, commune_insee: str) -> tuple[str, str]:
    """Which unit a lead is about: its street address in its commune."""
    return address_key(address), commune_insee.upper()


# --- owner's postal address -------------------------------------------------------------------------


def compose_owner_address(street: str, postal_code: str, city: str) -> str:
    """The one-line form kept on the case: ``12 rue de la Paix, 62000 Arras``."""
    return f"{street.strip()}, {postal_code.strip()} {city.strip()}"


def postal_lines(owner_address: str) -> tuple[str, ...]:
    """The lines of an envelope from a one-line address (La Poste, NF Z 10-011): one line per comma-separated
    part, six at most, the last one (postal code and town) in capitals without accents."""
    parts = [part.strip() for part in owner_address.split(",") if part.strip()]
    if not parts:
        return ()
    if len(parts) > 6:
        parts = [", ".join(parts[:-5]), *parts[-5:]]
    last = unicodedata.normalize("NFKD", parts[-1].upper())
    parts[-1] = "".join(c for c in last if not unicodedata.combining(c))
    return tuple(parts)


# --- communes ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CommuneRef:
    insee: str
    name: str
    departement: str


class CommuneIndex:
    """The communes a lead may be in (the operator's territory), found by INSEE code or by name."""

    def __init__(self, communes: Iterable[CommuneRef]) -> None:
        self.by_insee: dict[str, CommuneRef] = {}
        self.by_name: dict[str, list[CommuneRef]] = {}
        for commune in communes:
            self.by_insee[commune.insee.upper()] = commune
            self.by_name.setdefault(search_key(commune.name), []).append(commune)

    def resolve(self, text: str) -> CommuneRef | str:
        """The commune, or a French message saying why the text does not name exactly one."""
        code = text.strip().upper()
        if re.fullmatch(r"\d{4}", code):
            code = "0" + code  # a leading 0 dropped by a spreadsheet
        if INSEE_CODE.fullmatch(code):
            found = self.by_insee.get(code)
            return found or f"code INSEE « {text} » absent du territoire"
        name, departement = text, None
        match = re.fullmatch(r"(.*?)\s*\((\w{2,3})\)\s*", text)
        if match:
            name, departement = match.group(1), match.group(2).upper()
        candidates = [
            commune
            for commune in self.by_name.get(search_key(name), [])
            if departement is None or commune.departement.upper() == departement
        ]
        if len(candidates) == 1:
            return candidates[0]
        if candidates:
            codes = ", ".join(f"{commune.insee}" for commune in candidates)
            return f"« {text} » désigne plusieurs communes du territoire ({codes}) : indiquez le code INSEE"
        return f"« {text} » absente du territoire (vérifiez l'orthographe ou indiquez le code INSEE)"


# --- reading the file -------------------------------------------------------------------------------


def column_key(header: str) -> str:
    """« Nom propriétaire » → ``nom_proprietaire``."""
    return search_key(header).replace(" ", "_")


@dataclass(frozen=True)
class LeadFile:
    """A readable lead file: the header as written, where each expected column is, and the data lines."""

    name: str
    header: tuple[str, ...]
    columns: Mapping[str, str]  # expected column → header as written in the file
    lines: tuple[tuple[int, tuple[str, ...]], ...]  # (physical line number, fields)


def read_lead_file(data: bytes, name: str = "fichier") -> LeadFile:
    """Decode and split the file, check its header; raise LeadFileError with a French message otherwise."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LeadFileError(
            f"{name} n'est pas encodé en UTF-8 (octet invalide à la position {exc.start}) : "
            "dans votre tableur, enregistrez-le au format « CSV UTF-8 »."
        ) from exc
    if not text.strip():
        raise LeadFileError(f"{name} est vide.")
    first_line = next(line for line in text.splitlines() if line.strip())
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    try:
        lines = csv_lines(text, delimiter, name)
    except FatalImportError as exc:
        raise LeadFileError(str(exc)) from exc
    header = tuple(column.strip() for column in lines[0][1])
    columns: dict[str, str] = {}
    for written in header:
        key = column_key(written)
        if key in columns and key in (*REQUIRED_COLUMNS, VACANCY_MONTHS, VACANCY_YEARS):
            raise LeadFileError(f"{name} : la colonne « {written} » apparaît deux fois dans l'en-tête.")
        if key:
            columns.setdefault(key, written)
    expected = [*REQUIRED_COLUMNS, f"{VACANCY_MONTHS} (ou {VACANCY_YEARS})"]
    missing = [column for column in REQUIRED_COLUMNS if column not in columns]
    if VACANCY_MONTHS not in columns and VACANCY_YEARS not in columns:
        missing.append(f"{VACANCY_MONTHS} (ou {VACANCY_YEARS})")
    if missing:
        raise LeadFileError(
            f"{name} : colonne(s) manquante(s) : {', '.join(missing)}. Colonnes attendues : {', '.join(expected)} "
            f"(en-tête lu : {', '.join(header) or 'vide'})."
        )
    if VACANCY_MONTHS in columns and VACANCY_YEARS in columns:
        raise LeadFileError(
            f"{name} : gardez une seule durée de vacance, {VACANCY_MONTHS} ou {VACANCY_YEARS}, pas les deux."
        )
    data_lines = tuple((line, tuple(fields)) for line, fields in lines[1:])
    if not data_lines:
        raise LeadFileError(f"{name} ne contient aucune ligne de données sous l'en-tête.")
    if len(data_lines) > MAX_LINES:
        raise LeadFileError(
            f"{name} compte {number(len(data_lines), 0)} lignes : importez-le en plusieurs fichiers de "
            f"{number(MAX_LINES, 0)} lignes au plus."
        )
    return LeadFile(name=name, header=header, columns=columns, lines=data_lines)


# --- checking the lines -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Lead:
    """One valid line: a unit and its owner, ready to become a capture case."""

    line: int
    owner_name: str
    owner_street: str
    owner_postal_code: str
    owner_city: str
    unit_address: str
    commune_insee: str
    commune_name: str
    vacancy_months: int

    @property
    def owner_address(self) -> str:
        return compose_owner_address(self.owner_street, self.owner_postal_code, self.owner_city)

    @property
    def owner(self) -> tuple[str, str]:
        return owner_key(self.owner_name, self.owner_street)

    @property
    def unit(self) -> tuple[str, str]:
        return unit_key(self.unit_address, self.commune_insee)


@dataclass
class LeadImportReport(ImportReport):
    """An import of leads: besides rejected lines, the owners excluded and the units already followed.

    ``imported`` is False as soon as one line is rejected: then nothing is written. Exclusions and units
    already followed are not errors: they are reported and skipped.
    """

    excluded: list[Rejection] = field(default_factory=list)
    already_followed: list[Rejection] = field(default_factory=list)
    leads: list[Lead] = field(default_factory=list)  # the new leads (created when ``imported``)
    skip_option: bool = False

    def summary(self) -> str:
        read = number(self.lines, 0)
        skipped = (
            f"{number(len(self.excluded), 0)} propriétaire(s) exclu(s) (ne souhaitent pas être contactés), "
            f"{number(len(self.already_followed), 0)} logement(s) déjà suivi(s)"
        )
        if not self.imported:
            return (
                f"{number(len(self.rejected), 0)} ligne(s) rejetée(s) sur {read} lue(s). Rien n'a été importé : "
                f"corrigez les lignes rejetées puis importez à nouveau le fichier entier."
            )
        return f"{read} ligne(s) lue(s) : {number(self.created, 0)} piste(s) créée(s) ; {skipped}."


def check_leads(
    file: LeadFile,
    *,
    communes: CommuneIndex,
    followed: Mapping[tuple[str, str], int],
    do_not_contact: set[tuple[str, str]],
) -> LeadImportReport:
    """Check every line and sort it: rejected, excluded, already followed (``followed``: unit key → case id)
    or new lead. Nothing is written here."""
    report = LeadImportReport("Import de pistes")
    columns = file.columns
    years = VACANCY_YEARS in columns
    vacancy_column = columns[VACANCY_YEARS if years else VACANCY_MONTHS]

    def check(raw: Sequence[str]) -> Lead:
        f = Fields.of(file.header, raw)
        owner_name = _text(f, columns[OWNER_NAME], 200)
        street = _text(f, columns[OWNER_STREET], 200)
        postal_code = _postal_code(f, columns[OWNER_POSTAL_CODE])
        city = _text(f, columns[OWNER_CITY], 80)
        unit_address = _text(f, columns[UNIT_ADDRESS], 300)
        commune = None
        commune_text = _text(f, columns[COMMUNE], 200)
        if commune_text is not None:
            resolved = communes.resolve(commune_text)
            if isinstance(resolved, str):
                f.fail(columns[COMMUNE], resolved)
            else:
                commune = resolved
        months = _years_in_months(f, vacancy_column) if years else _months(f, vacancy_column)
        f.check()
        assert owner_name and street and postal_code and city and unit_address and commune and months is not None
        return Lead(
            line=0,  # set once validate() has kept the line
            owner_name=" ".join(owner_name.split()),
            owner_street=" ".join(street.split()),
            owner_postal_code=postal_code,
            owner_city=" ".join(city.split()),
            unit_address=" ".join(unit_address.split()),
            commune_insee=commune.insee,
            commune_name=commune.name,
            vacancy_months=months,
        )

    _, valid = validate(
        report,
        file.lines,
        check,
        key=lambda lead: (name_key(lead.owner_name), *lead.unit),
        duplicate="doublon de la ligne {first} (même propriétaire, même logement)",
        progress=None,
        skip_invalid=False,
    )
    for line, lead in valid:
        if lead.owner in do_not_contact:
            report.excluded.append(Rejection(line, EXCLUDED_MESSAGE))
        elif lead.unit in followed:
            report.already_followed.append(Rejection(line, f"déjà suivi (dossier n° {followed[lead.unit]})"))
        else:
            report.leads.append(replace(lead, line=line))
    return report


def _text(f: Fields, column: str, max_length: int) -> str | None:
    value = f.raw(column)
    if len(value) > max_length:
        f.fail(column, f"texte trop long ({len(value)} caractères, {max_length} au plus) « {value[:40]}… »")
        return None
    return f.text(column, max_length=max_length)


def _postal_code(f: Fields, column: str) -> str | None:
    value = f.raw(column)
    if re.fullmatch(r"\d{4}", value):
        value = "0" + value  # a leading 0 dropped by a spreadsheet (01000 Bourg-en-Bresse read as 1000)
    if not value:
        f.fail(column, "valeur manquante")
        return None
    if not POSTAL_CODE.fullmatch(value):
        f.fail(column, f"code postal invalide « {f.raw(column)} » (attendu 5 chiffres)")
        return None
    return value


def _months(f: Fields, column: str) -> int | None:
    return f.integer(column, minimum=0, maximum=MAX_VACANCY_MONTHS)


def _years_in_months(f: Fields, column: str) -> int | None:
    value = f.raw(column)
    if not value:
        f.fail(column, "valeur manquante")
        return None
    if not DECIMAL.fullmatch(value):
        f.fail(column, f"durée invalide « {value} » (attendu un nombre d'années positif, par exemple 2 ou 2,5)")
        return None
    months = (Decimal(value.replace(",", ".")) * 12).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    if months > MAX_VACANCY_MONTHS:
        f.fail(column, f"« {value} » hors limites (attendu entre 0 et {MAX_VACANCY_MONTHS // 12} ans)")
        return None
    return int(months)
