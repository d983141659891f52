"""Read a referral sent as JSON (``POST /api/v1/households``) into a ``HouseholdInput``.

Pure: no Flask, no database. Field names are those of ``HouseholdInput``; dates are ISO (``2026-11-02``);
codes are the enumerations' values; amounts are JSON numbers (read as ``Decimal``, never float) or strings.
Resources are an object by kind (``{"wages": 1234.56}``). An unknown field is refused rather than dropped:
a misspelt field would otherwise lose data without anyone noticing. Each problem names its field, in French;
the domain checks (``check_household``) come after, in the operation.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar

from agency_backoffice.household_input import HouseholdInput, MemberInput, PlaceInput
from agency_backoffice.models.enums import Need, PriorityFlag, ResourceKind, Sex, Situation, SupportIntensity
from agency_backoffice.rules.household_import import TEXT_LIMITS
from agency_backoffice.rules.household_import.values import PLACE_LABEL_LIMIT, check_text, parse_amount

E = TypeVar("E", bound=Enum)

REQUIRED = ("siao_reference", "referred_on", "situation", "members")
TEXT_FIELDS = tuple(TEXT_LIMITS)
DATE_FIELDS = ("referred_on", "situation_since", "needed_by", "consent_on")
BOOL_FIELDS = ("couple", "prefers_low_floor", "disability_card")


class _Problems(list[str]):
    def value(self, name: str, value: Any, parse: Callable[[Any], Any]) -> Any:
        """``parse(value)``, or None with a problem naming the field."""
        try:
            return parse(value)
        except (TypeError, ValueError) as exc:
            self.append(f"{name} : {exc}")
            return None


def household_from_json(payload: dict[str, Any]) -> tuple[HouseholdInput | None, list[str]]:
    """Read a referral from a decoded JSON object; on any problem, None and the French problems."""
    problems = _Problems()
    problems.extend(f"{name} : champ inconnu." for name in payload if name not in FIELDS)
    problems.extend(f"{name} : obligatoire." for name in REQUIRED if payload.get(name) is None)
    values: dict[str, Any] = {}
    for name, raw in payload.items():
        if raw is not None and name in FIELDS:
            values[name] = FIELDS[name](problems, name, raw)
    if problems:
        return None, list(problems)
    return HouseholdInput(**values), []


def _scalar(parse: Callable[[Any], Any]) -> Callable[[_Problems, str, Any], Any]:
    return lambda problems, name, raw: problems.value(name, raw, parse)


def _members(problems: _Problems, name: str, raw: Any) -> tuple[MemberInput, ...]:
    if not _is_list(problems, name, raw, allow_empty=False):
        return ()
    members = []
    for index, item in enumerate(raw):
        field, item = f"{name}[{index}]", _object(problems, f"{name}[{index}]", item)
        month, sex = item.get("birth_month"), item.get("sex")
        members.append(
            MemberInput(
                adult=bool(problems.value(f"{field}.adult", item.get("adult"), _bool)),
                birth_year=problems.value(f"{field}.birth_year", item.get("birth_year"), _int) or 0,
                birth_month=None if month is None else problems.value(f"{field}.birth_month", month, _int),
                sex=None if sex is None else problems.value(f"{field}.sex", sex, lambda v: _enum(Sex, v)),
            )
        )
    return tuple(members)


def _places(problems: _Problems, name: str, raw: Any) -> tuple[PlaceInput, ...]:
    if not _is_list(problems, name, raw):
        return ()
    places = []
    for index, item in enumerate(raw):
        field, item = f"{name}[{index}]", _object(problems, f"{name}[{index}]", item)
        label = problems.value(
            f"{field}.label", item.get("label") or "", lambda v: check_text("label", _str(v), limit=PLACE_LABEL_LIMIT)
        )
        places.append(
            PlaceInput(
                kind=problems.value(f"{field}.kind", item.get("kind"), _str) or "",
                label=label or "",
                commune=(problems.value(f"{field}.commune", item.get("commune"), _str) or "").strip().upper(),
            )
        )
    return tuple(places)


def _resources(problems: _Problems, name: str, raw: Any) -> tuple[tuple[ResourceKind, Decimal], ...]:
    if not isinstance(raw, dict):
        problems.append(f'{name} : objet attendu, par exemple {{"wages": 1234.56, "rsa": 300}}.')
        return ()
    resources = []
    for key, value in raw.items():
        kind = problems.value(f"{name}.{key}", key, lambda v: _enum(ResourceKind, v))
        amount = problems.value(f"{name}.{key}", value, _amount)
        if kind is not None and amount:  # an amount of 0 records nothing
            resources.append((kind, amount))
    return tuple(resources)


def _is_list(problems: _Problems, name: str, raw: Any, *, allow_empty: bool = True) -> bool:
    if not isinstance(raw, list):
        problems.append(f"{name} : liste attendue.")
        return False
    if not raw and not allow_empty:
        problems.append(f"{name} : au moins une personne.")
    return True


def _object(problems: _Problems, name: str, item: Any) -> dict[str, Any]:
    if isinstance(item, dict):
        return item
    problems.append(f"{name} : objet attendu.")
    return {}


def _text(name: str) -> Callable[[Any], str]:
    return lambda value: check_text(name, _str(value), limit=TEXT_LIMITS[name])


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("texte attendu.")
    if "\x00" in value:  # PostgreSQL refuses it in a text column
        raise ValueError("caractère nul interdit dans un texte.")
    return value


def _list_of(parse: Callable[[Any], Any], into: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def read(value: Any) -> Any:
        if not isinstance(value, list):
            raise TypeError("liste attendue.")
        return into(parse(item) for item in value)

    return read


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError("true ou false attendu.")
    return value


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("nombre entier attendu.")
    return value


def _date(value: Any) -> date:
    try:
        return date.fromisoformat(_str(value))
    except ValueError:
        raise ValueError(f"date invalide « {value} » (attendu AAAA-MM-JJ).") from None


def _amount(value: Any) -> Decimal:
    """Euros as a JSON number or a string (``1234.56`` or ``1 234,56``), at most 2 decimals, not negative."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        raise TypeError("montant attendu (nombre d'euros).")
    if isinstance(value, str):
        return parse_amount(value)
    amount = Decimal(value)
    # The magnitude first: quantize fails on a huge number (1e30), and Numeric(12, 2) could not store it anyway.
    if not amount.is_finite() or not 0 <= amount < 10**10 or amount != amount.quantize(Decimal("0.01")):
        raise ValueError(f"montant invalide « {value} » (nombre positif, 2 décimales au plus).")
    return amount


def _enum(kind: type[E], value: Any) -> E:
    codes = [str(member.value) for member in kind]
    if not isinstance(value, str) or value not in codes:
        raise ValueError(f"valeur inconnue « {value} » (attendu : {', '.join(codes)}).")
    return kind(value)


def _code(value: Any) -> str:
    return _str(value).strip().upper()


# Field → reader(problems, field name, raw value); the keys are every field the API accepts.
FIELDS: dict[str, Callable[[_Problems, str, Any], Any]] = {
    "siao_reference": _scalar(_str),
    "situation": _scalar(lambda v: _enum(Situation, v)),
    "members": _members,
    "resources": _resources,
    "priority_flags": _scalar(_list_of(lambda v: _enum(PriorityFlag, v), frozenset)),
    "needs": _scalar(_list_of(lambda v: _enum(Need, v), frozenset)),
    "wished_communes": _scalar(_list_of(_code, tuple)),
    "places": _places,
    "tax_income": _scalar(_amount),
    "tax_income_year": _scalar(_int),
    "support_intensity": _scalar(lambda v: _enum(SupportIntensity, v)),
    **{name: _scalar(_text(name)) for name in TEXT_FIELDS},
    **{name: _scalar(_date) for name in DATE_FIELDS},
    **{name: _scalar(_bool) for name in BOOL_FIELDS},
}
