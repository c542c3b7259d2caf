"""PDF files for tests: clean Vietnamese text, scans, signed files and crafted bad files.

Every ``make_*`` function returns the PDF as ``bytes`` (``make_signed_pdf``: a ``SignedPdf``
named tuple ``(data, ca_pem)``) and, when ``path`` is given, also writes it there (parent folders
are created). Nothing here touches the network. Needs reportlab, Pillow (a reportlab
dependency), cryptography, pyHanko, pypdf, and fonts-dejavu-core.

Good files
    make_text_pdf        text layer in DejaVuSans (Vietnamese comes back exact and NFC)
    make_scanned_pdf     image-only pages (text drawn into a picture with Pillow): needs OCR
    make_signed_pdf      signed with pyHanko by a self-made CA; returns ``SignedPdf(data, ca_pem)``
    make_encrypted_pdf   AES-256; with ``user_password=""`` it opens without a password

Bad files (see portal.documents.pdf for the refusal codes they should produce)
    make_empty_file, make_not_pdf, make_zero_page_pdf, make_truncated_pdf, make_page_tree_loop_pdf,
    make_flate_bomb_pdf, make_shared_stream_pdf (CPU burner), make_many_streams_pdf
    (memory eater), make_many_pages_pdf

Helpers
    tamper_signed_pdf    flips one byte inside the signed byte range (structure stays valid)
"""

from __future__ import annotations

import functools
import io
import os
import unicodedata
import zlib
from pathlib import Path
from typing import NamedTuple

DEJAVU_SANS = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
DEJAVU_SANS_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"

#: ASCII marker written into the document information (/Subject) of signed files, so that
#: ``tamper_signed_pdf`` can change one byte inside the signed range without breaking the file.
TAMPER_MARKER = b"THIDUA-TAMPER-MARKER"

_PAGE_W, _PAGE_H = 595.2756, 841.8898  # A4 in points
_MARGIN = 56.0
_FONT_SIZE = 12.0
_LEADING = 16.0


def _out(path: str | os.PathLike[str] | None, data: bytes) -> bytes:
    if path is not None:
        if "\n" in str(path):
            # The first argument is the output path; a document text passed there by mistake once
            # created folders named after it in the working tree.
            raise ValueError("path looks like document text: pass None as the path, the text second")
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    return data


def _as_pages(pages: list[str] | tuple[str, ...] | str) -> list[str]:
    if isinstance(pages, str):
        return [pages]
    return list(pages)


# --------------------------------------------------------------------------------------------
# Text PDFs (reportlab + DejaVuSans)
# --------------------------------------------------------------------------------------------


@functools.cache
def _register_font(font: str) -> str:
    """Register a TrueType font with reportlab once; returns the reportlab font name."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    files = {"DejaVuSans": DEJAVU_SANS, "DejaVuSans-Bold": DEJAVU_SANS_BOLD}
    if font in pdfmetrics.getRegisteredFontNames():
        return font
    path = files.get(font, font)
    name = font if font in files else Path(path).stem
    pdfmetrics.registerFont(TTFont(name, path))
    return name


def _wrap(line: str, font: str, size: float, width: float) -> list[str]:
    """Greedy word wrap by measured width; a word longer than the line is split by characters."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    if not line.strip():
        return [""]
    out: list[str] = []
    current = ""
    for word in line.split(" "):
        candidate = word if not current else f"{current} {word}"
        if stringWidth(candidate, font, size) <= width:
            current = candidate
            continue
        if current:
            out.append(current)
        current = ""
        while stringWidth(word, font, size) > width:  # very long word: hard split
            cut = len(word)
            while cut > 1 and stringWidth(word[:cut], font, size) > width:
                cut -= 1
            out.append(word[:cut])
            word = word[cut:]
        current = word
    out.append(current)
    return out


def make_text_pdf(
    path: str | os.PathLike[str] | None,
    pages: list[str] | str,
    *,
    title: str | None = None,
    font: str = "DejaVuSans",
    font_size: float = _FONT_SIZE,
    compress: bool = True,
    subject: str | None = None,
) -> bytes:
    """A PDF with a real text layer: one element of ``pages`` per page.

    Each page's text is split on ``\\n`` into lines and long lines are wrapped to the page
    width; text that does not fit on a page continues on an extra page (so keep page texts
    short when a test counts pages). Vietnamese text comes back exactly (NFC) from pypdf as
    long as no line had to be wrapped. ``title`` goes into the document information
    dictionary (/Title). The output is deterministic (reportlab ``invariant`` mode).
    """
    from reportlab.pdfgen import canvas

    fontname = _register_font(font)
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(_PAGE_W, _PAGE_H), invariant=1, pageCompression=1 if compress else 0)
    if title is not None:
        c.setTitle(title)
    if subject is not None:
        c.setSubject(subject)
    c.setAuthor("Thi đua Portal tests")
    width = _PAGE_W - 2 * _MARGIN
    for page_text in _as_pages(pages):
        y = _PAGE_H - _MARGIN
        c.setFont(fontname, font_size)
        for raw_line in page_text.split("\n"):
            for line in _wrap(raw_line, fontname, font_size, width):
                if y < _MARGIN:
                    c.showPage()
                    c.setFont(fontname, font_size)
                    y = _PAGE_H - _MARGIN
                if line:
                    c.drawString(_MARGIN, y, line)
                y -= _LEADING * font_size / _FONT_SIZE
        c.showPage()
    c.save()
    return _out(path, buf.getvalue())


# --------------------------------------------------------------------------------------------
# Scanned (image-only) PDFs
# --------------------------------------------------------------------------------------------


def _render_page_image(text: str, *, dpi: int, font_px: int):
    from PIL import Image, ImageDraw, ImageFont

    w_px = round(_PAGE_W / 72 * dpi)
    h_px = round(_PAGE_H / 72 * dpi)
    img = Image.new("L", (w_px, h_px), 255)
    draw = ImageDraw.Draw(img)
    pil_font = ImageFont.truetype(DEJAVU_SANS, font_px)
    margin = round(_MARGIN / 72 * dpi)
    y = margin
    line_h = round(font_px * 1.5)
    usable = w_px - 2 * margin
    for raw_line in text.split("\n"):
        words, current = raw_line.split(" "), ""
        lines = []
        for word in words:
            candidate = word if not current else f"{current} {word}"
            if draw.textlength(candidate, font=pil_font) <= usable or not current:
                current = candidate
            else:
                lines.append(current)
                current = word
        lines.append(current)
        for line in lines:
            if y + line_h > h_px - margin:
                break
            draw.text((margin, y), unicodedata.normalize("NFC", line), font=pil_font, fill=0)
            y += line_h
    return img


def make_scanned_pdf(
    path: str | os.PathLike[str] | None,
    pages: list[str] | str,
    *,
    dpi: int = 150,
    font_px: int = 36,
) -> bytes:
    """An image-only PDF, like a scan: each page is one greyscale picture of the text.

    The text is drawn with Pillow in DejaVuSans (``font_px`` pixels high at ``dpi``), so there is
    no text layer at all; OCR at 150–300 dpi reads it back. Text that does not fit is cut off.
    """
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(_PAGE_W, _PAGE_H), invariant=1)
    for page_text in _as_pages(pages):
        img = _render_page_image(page_text, dpi=dpi, font_px=font_px)
        c.drawImage(ImageReader(img), 0, 0, width=_PAGE_W, height=_PAGE_H)
        c.showPage()
    c.save()
    return _out(path, buf.getvalue())


# --------------------------------------------------------------------------------------------
# Signed PDFs (self-made CA + signer, pyHanko)
# --------------------------------------------------------------------------------------------


class SignedPdf(NamedTuple):
    """What ``make_signed_pdf`` returns: ``data, ca_pem = make_signed_pdf(...)``."""

    data: bytes
    ca_pem: bytes


# The CA of the tests: not the demo's, so a test never trusts demo signatures by accident.
TEST_CA = "Test CA Thi đua"
TEST_CA_ORG = "Ban Thi đua - Khen thưởng (thử nghiệm)"


def make_signed_pdf(
    path: str | os.PathLike[str] | None = None,
    pages: list[str] | str = "QUYẾT ĐỊNH\nVề việc tặng Cờ thi đua của Ủy ban nhân dân tỉnh",
    *,
    signer_cn: str = "Trần Văn Minh",
    signer_org: str = "UBND tỉnh Lam Sơn",
    reason: str = "Phê duyệt",
    location: str = "Lam Sơn",
    field_name: str = "ChuKy1",
    title: str | None = None,
    base_pdf: bytes | None = None,
) -> SignedPdf:
    """A PDF signed with pyHanko ``SimpleSigner`` by a self-made CA's signer certificate.

    Returns ``SignedPdf(data, ca_pem)``: put ``ca_pem`` in a trust-roots folder to make the
    signature "trusted". The CA and signer keys (portal.demo.signing, shared with the demo) are
    generated once per (signer_cn, signer_org) per test session. ``base_pdf`` signs an existing
    PDF instead of a generated text PDF. The generated text PDF carries ``TAMPER_MARKER`` in its
    /Subject (see ``tamper_signed_pdf``).
    """
    from portal.demo import signing

    pki = signing.make_pki(signer_cn, signer_org, ca_cn=TEST_CA, ca_org=TEST_CA_ORG)
    if base_pdf is None:
        base_pdf = make_text_pdf(None, pages, title=title, subject=TAMPER_MARKER.decode())
    data = signing.sign_pdf(base_pdf, pki, field_name=field_name, reason=reason, location=location)
    return SignedPdf(_out(path, data), pki.ca_pem)


def tamper_signed_pdf(data: bytes, path: str | os.PathLike[str] | None = None) -> bytes:
    """Flip one byte inside the signed byte range (in ``TAMPER_MARKER``); the PDF stays parseable."""
    at = data.find(TAMPER_MARKER)
    if at < 0:
        raise ValueError("no TAMPER_MARKER in this PDF (was it made by make_signed_pdf?)")
    pos = at + 3
    tampered = bytearray(data)
    tampered[pos] = ord("X") if tampered[pos] != ord("X") else ord("Y")
    return _out(path, bytes(tampered))


# --------------------------------------------------------------------------------------------
# Encrypted PDFs (pypdf writer)
# --------------------------------------------------------------------------------------------


def make_encrypted_pdf(
    path: str | os.PathLike[str] | None = None,
    pages: list[str] | str = "Văn bản mật",
    *,
    user_password: str = "matkhau",
    owner_password: str = "chu-so-huu",
    algorithm: str = "AES-256",
) -> bytes:
    """An encrypted PDF. With ``user_password=""`` it opens without a password (owner-only
    restrictions, common for official PDFs); otherwise a password is needed to read it."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_text_pdf(None, pages))))
    writer.encrypt(user_password=user_password, owner_password=owner_password, algorithm=algorithm)
    buf = io.BytesIO()
    writer.write(buf)
    return _out(path, buf.getvalue())


# --------------------------------------------------------------------------------------------
# Crafted bad files
# --------------------------------------------------------------------------------------------


#: Page resources with one standard font: without a /Font resource pypdf skips the content
#: stream entirely (no font, no text), and the bad files would not exercise the parser.
_RES = b"<< /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >>"


def _raw_pdf(objects: list[bytes], *, root: int = 1, version: bytes = b"1.7") -> bytes:
    """Assemble objects 1..n (bodies without ``obj``/``endobj``) into a PDF with a correct xref."""
    out = bytearray(b"%PDF-" + version + b"\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        root,
        xref_at,
    )
    return bytes(out)


def _stream(data: bytes, *, flate: bool = False, extra: bytes = b"") -> bytes:
    filt = b" /Filter /FlateDecode" if flate else b""
    return b"<< /Length %d%s%s >>\nstream\n" % (len(data), filt, extra) + data + b"\nendstream"


@functools.cache
def _deflated_repeat(unit: bytes, total_bytes: int) -> bytes:
    """zlib stream of ``unit`` repeated up to ``total_bytes`` (built in 1 MiB chunks, cached)."""
    comp = zlib.compressobj(9)
    chunk = unit * (1024 * 1024 // len(unit))
    parts, left = [], total_bytes
    while left > 0:
        piece = chunk[: min(left, len(chunk))]
        parts.append(comp.compress(piece))
        left -= len(piece)
    parts.append(comp.flush())
    return b"".join(parts)


def make_empty_file(path: str | os.PathLike[str] | None = None) -> bytes:
    """A zero-byte file."""
    return _out(path, b"")


def make_not_pdf(path: str | os.PathLike[str] | None = None) -> bytes:
    """A Word-like file that is not a PDF (an OLE2/DOCX-ish header and some text)."""
    data = b"PK\x03\x04\x14\x00\x06\x00" + "Báo cáo tổng kết năm".encode("utf-8") * 50
    return _out(path, data)


def make_zero_page_pdf(path: str | os.PathLike[str] | None = None) -> bytes:
    """A well-formed PDF whose page tree has no pages."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"]
    return _out(path, _raw_pdf(objects))


def make_truncated_pdf(path: str | os.PathLike[str] | None = None, *, keep: float = 0.4) -> bytes:
    """A real text PDF cut after ``keep`` of its bytes (no xref, no trailer)."""
    full = make_text_pdf(None, ["Trang một của báo cáo", "Trang hai của báo cáo"], compress=False)
    return _out(path, full[: int(len(full) * keep)])


def make_page_tree_loop_pdf(path: str | os.PathLike[str] | None = None) -> bytes:
    """A page tree whose intermediate node lists its own parent as a kid (a cycle)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 2 >>",
        b"<< /Type /Pages /Parent 2 0 R /Kids [2 0 R 4 0 R] /Count 2 >>",
        b"<< /Type /Page /Parent 3 0 R /MediaBox [0 0 595 842] >>",
    ]
    return _out(path, _raw_pdf(objects))


def make_flate_bomb_pdf(
    path: str | os.PathLike[str] | None = None, *, decompressed_mb: int = 200
) -> bytes:
    """One page whose content stream is a small FlateDecode stream that inflates to
    ``decompressed_mb`` MiB of spaces (default 200 MiB from a ~200 kB file)."""
    comp = _deflated_repeat(b" ", decompressed_mb * 1024 * 1024)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources %s >>" % _RES,
        _stream(comp, flate=True),
    ]
    return _out(path, _raw_pdf(objects))


def make_shared_stream_pdf(
    path: str | os.PathLike[str] | None = None, *, stream_mb: int = 70, pages: int = 200
) -> bytes:
    """The CPU burner: ``pages`` pages that all share one content stream inflating to
    ``stream_mb`` MiB (just under pypdf's 75 MB cap), so every page decompresses it again.
    Defaults reproduce the measured case (~100 kB file, ~27 s CPU in pypdf 7.1)."""
    comp = _deflated_repeat(b" ", stream_mb * 1024 * 1024)
    n = pages
    kids = b" ".join(b"%d 0 R" % (4 + i) for i in range(n))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % n,
        _stream(comp, flate=True),
    ]
    for _ in range(n):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 3 0 R /Resources %s >>" % _RES
        )
    return _out(path, _raw_pdf(objects))


def make_many_streams_pdf(
    path: str | os.PathLike[str] | None = None, *, streams: int = 40, stream_mb: int = 70
) -> bytes:
    """The memory eater: ``streams`` pages, each with its own content stream inflating to
    ``stream_mb`` MiB. Defaults reproduce the measured case (2.7 MB file, ~2.8 GB resident)."""
    comp = _deflated_repeat(b" ", stream_mb * 1024 * 1024)
    n = streams
    kids = b" ".join(b"%d 0 R" % (3 + 2 * i) for i in range(n))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % n,
    ]
    for i in range(n):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R /Resources %s >>"
            % (4 + 2 * i, _RES)
        )
        objects.append(_stream(comp, flate=True))
    return _out(path, _raw_pdf(objects))


def make_many_pages_pdf(path: str | os.PathLike[str] | None = None, *, pages: int = 3000) -> bytes:
    """``pages`` tiny blank pages in one flat page tree (3000 pages is about 200 kB)."""
    n = pages
    kids = b" ".join(b"%d 0 R" % (3 + i) for i in range(n))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count %d /MediaBox [0 0 595 842] >>" % n,
    ]
    objects += [b"<< /Type /Page /Parent 2 0 R >>"] * n
    return _out(path, _raw_pdf(objects))
