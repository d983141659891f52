"""Account writes: create users, log in with throttling, reset and change passwords, verify e-mails."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from passerelle.audit import audit
from passerelle.auth.passwords import hash_password, needs_rehash, verify_password
from passerelle.db import utcnow
from passerelle.models import LoginAttempt, Membership, Organisation, Role, User


class AccountError(ValueError):
    """A French message explaining why an account operation was refused."""


def normalize_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalize_email(email)))


def create_user(
    session: Session,
    *,
    email: str,
    password: str,
    role: Role,
    full_name: str = "",
    organisation: Organisation | None = None,
    verified: bool = False,
    is_demo: bool = False,
    by: User | None,
) -> User:
    """Create an account; staff and metro users must belong to an organisation."""
    email = normalize_email(email)
    if find_user_by_email(session, email) is not None:
        raise AccountError("Un compte existe déjà avec cette adresse e-mail.")
    if role in (Role.AGENCY_STAFF, Role.METRO) and organisation is None:
        raise AccountError("Un compte opérateur ou métropole doit être rattaché à une organisation.")
    user = User(
        email=email,
        password_hash=hash_password(password),
        role=role,
        full_name=full_name.strip(),
        email_verified_at=utcnow() if verified else None,
        is_demo=is_demo,
    )
    session.add(user)
    if organisation is not None:
        user.memberships.append(Membership(organisation=organisation))
    session.flush()
    audit(session, actor=by or user, action="user.create", object_type="user", object_id=user.id, role=role)
    return user


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    throttled: bool = False
    unverified: bool = False


def login_failures(session: Session, *, email: str, ip: str, since: datetime) -> tuple[int, int]:
    """Count failed attempts since a time, for the account and for the address."""
    base = (
        select(func.count()).select_from(LoginAttempt).where(LoginAttempt.success.is_(False), LoginAttempt.at >= since)
    )
    by_account = session.scalar(base.where(LoginAttempt.email == email)) or 0
    by_ip = session.scalar(base.where(LoginAttempt.ip == ip)) or 0
    return by_account, by_ip


def authenticate(
    session: Session,
    *,
    email: str,
    password: str,
    ip: str,
    window: timedelta,
    max_per_account: int,
    max_per_ip: int,
) -> LoginResult:
    """Check credentials, counting failures per account and per address; record the attempt."""
    email = normalize_email(email)
    now = utcnow()
    by_account, by_ip = login_failures(session, email=email, ip=ip, since=now - window)
    if by_account >= max_per_account or by_ip >= max_per_ip:
        session.add(LoginAttempt(at=now, email=email, ip=ip, success=False))
        return LoginResult(user=None, throttled=True)
    user = find_user_by_email(session, email)
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.is_active:
        session.add(LoginAttempt(at=now, email=email, ip=ip, success=False, user_id=user.id if user else None))
        return LoginResult(user=None)
    if user.email_verified_at is None:
        # The right password proves the owner: tell them what is missing.
        session.add(LoginAttempt(at=now, email=email, ip=ip, success=False, user_id=user.id))
        return LoginResult(user=user, unverified=True)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = now
    session.add(LoginAttempt(at=now, email=email, ip=ip, success=True, user_id=user.id))
    audit(session, actor=user, action="user.login", object_type="user", object_id=user.id)
    return LoginResult(user=user)


def set_password(session: Session, user: User, password: str, *, by: User, reason: str) -> None:
    """Replace a password; open sessions and reset links of this account stop working."""
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    audit(session, actor=by, action="user.password_change", object_type="user", object_id=user.id, reason=reason)


def verify_email(session: Session, user: User) -> bool:
    """Mark the e-mail address verified; return False when it already was."""
    if user.email_verified_at is not None:
        return False
    user.email_verified_at = utcnow()
    audit(session, actor=user, action="user.email_verified", object_type="user", object_id=user.id)
    return True


def update_profile(session: Session, user: User, *, full_name: str, phone: str | None, by: User) -> None:
    user.full_name = full_name.strip()
    user.phone = (phone or "").strip() or None
    audit(session, actor=by, action="user.update_profile", object_type="user", object_id=user.id)
