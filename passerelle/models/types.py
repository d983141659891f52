"""Column types shared by every package."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Enum, Numeric

# Money: two decimals, read back as Decimal (never float).
Money = Numeric(12, 2, asdecimal=True)


def str_enum(enum_cls: type[StrEnum], name: str) -> Enum:
    """Store a StrEnum as its value in a VARCHAR guarded by a CHECK constraint on both databases."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(member.value) for member in enum_cls),
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )
