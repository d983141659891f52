"""Users, roles and login attempts."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, false, func, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from passerelle.db import Base, UTCDateTime, utcnow
from passerelle.models.types import str_enum

if TYPE_CHECKING:
    from passerelle.models.organisations import Membership, Organisation


class Role(StrEnum):
    LANDLORD = "landlord"
    AGENCY_STAFF = "agency_staff"
    METRO = "metro"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.LANDLORD: "Propriétaire",
    Role.AGENCY_STAFF: "Équipe opérateur",
    Role.METRO: "Métropole",
    Role.ADMIN: "Administration",
}


class User(UserMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Stored lower-cased; unique on both databases.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"))
    full_name: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str | None] = mapped_column(String(30))
    is_active_account: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, server_default=func.now())
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, server_default=func.now())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login: inactive accounts cannot log in
        return self.is_active_account

    @property
    def organisation(self) -> Organisation | None:
        """The operator or metropolis this user works for (staff and metro have exactly one)."""
        return self.memberships[0].organisation if self.memberships else None

    @property
    def organisation_id(self) -> int | None:
        return self.memberships[0].organisation_id if self.memberships else None

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class LoginAttempt(Base):
    """One login attempt; failures in a sliding window throttle an account and an address."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_email_at", "email", "at"),
        Index("ix_login_attempts_ip_at", "ip", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    email: Mapped[str] = mapped_column(String(254))
    ip: Mapped[str] = mapped_column(String(45))
    success: Mapped[bool] = mapped_column(Boolean)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
