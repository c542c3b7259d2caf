"""Inspect an untrusted PDF safely: page count, text per page, metadata, signature facts.

``inspect_pdf(path)`` never parses the file in the calling process. It checks the first bytes,
then runs ``portal.documents.pdf_child`` in a child process that limits its own address space
(``memory_mb``) and CPU time (``cpu_s``) before reading the file, under a wall-clock timeout
(``timeout_s``) after which the whole process group is killed. Every outcome becomes either a
``PdfInspection`` or a ``PdfRefused(code, message)`` whose message is Vietnamese for an official:

=================== =============================================================================
code                when
=================== =============================================================================
``not_pdf``         ``%PDF-`` is not within the first 1024 bytes (checked before spawning)
``empty``           a 0-byte file, or a PDF without pages
``damaged``         pypdf cannot read the file or its page tree (truncated, cyclic page tree, …)
``encrypted``       a password is needed to open it (see below)
``too_many_pages``  more than ``max_pages`` pages (``PdfRefused.page_count`` holds the count)
``too_complex``     wall-clock timeout, CPU limit (SIGXCPU / SIGKILL), or one of pypdf's own
                    decompression limits hit (a "zip bomb" stream: pypdf stops at 75 MB)
``too_large_memory`` MemoryError or death under the address-space limit
``internal``        anything else (the child could not start, produced no answer, …)
=================== =============================================================================

Encryption: a PDF encrypted with an *empty user password* (only an owner password restricting
printing/copying — common for official PDFs) opens without a password, so it is ACCEPTED, with a
warning. A PDF that needs a password to open is refused (``encrypted``); the portal never asks
for or stores passwords.

``PdfInspection.text`` joins the pages with ``PAGE_SEPARATOR`` ("\\n\\n"): a blank line, which
every consumer (search index, snippets in HTML, XLSX export) treats as ordinary whitespace. Use
``pages_text`` when page boundaries matter. Page text is NFC, with control characters removed
(see ``pdf_child.clean_page_text``). Extraction stops at ``text_cap_bytes`` (5 MB of UTF-8); the
remaining pages are "" and a warning says so. pypdf's own decompression limits stay at their
defaults.

Why the child limits itself instead of ``preexec_fn``: ``preexec_fn`` is documented as unsafe
when the parent has threads (waitress and the Huey worker do), because the forked child runs
Python code before ``exec`` and can deadlock on a lock another thread held. The child calls
``setrlimit`` as its first action, before touching the file, which gives the same protection.
External programs (OCR) get their limits from ``rlimit_argv`` (a tiny ``python -I -S -c`` that
sets the limits and ``exec``s the program) for the same reason.

Concurrency: an inspection holds its caller's thread until the child answers, up to the
wall-clock limit for a hostile file. ``InspectionPool`` (one per app and process, see
``inspection_pool``) bounds the inspections running at once (``PORTAL_PDF_MAX_INSPECTIONS``,
default a third of waitress's threads: 2 of 8), per uploader (``PORTAL_PDF_MAX_INSPECTIONS_PER_USER``,
default half of that, at least 1) and the callers waiting for a slot (as many as the limit, each at
most ``PORTAL_PDF_SLOT_WAIT_S``, default 2 s); anyone beyond is refused at once (``InspectionBusy``,
429 for an upload), so hostile uploads never take every server thread. The limits are per process:
several server processes each have their own. The child also runs at a lower priority
(``pdf_child.CHILD_NICE``), so the server's threads win the CPU, and ``content_budget_mb`` lets it
refuse early a file whose pages make it parse an absurd amount of content (a 70 MB stream shared by
200 pages) instead of burning its whole time limit.

Warm children: by default a file goes to one of the process's warm children (``pdf_warm``), which
imported pypdf once and inspect file after file; the limits above stay per file, and a child is
replaced after any refusal and after ``PORTAL_PDF_CHILD_FILES`` files (1 = a fresh child per file,
the one-shot path below). Their answers are mapped exactly as a one-shot child's (``_refusal_from_run``).

Start-up: the child is started as ``python -P -s -c BOOTSTRAP …`` which imports
``portal.documents.pdf_child`` *without* running ``portal/__init__.py`` (which imports Flask, about
0.15 s) — see ``_BOOTSTRAP``. ``python -m portal.documents.pdf_child PATH MAX_PAGES`` works too,
by hand.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from portal.documents.pdf_child import DEFAULT_TEXT_CAP_BYTES
from portal.documents.signatures import SignatureFacts

log = logging.getLogger(__name__)

PAGE_SEPARATOR = "\n\n"

#: A page "has real text" when its extracted text has at least this many letters or digits
#: (a scan often carries a few stray characters: a page number, "CamScanner", a stamp).
REAL_TEXT_MIN_CHARS = 20
MAGIC = b"%PDF-"
MAGIC_WINDOW = 1024

REFUSAL_CODES = (
    "not_pdf",
    "empty",
    "damaged",
    "encrypted",
    "too_many_pages",
    "too_complex",
    "too_large_memory",
    "internal",
)

#: Vietnamese messages for officials, by refusal code (``too_many_pages`` is formatted with
#: ``pages`` and ``max_pages``).
MESSAGES_VI = {
    "not_pdf": "Tệp tải lên không phải là tệp PDF. Vui lòng chọn tệp văn bản định dạng PDF.",
    "empty": "Tệp PDF rỗng: không có nội dung hoặc không có trang nào.",
    "damaged": (
        "Tệp PDF bị hỏng hoặc không đọc được (có thể tệp bị tải lên chưa hết). "
        "Vui lòng xuất lại tệp PDF từ bản gốc rồi tải lên lại."
    ),
    "encrypted": (
        "Tệp PDF được đặt mật khẩu nên hệ thống không đọc được. "
        "Vui lòng gỡ mật khẩu (hoặc in lại ra PDF) rồi tải lên lại."
    ),
    "too_many_pages": (
        "Tệp PDF có {pages} trang, vượt quá giới hạn {max_pages} trang cho một văn bản. "
        "Vui lòng tách thành các tệp nhỏ hơn rồi tải lên."
    ),
    "too_many_pages_unknown": (
        "Tệp PDF có quá nhiều trang (giới hạn {max_pages} trang cho một văn bản). "
        "Vui lòng tách thành các tệp nhỏ hơn rồi tải lên."
    ),
    "too_complex": (
        "Tệp PDF quá phức tạp hoặc chứa dữ liệu bất thường, hệ thống không xử lý được trong "
        "thời gian cho phép. Vui lòng xuất lại tệp PDF từ bản gốc rồi tải lên lại."
    ),
    "too_large_memory": (
        "Tệp PDF cần quá nhiều bộ nhớ để xử lý. Vui lòng xuất lại tệp PDF từ bản gốc "
        "(hoặc giảm dung lượng) rồi tải lên lại."
    ),
    "internal": (
        "Hệ thống gặp lỗi khi đọc tệp PDF. Vui lòng thử lại sau hoặc báo cho quản trị hệ thống."
    ),
}


class PdfRefused(Exception):
    """The PDF was not accepted. ``code`` is one of ``REFUSAL_CODES``; ``message`` is Vietnamese
    and safe to show; ``detail`` is a short English note for logs (never shown to users)."""

    def __init__(
        self,
        code: str,
        message: str | None = None,
        *,
        detail: str | None = None,
        page_count: int | None = None,
    ) -> None:
        if code not in REFUSAL_CODES:
            detail = f"unknown refusal code {code!r}; {detail or ''}"
            code = "internal"
        self.code = code
        self.message = message or MESSAGES_VI[code]
        self.detail = detail
        self.page_count = page_count
        super().__init__(code, self.message)

    def __str__(self) -> str:
        return self.message


@dataclass
class PdfInspection:
    """What the sandboxed parse learned about one PDF. ``text`` and ``has_text_layer`` are
    derived from ``pages_text``."""

    page_count: int
    pages_text: list[str]
    pdf_version: str | None = None
    producer: str | None = None
    creator: str | None = None
    info_title: str | None = None
    signatures: list[SignatureFacts] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    text: str = field(init=False)
    has_text_layer: bool = field(init=False)

    def __post_init__(self) -> None:
        self.text = PAGE_SEPARATOR.join(self.pages_text)
        self.has_text_layer = any(page_has_real_text(t) for t in self.pages_text)

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["signatures"] = [s.to_dict() for s in self.signatures]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PdfInspection:
        names = {f.name for f in dataclasses.fields(cls) if f.init}
        kwargs = {k: v for k, v in data.items() if k in names}
        kwargs["signatures"] = [
            s if isinstance(s, SignatureFacts) else SignatureFacts.from_dict(s)
            for s in kwargs.get("signatures") or []
        ]
        return cls(**kwargs)


def page_has_real_text(text: str) -> bool:
    """At least ``REAL_TEXT_MIN_CHARS`` letters or digits (a scan's stray page number or
    "CamScanner" watermark is not a text layer)."""
    count = 0
    for ch in text:
        if ch.isalnum():
            count += 1
            if count >= REAL_TEXT_MIN_CHARS:
                return True
    return False


# ------------------------------------------------------------------------------------------
# running a child with bounds (also used by portal.documents.ocr)
# ------------------------------------------------------------------------------------------


@dataclass
class BoundedRun:
    returncode: int | None
    stdout: bytes
    stderr: bytes
    timed_out: bool
    stdout_overflow: bool
    elapsed_s: float


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the child's process group (it leads its own group; see ``process_group=0``).
    Called only while the child is not yet reaped, so the group id cannot have been reused."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        try:
            proc.kill()
        except ProcessLookupError:
            pass


def run_bounded(
    argv: list[str],
    *,
    timeout_s: float,
    max_stdout: int,
    max_stderr: int = 64 * 1024,
    env: dict[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = "/",
    cancelled: Callable[[], bool] | None = None,
) -> BoundedRun:
    """Run ``argv`` with stdin closed, in a new process group, reading at most ``max_stdout``
    bytes of stdout (more → the group is killed and ``stdout_overflow`` set) and keeping the
    first ``max_stderr`` bytes of stderr; after ``timeout_s`` seconds of wall time the group is
    killed (``timed_out``), and as soon as ``cancelled()`` is true (polled every
    ``CANCEL_POLL_S``; it is then reported as ``timed_out`` too). Raises ``OSError`` only if the
    program cannot be started."""
    start = time.monotonic()
    deadline = start + timeout_s
    proc = subprocess.Popen(  # noqa: S603 - argv is built by us, never by a shell
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=cwd,
        close_fds=True,
        process_group=0,
    )
    out, err = bytearray(), bytearray()
    timed_out = overflow = False
    assert proc.stdout is not None and proc.stderr is not None
    sel = selectors.DefaultSelector()
    try:
        sel.register(proc.stdout, selectors.EVENT_READ, "out")
        sel.register(proc.stderr, selectors.EVENT_READ, "err")
        while sel.get_map() and not overflow:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or (cancelled is not None and _is_cancelled(cancelled)):
                timed_out = True
                break
            wait = remaining if cancelled is None else min(remaining, CANCEL_POLL_S)
            for key, _events in sel.select(wait):
                chunk = os.read(key.fd, 65536)
                if not chunk:
                    sel.unregister(key.fileobj)
                elif key.data == "out":
                    if len(out) + len(chunk) > max_stdout:
                        overflow = True
                        break
                    out += chunk
                elif len(err) < max_stderr:
                    err += chunk[: max_stderr - len(err)]
        while not timed_out and not overflow:
            # Both pipes are closed: the child is exiting; still honour the deadline and a cancel.
            try:
                remaining = max(0.0, deadline - time.monotonic())
                proc.wait(remaining if cancelled is None else min(remaining, CANCEL_POLL_S))
                break
            except subprocess.TimeoutExpired:
                if time.monotonic() >= deadline or (cancelled is not None and _is_cancelled(cancelled)):
                    timed_out = True
    finally:
        sel.close()
        if proc.poll() is None:
            _kill_group(proc)
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    return BoundedRun(proc.returncode, bytes(out), bytes(err), timed_out, overflow, time.monotonic() - start)


#: How often ``run_bounded`` asks its ``cancelled`` callable (seconds).
CANCEL_POLL_S = 0.25


def _is_cancelled(cancelled: Callable[[], bool]) -> bool:
    try:
        return bool(cancelled())
    except Exception:  # noqa: BLE001 - a broken probe must not kill a good inspection
        return False


_RLIMIT_TRAMPOLINE = (
    "import os,resource as r,sys\n"
    "def lim(k,soft,hard):\n"
    "    h=r.getrlimit(k)[1]\n"
    "    if h!=r.RLIM_INFINITY:soft,hard=min(soft,h),min(hard,h)\n"
    "    r.setrlimit(k,(soft,hard))\n"
    "a,c,f=(int(x) for x in sys.argv[1:4])\n"
    "if a:lim(r.RLIMIT_AS,a,a)\n"
    "if c:lim(r.RLIMIT_CPU,c,c+1)\n"
    "if f:lim(r.RLIMIT_FSIZE,f,f)\n"
    "lim(r.RLIMIT_CORE,0,0)\n"
    "os.execvp(sys.argv[4],sys.argv[4:])\n"
)


def rlimit_argv(
    argv: list[str], *, memory_mb: int | None, cpu_s: int | None, fsize_mb: int | None = None
) -> list[str]:
    """``argv`` prefixed so that it runs under an address-space limit of ``memory_mb`` MiB, a
    CPU limit of ``cpu_s`` seconds (SIGXCPU, SIGKILL one second later), optionally a limit of
    ``fsize_mb`` MiB per written file (SIGXFSZ), and without core files. Thread-safe alternative
    to ``preexec_fn`` (costs one ``python -I -S`` start, ~10 ms)."""
    return [
        sys.executable,
        "-I",
        "-S",
        "-c",
        _RLIMIT_TRAMPOLINE,
        str((memory_mb or 0) * 1024 * 1024),
        str(cpu_s or 0),
        str((fsize_mb or 0) * 1024 * 1024),
        *argv,
    ]


def child_env(**extra: str) -> dict[str, str]:
    """A minimal environment for child processes: PATH, locale, and ``extra``."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "MALLOC_ARENA_MAX": "2",
    }
    env.update(extra)
    return env


# ------------------------------------------------------------------------------------------
# inspect_pdf
# ------------------------------------------------------------------------------------------

#: Folder holding the ``portal`` package (put on the child's PYTHONPATH).
_CODE_ROOT = str(Path(__file__).resolve().parent.parent.parent)

#: Imports ``portal.documents.pdf_child`` with placeholder ``portal`` and ``portal.documents``
#: packages, so that their ``__init__`` modules (Flask, the app factory) are not run in the
#: child; ``portal.text`` and the other sub-packages still import normally through ``__path__``.
_BOOTSTRAP = (
    "import sys,types\n"
    "r=sys.argv.pop(1)\n"
    "for n,p in (('portal','/portal'),('portal.documents','/portal/documents')):\n"
    "    m=types.ModuleType(n);m.__path__=[r+p];sys.modules[n]=m\n"
    "from portal.documents.pdf_child import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


def _child_argv(path: str, max_pages: int, memory_mb: float, cpu_s: float, text_cap_bytes: int,
                trust_roots_dir: str | None, content_budget_mb: int | None = None) -> list[str]:
    argv = [sys.executable, "-P", "-s", "-c", _BOOTSTRAP, _CODE_ROOT, path, str(int(max_pages)),
            "--memory-mb", str(max(1, math.ceil(memory_mb))), "--cpu-s", str(max(1, math.ceil(cpu_s))),
            "--text-cap-bytes", str(int(text_cap_bytes))]
    if trust_roots_dir is not None:
        argv += ["--trust-dir", str(Path(trust_roots_dir).resolve())]
    if content_budget_mb:
        argv += ["--content-budget-mb", str(int(content_budget_mb))]
    return argv


def _child_env() -> dict[str, str]:
    pythonpath = _CODE_ROOT
    if os.environ.get("PYTHONPATH"):
        pythonpath += os.pathsep + os.environ["PYTHONPATH"]
    return child_env(PYTHONPATH=pythonpath, PYTHONIOENCODING="utf-8")


_MEMORY_HINTS = (b"MemoryError", b"Cannot allocate memory", b"out of memory", b"std::bad_alloc")


def _refusal_from_run(run: BoundedRun, max_pages: int) -> PdfRefused | dict[str, Any]:
    """The child's answer (a result dict) or the refusal its fate means."""
    stderr_tail = run.stderr[-600:].decode("utf-8", "replace")
    if run.stdout_overflow:
        return PdfRefused("internal", detail=f"child wrote more than the stdout limit; {stderr_tail}")
    payload = None
    if run.stdout:
        try:
            import json

            payload = json.loads(run.stdout)
        except ValueError:
            payload = None
    if isinstance(payload, dict):
        if payload.get("ok") is True and isinstance(payload.get("result"), dict):
            return payload["result"]
        code = payload.get("code")
        detail = str(payload.get("detail") or "")
        if code == "too_many_pages":
            pages = payload.get("page_count")
            message = (MESSAGES_VI["too_many_pages"].format(pages=pages, max_pages=max_pages)
                       if isinstance(pages, int) else MESSAGES_VI["too_many_pages_unknown"].format(max_pages=max_pages))
            return PdfRefused(code, message, detail=detail, page_count=pages if isinstance(pages, int) else None)
        return PdfRefused(str(code), detail=detail)
    if run.timed_out:
        return PdfRefused("too_complex", detail=f"wall-clock timeout after {run.elapsed_s:.1f} s")
    rc = run.returncode
    if rc is not None and rc < 0:
        sig = -rc
        if sig in (signal.SIGXCPU, signal.SIGKILL):
            return PdfRefused("too_complex", detail=f"killed by {signal.Signals(sig).name} (CPU limit)")
        if any(h in run.stderr for h in _MEMORY_HINTS):
            return PdfRefused("too_large_memory", detail=f"killed by signal {sig}; {stderr_tail}")
        return PdfRefused("internal", detail=f"killed by signal {sig}; {stderr_tail}")
    if any(h in run.stderr for h in _MEMORY_HINTS):
        return PdfRefused("too_large_memory", detail=f"exit {rc}; {stderr_tail}")
    return PdfRefused("internal", detail=f"exit {rc} without an answer; {stderr_tail}")


def inspect_pdf(
    path: str | os.PathLike[str],
    *,
    max_pages: int = 2000,
    timeout_s: float = 15,
    memory_mb: int = 768,
    cpu_s: int = 15,
    text_cap_bytes: int = DEFAULT_TEXT_CAP_BYTES,
    trust_roots_dir: str | os.PathLike[str] | None = None,
    content_budget_mb: int | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> PdfInspection:
    """Parse the PDF at ``path`` in a limited child process; see the module docstring.

    Returns a ``PdfInspection``; raises ``PdfRefused`` for every other outcome (never another
    exception). ``trust_roots_dir`` holds the PEM/DER root certificates signatures are checked
    against (none by default: no signature is then "trusted"). ``content_budget_mb`` refuses a
    file early (``too_complex``) whose pages' content streams add up to more than that many MiB
    once decoded, counting a stream once per page that draws it (see ``pdf_child``); off by
    default. ``cancelled`` (polled) stops the child early, e.g. when the client went away.
    """
    try:
        abspath = str(Path(path).resolve())
        with open(abspath, "rb") as fh:
            head = fh.read(MAGIC_WINDOW)
    except OSError as exc:
        raise PdfRefused("internal", detail=f"cannot read the uploaded file: {exc}") from exc
    if not head:
        raise PdfRefused("empty", detail="0 bytes")
    if MAGIC not in head:
        raise PdfRefused("not_pdf", detail=f"no %PDF- in the first {MAGIC_WINDOW} bytes")

    trust = str(Path(trust_roots_dir).resolve()) if trust_roots_dir is not None else None
    max_stdout = 2 * text_cap_bytes + 4 * 1024 * 1024
    from portal.documents.pdf_warm import warm_children

    try:
        if warm_children.files_per_child > 1:
            job = {"path": abspath, "max_pages": int(max_pages), "cpu_s": max(1, math.ceil(cpu_s)),
                   "text_cap_bytes": int(text_cap_bytes), "trust_dir": trust,
                   "content_budget_mb": int(content_budget_mb) if content_budget_mb else None}
            run = warm_children.run(job, memory_mb=max(1, math.ceil(memory_mb)), timeout_s=timeout_s,
                                    max_stdout=max_stdout, cancelled=cancelled)
        else:
            argv = _child_argv(abspath, max_pages, memory_mb, cpu_s, text_cap_bytes, trust, content_budget_mb)
            run = run_bounded(argv, timeout_s=timeout_s, max_stdout=max_stdout, env=_child_env(), cancelled=cancelled)
    except OSError as exc:
        raise PdfRefused("internal", detail=f"cannot start the PDF child: {exc}") from exc
    if run.timed_out and run.elapsed_s < timeout_s and cancelled is not None and _is_cancelled(cancelled):
        log.info("PDF inspection cancelled after %.2f s (the client went away) [%s]", run.elapsed_s, abspath)
        raise PdfRefused("internal", detail="cancelled: the client went away")

    outcome = _refusal_from_run(run, max_pages)
    if isinstance(outcome, PdfRefused):
        log.info("PDF refused (%s) after %.2f s: %s [%s]", outcome.code, run.elapsed_s, outcome.detail, abspath)
        raise outcome
    for line in outcome.get("log") or []:
        log.debug("pdf child: %s", line)
    try:
        return PdfInspection(
            page_count=int(outcome["page_count"]),
            pages_text=[str(t) for t in outcome["pages_text"]],
            pdf_version=outcome.get("pdf_version"),
            producer=outcome.get("producer"),
            creator=outcome.get("creator"),
            info_title=outcome.get("info_title"),
            signatures=[SignatureFacts.from_dict(s) for s in outcome.get("signatures") or []],
            warnings=[str(w) for w in outcome.get("warnings") or []],
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise PdfRefused("internal", detail=f"malformed child answer: {exc}") from exc


# ------------------------------------------------------------------------------------------
# the inspection pool: how many inspections run at once
# ------------------------------------------------------------------------------------------

#: Inspections at once in a process whose server thread count is unknown (CLI, worker, tests).
DEFAULT_MAX_INSPECTIONS = 2
#: How long an upload may wait for a free slot before it is refused (seconds).
DEFAULT_SLOT_WAIT_S = 2.0


class InspectionBusy(Exception):
    """No inspection slot for this upload. ``scope`` is ``"user"`` (the uploader already has
    its share in flight) or ``"server"`` (every slot stayed taken for the whole wait, or too many
    uploads already wait); ``retry_after`` is whole seconds until a slot is likely free."""

    def __init__(self, scope: str, retry_after: int) -> None:
        super().__init__(scope, retry_after)
        self.scope = scope
        self.retry_after = retry_after


class InspectionPool:
    """Bounds the PDF inspections of one process: ``limit`` at once in all, ``per_user`` at once
    (running or waiting) for one uploader, at most ``max_waiting`` callers waiting up to
    ``wait_s`` for a slot. A caller beyond that is refused at once with ``InspectionBusy``.

    The point is the server's threads: an inspection holds its request thread until the child
    answers (up to the wall-clock limit for a hostile file), so without a bound a few hostile
    uploads take every thread. With ``limit`` + ``max_waiting`` well below the thread count the
    other threads keep serving pages. A ``patient`` caller (bulk import, demo, worker: no
    request thread to protect) is never refused: it skips the per-user limit and waits as long
    as needed, but still counts towards ``limit``. Limits are per process.
    """

    def __init__(self, limit: int, *, per_user: int = 1, wait_s: float = DEFAULT_SLOT_WAIT_S,
                 max_waiting: int | None = None) -> None:
        self.limit = max(1, int(limit))
        self.per_user = max(1, int(per_user))
        self.wait_s = max(0.0, float(wait_s))
        self.max_waiting = self.limit if max_waiting is None else max(0, int(max_waiting))
        self._cond = threading.Condition()
        self._running: dict[object, tuple[Any, float]] = {}  # token -> (user, expected end)
        self._in_flight: dict[Any, int] = {}  # user -> running + waiting
        self._waiting = 0

    def stats(self) -> dict[str, int]:
        """How many inspections run and how many callers wait, right now."""
        with self._cond:
            return {"running": len(self._running), "waiting": self._waiting,
                    "users": sum(1 for n in self._in_flight.values() if n)}

    @contextmanager
    def slot(self, user: Any, *, expected_s: float, patient: bool = False) -> Iterator[None]:
        """Hold one slot for ``user`` while the block runs; released on every way out."""
        token = self._acquire(user, expected_s, patient)
        try:
            yield
        finally:
            self._release(token, user)

    def _acquire(self, user: Any, expected_s: float, patient: bool) -> object:
        with self._cond:
            if not patient and self._in_flight.get(user, 0) >= self.per_user:
                raise InspectionBusy("user", self._retry_after(user, expected_s))
            if len(self._running) >= self.limit and not patient and self._waiting >= self.max_waiting:
                raise InspectionBusy("server", self._retry_after(None, expected_s))
            self._in_flight[user] = self._in_flight.get(user, 0) + 1
            try:
                if len(self._running) >= self.limit:
                    self._wait_for_slot(None if patient else time.monotonic() + self.wait_s, expected_s)
            except BaseException:
                self._forget(user)
                raise
            token = object()
            self._running[token] = (user, time.monotonic() + expected_s)
            return token

    def _wait_for_slot(self, deadline: float | None, expected_s: float) -> None:
        self._waiting += 1
        try:
            while len(self._running) >= self.limit:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    raise InspectionBusy("server", self._retry_after(None, expected_s))
                self._cond.wait(remaining)
        finally:
            self._waiting -= 1

    def _release(self, token: object, user: Any) -> None:
        with self._cond:
            self._running.pop(token, None)
            self._forget(user)
            self._cond.notify_all()

    def _forget(self, user: Any) -> None:
        left = self._in_flight.get(user, 0) - 1
        if left > 0:
            self._in_flight[user] = left
        else:
            self._in_flight.pop(user, None)

    def _retry_after(self, user: Any, expected_s: float) -> int:
        """Seconds until the first of the relevant running inspections must have ended."""
        ends = [end for owner, end in self._running.values() if user is None or owner == user]
        wait = (min(ends) - time.monotonic()) if ends else expected_s
        return max(1, math.ceil(min(wait, expected_s)))


def server_threads() -> int | None:
    """The worker thread count of the waitress server running this process (it names them
    ``waitress-N``), or None outside waitress."""
    count = sum(1 for t in threading.enumerate() if t.name.startswith("waitress-"))
    return count or None


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def inspection_limits(config: Any) -> tuple[int, int]:
    """``(limit, per_user)`` from ``PORTAL_PDF_MAX_INSPECTIONS`` / ``_PER_USER``, or computed:
    a third of the server's threads (``PORTAL_SERVER_THREADS``, else waitress's own count; 8
    threads → 2), never more than the CPUs (each child burns one), and half of that per user."""
    limit = config.get("PORTAL_PDF_MAX_INSPECTIONS")
    if not limit:
        threads = config.get("PORTAL_SERVER_THREADS") or server_threads()
        if threads:
            limit = max(1, min(int(threads) // 3, _cpus()))
        else:
            limit = DEFAULT_MAX_INSPECTIONS
    limit = max(1, int(limit))
    per_user = config.get("PORTAL_PDF_MAX_INSPECTIONS_PER_USER") or max(1, limit // 2)
    return limit, max(1, min(int(per_user), limit))


_POOL_LOCK = threading.Lock()


def _new_pool_lock_after_fork() -> None:
    global _POOL_LOCK
    _POOL_LOCK = threading.Lock()  # another thread of the parent may have held it at the fork


os.register_at_fork(after_in_child=_new_pool_lock_after_fork)


def inspection_pool(app: Any) -> InspectionPool:
    """The app's inspection pool (one per app and process), made from its config on first use."""
    pool = app.extensions.get("pdf_inspections")
    if pool is None:
        with _POOL_LOCK:
            pool = app.extensions.get("pdf_inspections")
            if pool is None:
                limit, per_user = inspection_limits(app.config)
                wait_s = float(app.config.get("PORTAL_PDF_SLOT_WAIT_S", DEFAULT_SLOT_WAIT_S))
                pool = InspectionPool(limit, per_user=per_user, wait_s=wait_s,
                                      max_waiting=app.config.get("PORTAL_PDF_MAX_WAITING"))
                app.extensions["pdf_inspections"] = pool
                from portal.documents.pdf_warm import FILES_PER_CHILD, warm_children

                # Never more warm children waiting than inspections this process may run at once.
                files = app.config.get("PORTAL_PDF_CHILD_FILES")
                warm_children.configure(max_idle=pool.limit,
                                        files_per_child=FILES_PER_CHILD if files is None else int(files))
                log.info("PDF inspections: %d at once, %d per user, wait %.1f s, %d files per warm child "
                         "(per process)", pool.limit, pool.per_user, pool.wait_s, warm_children.files_per_child)
    return pool
