"""Uploaded files: checked by content, stored outside the web root under their SHA-256, never as HTML."""

from __future__ import annotations

import hashlib
import re
import warnings
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from flask import Response, current_app, send_file
from PIL import Image

# Magic numbers of the only types we accept (content decides, never the file name or the browser's claim).
SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"%PDF-", "application/pdf", ".pdf"),
)
RASTER_IMAGES = {"image/jpeg", "image/png", "image/webp"}
_PILLOW_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
# Far above a phone photo (12 Mpx, 48 Mpx for the largest sensors), far below a decompression bomb.
MAX_IMAGE_PIXELS = 60_000_000
# Markup that makes a file a polyglot a browser or a viewer could run as a page (ASVS 12.2.1).
_MARKUP = re.compile(rb"<\s*(?:script|html|svg|!doctype|iframe|object|embed|body|head|meta)\b", re.IGNORECASE)
# Browsers sniff the start of a file to guess its type: a PDF must have no markup there.
_PDF_HEADER = re.compile(rb"%PDF-[12]\.\d")
_SNIFFED_PREFIX = 1024


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
    problem = _content_problem(data, content_type)
    if problem:
        raise UploadError(f"Le fichier « {filename} » {problem}")
    return CheckedFile(data=data, content_type=content_type, filename=_clean_filename(filename, extension))


def _content_problem(data: bytes, content_type: str) -> str | None:
    """Check that the file really is what its first bytes claim, and nothing more: the French reason, or None."""
    if content_type == "application/pdf":
        # Before its first object a PDF holds only its header and a comment: markup there is a polyglot.
        first_object = data.find(b" obj", 0, _SNIFFED_PREFIX)
        if not _PDF_HEADER.match(data) or _MARKUP.search(data[: first_object if first_object > 0 else _SNIFFED_PREFIX]):
            return "n'est pas un PDF valide."
        return None
    if _MARKUP.search(data):
        return "contient du code (HTML, SVG ou script) : seules les vraies images sont acceptées."
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(BytesIO(data)) as image:
                if image.format != _PILLOW_FORMATS[content_type]:
                    return "n'est pas une image valide."
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:
                    return f"est une image trop grande ({width} × {height} pixels)."
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombWarning, Image.DecompressionBombError):
        return "n'est pas une image valide ou est endommagé."
    return None


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
    """Stream a stored file: raster images inline, anything else as a download, never interpreted as HTML."""
    inline = content_type in RASTER_IMAGES
    if not inline and content_type != "application/pdf":
        content_type = "application/octet-stream"  # a type we never accept: a download the browser cannot run
    response = send_file(
        BytesIO(read(sha256)),
        mimetype=content_type,
        as_attachment=not inline,
        download_name=filename,
        max_age=0,
    )
    # Even opened directly, the file runs no script and is never a frame of someone else's page.
    response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox; frame-ancestors 'none'"
    response.headers["X-Content-Type-Options"] = "nosniff"
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
