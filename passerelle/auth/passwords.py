"""Password hashing with argon2id at the OWASP-recommended minimum cost."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# OWASP Password Storage Cheat Sheet: argon2id, m=19 MiB, t=2, p=1.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)

# Verified when the e-mail is unknown, so that both failures take the same time.
_DUMMY_HASH = _hasher.hash("passerelle-dummy-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password; with no hash, still spend the same time and answer False."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def password_problems(password: str, *, email: str = "", min_length: int = 12) -> list[str]:
    """Return the French reasons a new password is refused (ASVS 2.1: length, not composition rules)."""
    problems = []
    if len(password) < min_length:
        problems.append(f"Le mot de passe doit contenir au moins {min_length} caractères.")
    if len(password) > 128:
        problems.append("Le mot de passe ne doit pas dépasser 128 caractères.")
    lowered = password.lower()
    local_part = email.split("@", 1)[0].lower()
    if local_part and len(local_part) >= 4 and local_part in lowered:
        problems.append("Le mot de passe ne doit pas contenir votre adresse e-mail.")
    if lowered in _COMMON_PASSWORDS or len(set(password)) < 4:
        problems.append("Ce mot de passe est trop courant ou trop simple.")
    return problems


_COMMON_PASSWORDS = {
    "motdepasse123",
    "motdepasse1234",
    "azertyuiop123",
    "azertyuiopqsd",
    "password1234",
    "123456789012",
    "qwertyuiop123",
    "passerelle123",
    "soleil123456",
}
