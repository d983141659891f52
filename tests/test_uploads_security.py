"""Uploaded files (ASVS 12.1–12.5): type from the content, no polyglot, stored outside the web root, served inert."""

from __future__ import annotations

import html
import io
import re
import struct
import zlib
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from capture.models import UnitDocument
from passerelle import storage
from passerelle.models import Role
from tests.conftest import login_as
from tests.factories import Factory

SCRIPT = b"<script>alert(document.cookie)</script>"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>x()</script></svg>'
HTML = b"<!DOCTYPE html><html><body>" + SCRIPT + b"</body></html>"
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def image_bytes(kind: str, size: tuple[int, int] = (8, 6)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(buffer, format=kind)
    return buffer.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that announces a huge picture in its header (a decompression bomb's first bytes)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


def stored_files(app: Flask) -> set[Path]:
    with app.app_context():
        folder = storage.upload_folder()
    return {path for path in folder.rglob("*") if path.is_file()}


@pytest.fixture
def draft(client: FlaskClient, make: Factory) -> str:
    """A landlord logged in with a draft unit: the URL of its documents step."""
    login_as(client, make.user(Role.LANDLORD))
    response = client.post("/proprietaire/logements/nouveau")
    unit_id = re.search(r"/logements/(\d+)/etape/", response.headers["Location"]).group(1)
    return f"/proprietaire/logements/{unit_id}/etape/documents"


def _upload(client: FlaskClient, url: str, *, photos=(), dpe=None):  # type: ignore[no-untyped-def]
    data: dict = {"photos": [(io.BytesIO(content), name) for content, name in photos], "action": "next"}
    if dpe is not None:
        data["dpe_document"] = (io.BytesIO(dpe[0]), dpe[1])
    return client.post(url, data=data, content_type="multipart/form-data")


@pytest.mark.parametrize(
    ("photo", "dpe", "message"),
    [
        ((SVG, "facade.png"), None, "n'est pas d'un type accepté"),
        ((SVG.replace(b'<?xml version="1.0"?>', b""), "facade.jpg"), None, "n'est pas d'un type accepté"),
        ((HTML, "salon.png"), None, "n'est pas d'un type accepté"),
        (None, (HTML, "dpe.pdf"), "n'est pas d'un type accepté"),
        (None, (SVG, "dpe.pdf"), "n'est pas d'un type accepté"),
        # Polyglots: the right first bytes, then a page a browser would run.
        ((image_bytes("PNG") + HTML, "salon.png"), None, "contient du code"),
        ((image_bytes("JPEG") + SVG, "salon.jpg"), None, "contient du code"),
        ((b"\x89PNG\r\n\x1a\n" + HTML, "salon.png"), None, "contient du code"),
        (None, (b"%PDF-1.4\n" + HTML, "dpe.pdf"), "n'est pas un PDF valide"),
        (None, (b"%PDF-<html>" + SCRIPT, "dpe.pdf"), "n'est pas un PDF valide"),
        # The first bytes of a PNG, then nothing an image reader understands.
        ((b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "salon.png"), None, "n'est pas une image valide"),
        # A picture announced far larger than any photo: refused before anything is decoded.
        ((png_header_only(9000, 9000), "immense.png"), None, "image trop grande"),
        ((png_header_only(60000, 60000), "bombe.png"), None, "n'est pas une image valide"),
        # A PDF where a photo is expected, a photo where the DPE PDF is expected.
        ((PDF, "salon.jpg"), None, "n'est pas d'un type accepté"),
        (None, (image_bytes("PNG"), "dpe.pdf"), "n'est pas d'un type accepté"),
    ],
)
def test_disguised_files_are_refused_in_french_and_nothing_is_stored(
    app: Flask, client: FlaskClient, session: Session, draft: str, photo, dpe, message: str
) -> None:  # type: ignore[no-untyped-def]
    before = stored_files(app)
    # A valid photo in the same request is not kept either: all or nothing.
    photos = [(image_bytes("PNG"), "valide.png")] + ([photo] if photo else [])
    response = _upload(client, draft, photos=photos, dpe=dpe)
    assert response.status_code == 200
    assert message in html.unescape(response.get_data(as_text=True))
    assert session.scalar(select(func.count()).select_from(UnitDocument)) == 0
    assert stored_files(app) == before


def test_real_files_are_accepted_with_their_type_from_the_content(
    app: Flask, client: FlaskClient, session: Session, draft: str
) -> None:
    jpeg, webp = image_bytes("JPEG"), image_bytes("WEBP")
    response = _upload(
        client,
        draft,
        photos=[(jpeg, "photo.png"), (webp, "../../etc/passwd"), (image_bytes("PNG"), "salon.png")],
        dpe=(PDF, "dpe.exe"),
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    documents = {d.filename: d for d in session.scalars(select(UnitDocument))}
    # The type and the extension come from the bytes, never from the name the browser sent.
    assert documents["photo.jpg"].content_type == "image/jpeg"
    assert documents["passwd.webp"].content_type == "image/webp"
    assert documents["salon.png"].content_type == "image/png"
    assert documents["dpe.pdf"].content_type == "application/pdf"


def test_files_live_outside_the_web_root_under_names_the_server_chose(
    app: Flask, client: FlaskClient, session: Session, draft: str
) -> None:
    photo = image_bytes("PNG", (5, 5))
    assert _upload(client, draft, photos=[(photo, "<script>.png")]).status_code == 302
    document = session.scalars(select(UnitDocument)).one()
    with app.app_context():
        folder = storage.upload_folder().resolve()
    path = next(p for p in folder.rglob(document.sha256))
    assert path.read_bytes() == photo
    assert re.fullmatch(r"[0-9a-f]{64}", path.name)  # not the visitor's file name
    assert folder.is_relative_to(Path(app.instance_path).resolve())
    static = Path(app.static_folder or "").resolve()
    assert not folder.is_relative_to(static) and not static.is_relative_to(folder)
    for package in ("passerelle", "capture", "landlord_portal", "agency_backoffice"):
        assert not folder.is_relative_to(Path(app.root_path).parent.resolve() / package)
    # No URL of the site maps to the folder: only the views, after their object checks, read it.
    relative = path.relative_to(Path(app.instance_path).resolve())
    for url in (f"/static/../instance/{relative}", f"/{relative}", f"/uploads/{document.sha256[:2]}/{document.sha256}"):
        assert client.get(url).status_code == 404, url


def test_stored_files_are_served_inert(app: Flask, client: FlaskClient, session: Session, draft: str) -> None:
    assert _upload(client, draft, photos=[(image_bytes("PNG"), "salon.png")], dpe=(PDF, "dpe.pdf")).status_code == 302
    unit_path = draft.rsplit("/etape/", 1)[0]
    for document in session.scalars(select(UnitDocument)):
        response = client.get(f"{unit_path}/documents/{document.id}")
        assert response.status_code == 200
        headers = response.headers
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in headers["Content-Security-Policy"]
        assert "default-src 'none'" in headers["Content-Security-Policy"]
        assert "no-store" in headers["Cache-Control"]
        if document.content_type == "image/png":
            assert response.mimetype == "image/png"
            assert headers.get("Content-Disposition", "inline").startswith("inline")
        else:
            assert response.mimetype == "application/pdf"
            assert headers["Content-Disposition"].startswith("attachment")


@pytest.mark.parametrize("content_type", ["text/html", "image/svg+xml", "application/xhtml+xml", "text/plain"])
def test_a_type_never_accepted_is_only_ever_a_download(app: Flask, content_type: str) -> None:
    """Should a record ever claim an active type, the file still goes out as an opaque download."""
    with app.test_request_context():
        stored = storage.save(storage.CheckedFile(data=HTML, content_type=content_type, filename="page.html"))
        response = storage.send_stored(stored.sha256, content_type=content_type, filename="page.html")
        response.direct_passthrough = False
        assert response.mimetype == "application/octet-stream"
        assert response.headers["Content-Disposition"].startswith("attachment")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response.headers["Content-Security-Policy"]
        response.close()


def test_generated_pdfs_with_markup_in_their_text_are_still_stored(app: Flask) -> None:
    """A household called « <script> » must not stop its lease from being built: only the PDF's head is checked."""
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.setTitle("<html><script>alert(1)</script>")
    pdf.drawString(72, 720, "Locataire : <script>alert(1)</script>")
    pdf.save()
    with app.app_context():
        checked = storage.check(buffer.getvalue(), filename="bail.pdf", allowed={"application/pdf"}, max_bytes=10**6)
    assert checked.content_type == "application/pdf"
