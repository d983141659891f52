"""Password hashing with argon2id at the OWASP-recommended minimum cost, and the rules of a new password."""

from __future__ import annotations

import re
import unicodedata

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from passerelle.auth.common_passwords import COMMON_PASSWORDS, COMMON_WORDS

# OWASP Password Storage Cheat Sheet: argon2id, m=19 MiB, t=2, p=1.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)

# Verified when the e-mail is unknown, so that both failures take the same time.
_DUMMY_HASH = _hasher.hash("passerelle-dummy-password")

# ASVS 2.1.2: at least 64 characters allowed, at most 128; nothing is ever truncated (argon2 hashes it all).
MAX_LENGTH = 128
_PADDING = re.compile(r"^[\W\d_]+|[\W\d_]+$")
_SEPARATORS = re.compile(r"[\s._\-+']+")


def normalize(password: str) -> str:
    """NFKC form (NIST SP 800-63B §5.1.1.2): « é » typed on any keyboard or system is the same password."""
    return unicodedata.normalize("NFKC", password)


def hash_password(password: str) -> str:
    return _hasher.hash(normalize(password))


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password; with no hash, still spend the same time and answer False."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, normalize(password)) and password_hash is not None
    except (VerificationError, InvalidHashError):
        pass
    if password_hash is None or normalize(password) == password:
        return False
    # Hashes made before passwords were normalised hold the password as it was typed.
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def password_problems(password: str, *, email: str = "", full_name: str = "", min_length: int = 12) -> list[str]:
    """Return the French reasons a new password is refused (ASVS 2.1: length and blocklists, no composition)."""
    password = normalize(password)
    problems = []
    if len(password) < min_length:
        problems.append(f"Le mot de passe doit contenir au moins {min_length} caractères.")
    if len(password) > MAX_LENGTH:
        problems.append(f"Le mot de passe ne doit pas dépasser {MAX_LENGTH} caractères.")
    lowered = password.casefold()
    squeezed = _SEPARATORS.sub("", lowered)
    if any(part in lowered or part in squeezed for part in _personal_parts(email, full_name)):
        problems.append("Le mot de passe ne doit contenir ni votre adresse e-mail ni votre nom.")
    if _is_common(lowered) or len(set(password)) < 4:
        problems.append(
            "Ce mot de passe est trop courant ou trop simple. Choisissez par exemple une phrase de plusieurs mots."
        )
    return problems


def _personal_parts(email: str, full_name: str) -> set[str]:
    """The pieces of the e-mail address and the name a password must not contain (4 characters or more)."""
    email = normalize(email).strip().casefold()
    local_part = email.split("@", 1)[0]
    parts = {email, local_part, _SEPARATORS.sub("", local_part), _SEPARATORS.sub("", normalize(full_name).casefold())}
    return {part for part in parts if len(part) >= 4}


def _is_common(lowered: str) -> bool:
    if lowered in COMMON_PASSWORDS or _SEPARATORS.sub("", lowered) in COMMON_PASSWORDS:
        return True
    # A common word padded with digits and symbols to reach the length: « Motdepasse2026! », « 2026azerty!! ».
    root = _PADDING.sub("", lowered)
    return root in COMMON_WORDS or _SEPARATORS.sub("", root) in COMMON_WORDS
