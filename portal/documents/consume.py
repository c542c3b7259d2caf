"""The watched import folder (`PORTAL_CONSUME_DIR`): PDFs dropped there are imported, then moved aside.

    <consume>/2026/KH/U1/ke-hoach.pdf        dropped by a scanner or the e-office system; folder names are hints
    <consume>/processing/<claim>/<rel path>  claimed by one process (an atomic rename), being imported
    <consume>/done/<rel path>                imported: the original bytes, and <name>.txt naming the document
    <consume>/refused/<rel path>             not imported: the bytes, and <name>.txt with the reason and the time

A claim folder is named `<epoch>_<pid>_<random>_<host>`: one file each, so two processes (or threads)
never take the same file (the loser's rename finds nothing) and a claim never overwrites another. A
claim whose process is gone (killed mid-import) is taken over by the next pass, so a worker restart
retries it; if its document was already stored before the crash, the file goes to done/ with a note
saying so (never stored twice, never lost). The folder acts for the Board, as `flask import` does
(auth.SYSTEM): only an administrator can put files on the server.
"""
from __future__ import annotations

import logging
import os
import re
import secrets
import socket
import stat
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path, PurePath

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.exc import SQLAlchemyError

from portal import audit
from portal.documents import services as docs
from portal.errors import ServiceError
from portal.extensions import db
from portal.org.models import Bloc, Unit
from portal.text import clean_text, fold, format_datetime, nfc, utcnow

log = logging.getLogger("portal.consume")

PROCESSING, DONE, REFUSED = "processing", "done", "refused"
RESERVED = (PROCESSING, DONE, REFUSED)
# Written by Windows, macOS and NAS boxes next to real files; never documents, never moved.
JUNK_NAMES = {"thumbs.db", "desktop.ini", ".ds_store"}
# Names a file has while something is still writing it (browsers, rsync, WinSCP, Office lock files).
TEMP_SUFFIXES = (".part", ".partial", ".tmp", ".temp", ".crdownload", ".download", ".filepart", ".swp", ".lock")
YEAR_RE = re.compile(r"(?:nam\s*)?(\d{4})")
YEAR_MIN, YEAR_MAX = 2000, 2100
# A claim older than this whose owner cannot be checked (another machine) is taken as abandoned.
STALE_CLAIM_S = 15 * 60
# A PDF without its %%EOF trailer is taken as still being written until it has been quiet this long.
TRAILER_GRACE_S = 120
PDF_MAGIC_WINDOW = 1024  # where pdf.inspect_pdf looks for %PDF- too


# --- hints from folder names --------------------------------------------------------------------

@dataclass
class Hints:
    """What the folders above a file say about it; `ignored` are the folder names that said nothing."""

    year: int | None = None
    type: str | None = None
    bloc: str | None = None
    unit: str | None = None
    ignored: list[str] = field(default_factory=list)

    def fields(self) -> dict:
        """The hints as typed fields for docs.ingest (what the reader detects fills the rest)."""
        values = {"year": self.year, "type": self.type, "bloc": self.bloc, "unit": self.unit}
        return {key: str(value) for key, value in values.items() if value is not None}

    def describe(self) -> str:
        """In Vietnamese for the notes and the audit: "năm 2026, loại KH, đơn vị U1; bỏ qua …"."""
        parts = []
        if self.year:
            parts.append(_("năm %(year)s", year=self.year))
        if self.type:
            parts.append(_("loại %(code)s", code=self.type))
        if self.bloc:
            parts.append(_("khối %(code)s", code=self.bloc))
        if self.unit:
            parts.append(_("đơn vị %(code)s", code=self.unit))
        text = ", ".join(parts) or _("không có")
        if self.ignored:
            text += "; " + _("bỏ qua tên thư mục không hiểu: %(names)s", names=", ".join(f"“{n}”" for n in self.ignored))
        return text


def read_hints(rel: PurePath) -> Hints:
    """Read the folders of `rel` (the path below the consume folder) from the top down.

    Each folder name is NFC-normalised (macOS and some NAS write NFD) and taken as the first of year,
    type, bloc, unit it matches that no folder above has given yet: `2026/KH/CT/` is year, type, then
    unit CT even though CT is also a type code. Anything else is ignored and reported.
    """
    hints = Hints()
    for raw in rel.parts[:-1]:
        name = clean_text(display(raw))
        if not name:
            continue
        for kind in ("year", "type", "bloc", "unit"):
            if getattr(hints, kind) is None:
                value = _match(kind, name)
                if value is not None:
                    setattr(hints, kind, value)
                    break
        else:
            hints.ignored.append(name)
    return hints


def _match(kind: str, name: str):
    if kind == "year":
        found = YEAR_RE.fullmatch(fold(name))
        year = int(found.group(1)) if found else None
        return year if year is not None and YEAR_MIN <= year <= YEAR_MAX else None
    if kind == "type":
        return docs.type_code(name)  # codes case-insensitively, and the type's name ("Kế hoạch")
    model = Bloc if kind == "bloc" else Unit
    return db.session.scalar(sa.select(model.code).where(model.code == name.upper()))


def display(name: str) -> str:
    """A file or folder name as text: NFC, undecodable bytes (a non-UTF-8 share) shown as �."""
    return nfc(name.encode("utf-8", "surrogateescape").decode("utf-8", "replace"))


# --- which files are ready -----------------------------------------------------------------------

class Sightings:
    """What each pass saw of each waiting file (size, mtime), to tell a file still being written."""

    def __init__(self, clock=time.monotonic) -> None:
        self._seen: dict[str, tuple[tuple[int, int], float]] = {}
        self._lock = threading.Lock()
        self.clock = clock

    def unchanged_for(self, key: str, signature: tuple[int, int], seconds: float) -> bool:
        """True when the file looked the same at a look at least `seconds` ago; remembers this look."""
        now = self.clock()
        with self._lock:
            previous = self._seen.get(key)
            if previous is None or previous[0] != signature:
                self._seen[key] = (signature, now)
                return False
            return now - previous[1] >= seconds

    def forget(self, key: str) -> None:
        with self._lock:
            self._seen.pop(key, None)

    def prune(self, keep: set[str]) -> None:
        with self._lock:
            for key in set(self._seen) - keep:
                del self._seen[key]


SIGHTINGS = Sightings()  # one per process: the worker's passes share it
_wall = time.time  # the clock file times are compared with (tests move it)


def skipped_name(name: str) -> bool:
    """Hidden, temporary and system files: left alone (not imported, not moved)."""
    lowered = name.lower()
    return (name.startswith((".", "~")) or lowered in JUNK_NAMES or lowered.endswith(TEMP_SUFFIXES))


def settled(path: Path, st: os.stat_result, *, settle_s: float, sightings: Sightings) -> bool:
    """A file nobody is writing any more: untouched (mtime and ctime) for `settle_s`, or the same size
    and mtime at two looks at least `settle_s` apart (a share whose clock runs ahead of ours).

    A PDF without its `%%EOF` trailer is still being written unless it stayed so for TRAILER_GRACE_S
    (then the import refuses it as damaged, with a note, rather than waiting for ever).
    """
    quiet_for = _wall() - max(st.st_mtime, st.st_ctime)
    key = str(path)
    stable = sightings.unchanged_for(key, (st.st_size, st.st_mtime_ns), settle_s)
    if not (quiet_for >= settle_s or stable):
        return False
    if quiet_for < max(TRAILER_GRACE_S, settle_s) and _pdf_without_trailer(path, st.st_size):
        return False
    sightings.forget(key)
    return True


def _pdf_without_trailer(path: Path, size: int) -> bool:
    """True for a file that starts like a PDF but has no %%EOF in its last 2 KB yet (a scan in transfer)."""
    try:
        with open(path, "rb") as stream:
            head = stream.read(PDF_MAGIC_WINDOW)
            if b"%PDF-" not in head:
                return False
            stream.seek(max(0, size - 2048))
            return b"%%EOF" not in stream.read(2048)
    except OSError:
        return False


@dataclass
class Scan:
    ready: list[Path] = field(default_factory=list)
    waiting: list[Path] = field(default_factory=list)


def scan(root: Path, *, settle_s: float, sightings: Sightings = SIGHTINGS) -> Scan:
    """The files under `root` ready to import and those still being written, in a stable order.

    done/, refused/ and processing/ at the top are never looked into, nor are hidden or system folders
    (`.git`, `@eaDir`, `#recycle`, `$RECYCLE.BIN`); symbolic links are not followed (a link is ready,
    and refused as such).
    """
    result = Scan()
    seen: set[str] = set()
    for folder, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(folder)
        dirnames[:] = sorted(d for d in dirnames
                             if not (here == root and d in RESERVED) and not d.startswith((".", "@", "#", "$", "~")))
        for name in sorted(filenames):
            if skipped_name(name):
                continue
            path = here / name
            try:
                st = path.lstat()
            except OSError:
                continue  # taken by another process between the listing and now
            if os.path.islink(path):
                result.ready.append(path)
                continue
            if not stat.S_ISREG(st.st_mode):
                continue  # a pipe or a device: reading it could block the worker
            seen.add(str(path))
            if settled(path, st, settle_s=settle_s, sightings=sightings):
                result.ready.append(path)
            else:
                result.waiting.append(path)
    sightings.prune(seen)
    return result


# --- claims --------------------------------------------------------------------------------------

_active: set[str] = set()  # claims this process is working on (other threads must not take them over)
_active_lock = threading.Lock()


@dataclass
class Claim:
    """A file moved into processing/<id>/<rel>: this process alone imports it."""

    root: Path
    id: str
    rel: PurePath
    claimed_at: datetime
    recovered: bool = False

    @property
    def folder(self) -> Path:
        return self.root / PROCESSING / self.id

    @property
    def path(self) -> Path:
        return self.folder / self.rel


def _new_claim_id(claimed_at: float | None = None) -> str:
    stamp = int(time.time() if claimed_at is None else claimed_at)
    return f"{stamp}_{os.getpid()}_{secrets.token_hex(4)}_{socket.gethostname()}"


def _parse_claim_id(claim_id: str) -> tuple[float, int, str] | None:
    parts = claim_id.split("_", 3)
    if len(parts) != 4 or not parts[0].isdigit() or not parts[1].isdigit():
        return None
    return float(parts[0]), int(parts[1]), parts[3]


def claim(root: Path, path: Path) -> Claim | None:
    """Move `path` into a new claim folder; None when another process took it first (or it vanished)."""
    rel = PurePath(path.relative_to(root))
    claim_id = _new_claim_id()
    target = root / PROCESSING / claim_id / rel
    with _active_lock:
        _active.add(claim_id)  # before its folder exists: no other thread may take the empty claim over
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        os.rename(path, target)  # atomic: of two processes renaming the same file, one finds nothing
    except OSError as exc:
        _release(claim_id)
        _remove_empty(root / PROCESSING / claim_id)
        if not isinstance(exc, FileNotFoundError):
            log.warning("consume: cannot claim %s: %s", display(str(rel)), exc)
        return None
    return Claim(root, claim_id, rel, utcnow())


def _release(claim_id: str) -> None:
    with _active_lock:
        _active.discard(claim_id)


def _owner_gone(claim_id: str, age_s: float) -> bool:
    parsed = _parse_claim_id(claim_id)
    if parsed is None:
        return age_s > STALE_CLAIM_S
    _, pid, host = parsed
    if host != socket.gethostname():
        return age_s > STALE_CLAIM_S  # another machine's worker: no way to ask it
    if pid == os.getpid():
        with _active_lock:
            return claim_id not in _active  # ours only if a thread of this process holds it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # alive, another user's
    return age_s > STALE_CLAIM_S  # alive, or a new process that got the same pid


def recover_claims(root: Path) -> list[Claim]:
    """Take over the claims whose process is gone (a crash mid-import); each comes back as a new claim."""
    recovered: list[Claim] = []
    folder = root / PROCESSING
    if not folder.is_dir():
        return recovered
    for entry in sorted(folder.iterdir()):
        try:
            age = time.time() - entry.stat().st_mtime
        except OSError:
            continue
        if not entry.is_dir() or entry.is_symlink() or not _owner_gone(entry.name, age):
            continue
        parsed = _parse_claim_id(entry.name)
        claimed_at = parsed[0] if parsed else entry.stat().st_mtime
        new_id = _new_claim_id(claimed_at)
        with _active_lock:
            _active.add(new_id)
        try:
            os.rename(entry, folder / new_id)  # atomic: of two processes recovering it, one finds nothing
        except OSError:
            _release(new_id)
            continue
        files = sorted(p for p in (folder / new_id).rglob("*") if p.is_file() or p.is_symlink())
        if not files:
            _release(new_id)
            _remove_empty(folder / new_id)  # crashed after moving its file out: nothing left to do
            continue
        at = datetime.fromtimestamp(claimed_at, timezone.utc)
        for file in files:  # one file per claim; more only if someone put them there
            rel = PurePath(file.relative_to(folder / new_id))
            recovered.append(Claim(root, new_id, rel, at, recovered=True))
            log.info("consume: taking over %s, left in processing/ by %s", display(str(rel)), entry.name)
    return recovered


def give_back(item: Claim) -> Path:
    """Put a claimed file back where it was dropped (a passing failure: the database was down)."""
    try:
        return _move_no_replace(item.path, item.root, item.rel)
    finally:
        _finish_claim(item)


def _finish_claim(item: Claim) -> None:
    # Removed before the release, and released only once empty: no other thread takes over a claim still in use.
    _remove_empty(item.folder)
    if not item.folder.exists():
        _release(item.id)


def _remove_empty(folder: Path) -> None:
    """Remove `folder` and the empty folders inside it (a claim folder once its file is out)."""
    if not folder.is_dir():
        return
    for sub in sorted((p for p in folder.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        try:
            sub.rmdir()
        except OSError:
            pass
    try:
        folder.rmdir()
    except OSError:
        pass


# --- moving files aside, with a note -------------------------------------------------------------

def _move_no_replace(src: Path, base: Path, rel: PurePath) -> Path:
    """Move `src` to base/rel, or `name (2).pdf`, `name (3).pdf`… when taken: never over another file."""
    target_dir = base / rel.parent
    target_dir.mkdir(parents=True, exist_ok=True)
    stem, suffix = _split_name(rel.name)
    n = 1
    while True:
        target = target_dir / (rel.name if n == 1 else f"{stem} ({n}){suffix}")
        n += 1
        if os.path.lexists(target) and _same_file(src, target):
            os.unlink(src)  # a crash after the link below, before the unlink: already there
            return target
        try:
            os.link(src, target, follow_symlinks=False)  # fails if the name is taken: no overwrite race
        except FileExistsError:
            continue
        except OSError:
            # A share without hard links: check, then rename (a race here needs two identical names at once).
            if os.path.lexists(target):
                continue
            os.rename(src, target)
            return target
        os.unlink(src)
        return target


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samestat(os.lstat(a), os.lstat(b))
    except OSError:
        return False


def _split_name(name: str) -> tuple[str, str]:
    dot = name.rfind(".")
    return (name[:dot], name[dot:]) if dot > 0 else (name, "")


def write_note(beside: Path, lines: list[str]) -> Path:
    """Write `<name>.txt` beside a moved file (UTF-8 with BOM and CRLF: Windows Notepad reads it right)."""
    text = "\r\n".join(lines) + "\r\n"
    n = 1
    while True:
        note = beside.with_name(beside.name + (".txt" if n == 1 else f".{n}.txt"))
        n += 1
        try:
            with open(note, "x", encoding="utf-8-sig", newline="") as out:
                out.write(text)
            return note
        except FileExistsError:
            continue  # never over a file someone dropped with that name


def _now_text() -> str:
    return format_datetime(utcnow())


# --- importing one file --------------------------------------------------------------------------

@dataclass
class Outcome:
    """What became of one file: `imported`, `done` (already in the archive), `refused`, `returned` (retry later)."""

    rel: str
    status: str
    message: str
    document_id: int | None = None
    moved_to: Path | None = None


def import_one(item: Claim) -> Outcome:
    """Import a claimed file for the Board with its folder hints, and move it to done/ or refused/."""
    from portal.auth.services import SYSTEM

    rel_text = display(str(item.rel))
    hints = read_hints(item.rel)
    with force_locale("vi"):  # the notes and the audit are Vietnamese whatever the interface language
        try:
            reason = _not_importable(item.path)
            if reason:
                return _refuse(item, hints, reason)
            with open(item.path, "rb", opener=_no_follow) as stream:
                result = docs.ingest(SYSTEM, stream, display(item.rel.name), hints.fields())
        except docs.UploadBusy:
            return _give_back(item, _("Máy chủ đang bận kiểm tra tệp PDF khác; sẽ thử lại."))
        except docs.DuplicateDocument as exc:
            existing = exc.existing
            if item.recovered and _uploaded_since(existing, item.claimed_at):
                # The interrupted run stored it, then died before moving the file: it belongs in done/.
                _audit(SYSTEM, existing.id, rel_text, hints, "sau khi bị gián đoạn")
                return _done(item, hints, existing, _("Tệp đã có trong lưu trữ (đã nhập trước khi việc nhập bị gián "
                                                      "đoạn); không lưu lại lần nữa."), status="done")
            return _refuse(item, hints, exc.message)
        except ServiceError as exc:
            details = "; ".join(str(value) for value in exc.errors.values())
            return _refuse(item, hints, exc.message + (f" ({details})" if details else ""))
        except SQLAlchemyError as exc:
            db.session.rollback()
            log.warning("consume: database error on %s, will retry: %s", rel_text, exc)
            return _give_back(item, _("Lỗi cơ sở dữ liệu; sẽ thử lại."))
        except OSError as exc:
            return _refuse(item, hints, _("Không đọc được tệp: %(error)s", error=exc.strerror or str(exc)))
        except Exception:
            db.session.rollback()
            log.exception("consume: unexpected error on %s", rel_text)
            return _refuse(item, hints, _("Lỗi không lường trước khi nhập tệp; hãy báo quản trị hệ thống."))
        document = result.document
        _audit(SYSTEM, document.id, rel_text, hints)
        return _done(item, hints, document, _("Đã nhập vào lưu trữ."), status="imported")


def _no_follow(path, flags):
    return os.open(path, flags | getattr(os, "O_NOFOLLOW", 0))


def _not_importable(path: Path) -> str | None:
    """A reason to refuse without reading the file as a PDF: a link, or plainly not a PDF."""
    if path.is_symlink():
        return _("Là một liên kết (symlink), không phải tệp: không nhập.")
    with open(path, "rb", opener=_no_follow) as stream:
        head = stream.read(PDF_MAGIC_WINDOW)
    if b"%PDF-" in head or path.suffix.lower() == ".pdf":
        return None  # a PDF, or one named so: the guarded inspection judges it
    kind = path.suffix.lower().lstrip(".") or _("không có phần mở rộng")
    return _("Không phải tệp PDF (tệp %(kind)s): thư mục nhập chỉ nhận văn bản PDF.", kind=display(kind))


def _uploaded_since(document, moment: datetime) -> bool:
    uploaded = document.uploaded_at
    if uploaded is None:
        return False
    if uploaded.tzinfo is None:
        uploaded = uploaded.replace(tzinfo=timezone.utc)  # SQLite keeps UTC without a zone
    return uploaded >= moment - timedelta(seconds=5)


def _audit(actor, document_id: int, rel_text: str, hints: Hints, extra: str = "") -> None:
    """Say where the document came from (ingest has recorded the upload itself, in its own transaction)."""
    # Like every audit summary, plain Vietnamese (the trail is an official record).
    summary = f"Nhập từ thư mục theo dõi: {rel_text}" + (f" ({extra})" if extra else "") + f" — gợi ý: {hints.describe()}"
    try:
        audit.record(actor, "consume", "document", document_id, summary=summary)
        db.session.commit()
    except SQLAlchemyError:
        # The document is stored and its upload audited: moving the file on matters more than this line.
        db.session.rollback()
        log.exception("consume: could not record where document %s came from (%s)", document_id, rel_text)


def _done(item: Claim, hints: Hints, document, message: str, *, status: str) -> Outcome:
    label = f"{document.number} “{document.display_title}”" if document.number else f"“{document.display_title}”"
    lines = [_("Tệp: %(path)s", path=display(str(item.rel))),
             _("Kết quả: %(message)s", message=message),
             _("Văn bản: %(label)s", label=label),
             _("Liên kết: %(link)s", link=document_link(document.id)),
             _("Gợi ý từ thư mục: %(hints)s", hints=hints.describe()),
             _("Thời gian: %(at)s", at=_now_text())]
    moved = _move_out(item, DONE, lines)
    return Outcome(display(str(item.rel)), status, f"{message} {label}", document.id, moved)


def _refuse(item: Claim, hints: Hints, reason: str) -> Outcome:
    lines = [_("Tệp: %(path)s", path=display(str(item.rel))),
             _("Kết quả: KHÔNG NHẬP."),
             _("Lý do: %(reason)s", reason=reason),
             _("Gợi ý từ thư mục: %(hints)s", hints=hints.describe()),
             _("Thời gian: %(at)s", at=_now_text()),
             _("Sửa tệp rồi thả lại vào thư mục nhập, hoặc tải lên ở trang Văn bản.")]
    moved = _move_out(item, REFUSED, lines)
    return Outcome(display(str(item.rel)), "refused", reason, None, moved)


def _give_back(item: Claim, reason: str) -> Outcome:
    back = give_back(item)
    return Outcome(display(str(item.rel)), "returned", reason, None, back)


def _move_out(item: Claim, folder: str, lines: list[str]) -> Path:
    try:
        moved = _move_no_replace(item.path, item.root / folder, item.rel)
        write_note(moved, lines)
    finally:
        _finish_claim(item)
    return moved


def document_link(document_id: int) -> str:
    """The document's page, as a path below the portal's address (the worker knows no host name)."""
    return f"/documents/{document_id}"


# --- one pass ------------------------------------------------------------------------------------

@dataclass
class PassReport:
    outcomes: list[Outcome] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)
    more: bool = False  # stopped at the time budget with files still ready


def consume_root(config=None) -> Path | None:
    """The consume folder from the configuration (None: the watched folder is off)."""
    value = (config or current_app.config).get("PORTAL_CONSUME_DIR")
    return Path(value).resolve() if value else None


def run_pass(root: Path | None = None, *, settle_s: float | None = None, budget_s: float | None = None,
             sightings: Sightings = SIGHTINGS) -> PassReport:
    """Take over abandoned claims, then claim and import every ready file (until `budget_s` runs out)."""
    cfg = current_app.config
    root = root or consume_root(cfg)
    report = PassReport()
    if root is None or not root.is_dir():
        return report
    settle = float(cfg.get("PORTAL_CONSUME_SETTLE", 5) if settle_s is None else settle_s)
    started = time.monotonic()
    for item in recover_claims(root):
        _import_logged(item, report)
    found = scan(root, settle_s=settle, sightings=sightings)
    report.waiting = [display(str(p.relative_to(root))) for p in found.waiting]
    for path in found.ready:
        if budget_s is not None and time.monotonic() - started > budget_s:
            report.more = True
            break
        item = claim(root, path)
        if item is not None:
            _import_logged(item, report)
    return report


def _import_logged(item: Claim, report: PassReport) -> None:
    try:
        outcome = import_one(item)
    except Exception:
        # Left in processing/ and released: the next pass takes it over (and knows a stored duplicate).
        db.session.rollback()
        _release(item.id)
        log.exception("consume: %s left in processing/ after an error", display(str(item.rel)))
        return
    log.info("consume: %s %s: %s", outcome.status, outcome.rel, outcome.message)
    report.outcomes.append(outcome)


# --- the command ---------------------------------------------------------------------------------

def register(app) -> None:
    """Attach `flask --app portal consume` (one pass over the watched folder) to the app."""
    import click

    @app.cli.command("consume")
    @click.option("--dir", "folder", default=None, type=click.Path(file_okay=False),
                  help="Thư mục nhập (mặc định: PORTAL_CONSUME_DIR).")
    @click.option("--settle", type=float, default=None,
                  help="Số giây một tệp phải đứng yên mới được nhập (mặc định: PORTAL_CONSUME_SETTLE; 0 = nhập ngay).")
    def consume_command(folder, settle):
        """One pass over the watched import folder: import ready PDFs, move them to done/ or refused/."""
        root = Path(folder).resolve() if folder else consume_root()
        if root is None:
            click.echo("Lỗi: chưa đặt PORTAL_CONSUME_DIR (hoặc --dir).", err=True)
            raise SystemExit(2)
        if not root.is_dir():
            click.echo(f"Lỗi: không có thư mục {root}.", err=True)
            raise SystemExit(2)
        report = run_pass(root, settle_s=settle)
        labels = {"imported": "Đã nhập ", "done": "Đã có   ", "refused": "Từ chối ", "returned": "Thử lại "}
        for outcome in report.outcomes:
            where = f" → {outcome.moved_to.relative_to(root)}" if outcome.moved_to else ""
            click.echo(f"{labels.get(outcome.status, outcome.status)} {outcome.rel}{where}: {outcome.message}")
        for rel in report.waiting:
            click.echo(f"Đang chờ  {rel}: tệp đang được ghi, lần sau sẽ nhập.")
        counts = {status: sum(o.status == status for o in report.outcomes) for status in labels}
        click.echo(f"Thư mục nhập {root}: đã nhập {counts['imported'] + counts['done']} · "
                   f"từ chối {counts['refused']} · đang chờ {len(report.waiting)} · thử lại {counts['returned']}")
