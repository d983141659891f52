"""Uploaded files: checked by content, stored outside the web root under their SHA-256, never as HTML."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from flask import Response, current_app, send_file

# Magic numbers of the only types we accept (content decides, never the file name or the browser's claim).
SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"%PDF-", "application/pdf", ".pdf"),
)


class UploadError(ValueError):
    """A French message explaining why a file was refused."""


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int
    content_type: str
    filename: str


def sniff(data: bytes) -> tuple[str, str] | None:
    """Return (content type, extension) from the file's first bytes, or None for any other type."""
    for magic, content_type, extension in SIGNATURES:
        if data.startswith(magic):
            return content_type, extension
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", ".webp"
    return None


def upload_folder() -> Path:
    folder = Path(current_app.config.get("UPLOAD_FOLDER") or Path(current_app.instance_path) / "uploads")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@dataclass(frozen=True)
class CheckedFile:
    """A file that passed the checks and is not stored yet (check every file before storing any)."""

    data: bytes
    content_type: str
    filename: str


def store(data: bytes, *, filename: str, allowed: set[str], max_bytes: int) -> StoredFile:
    """Check and store a file; the same content is stored once."""
    return save(check(data, filename=filename, allowed=allowed, max_bytes=max_bytes))


def check(data: bytes, *, filename: str, allowed: set[str], max_bytes: int) -> CheckedFile:
    """Refuse empty, oversized or wrongly typed files, with a French message."""
    if not data:
        raise UploadError(f"Le fichier « {filename} » est vide.")
    if len(data) > max_bytes:
        raise UploadError(f"Le fichier « {filename} » dépasse la taille autorisée ({_size(max_bytes)}).")
    sniffed = sniff(data)
    if sniffed is None or sniffed[0] not in allowed:
        kinds = ", ".join(sorted(_KIND_NAMES[kind] for kind in allowed))
        raise UploadError(f"Le fichier « {filename} » n'est pas d'un type accepté ({kinds}).")
    content_type, extension = sniffed
    return CheckedFile(data=data, content_type=content_type, filename=_clean_filename(filename, extension))


def save(checked: CheckedFile) -> StoredFile:
    digest = hashlib.sha256(checked.data).hexdigest()
    path = _path_for(digest)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        temporary.write_bytes(checked.data)
        temporary.replace(path)
    return StoredFile(
        sha256=digest, size=len(checked.data), content_type=checked.content_type, filename=checked.filename
    )


def send_stored(sha256: str, *, content_type: str, filename: str) -> Response:
    """Stream a stored file: images inline, PDFs as downloads, never interpreted as HTML."""
    response = send_file(
        BytesIO(read(sha256)),
        mimetype=content_type,
        as_attachment=content_type == "application/pdf",
        download_name=filename,
        max_age=0,
    )
    response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _size(size: int) -> str:
    return f"{size // (1024 * 1024)} Mo" if size >= 1024 * 1024 else f"{max(size // 1024, 1)} ko"


def read(sha256: str) -> bytes:
    return _path_for(sha256).read_bytes()


def _path_for(digest: str) -> Path:
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise ValueError("invalid digest")
    return upload_folder() / digest[:2] / digest


def _clean_filename(filename: str, extension: str) -> str:
    stem = Path(filename).stem or "document"
    safe = "".join(c if c.isalnum() or c in "-_ ." else "_" for c in stem).strip(" .")[:80] or "document"
    return safe + extension


_KIND_NAMES = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/webp": "WebP",
    "application/pdf": "PDF",
}
