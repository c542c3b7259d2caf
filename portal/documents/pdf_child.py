"""The sandboxed half of ``portal.documents.pdf.inspect_pdf``: parse one untrusted PDF.

Run by the parent as a child process (see ``pdf.py`` for how it is started)::

    python -m portal.documents.pdf_child PATH MAX_PAGES [--memory-mb N] [--cpu-s N]
        [--text-cap-bytes N] [--trust-dir DIR] [--content-budget-mb N]

It first puts limits on itself (address space, CPU seconds, no core file, a cap on the size of
files it may write), before any byte of the PDF is read, then prints exactly one JSON object on
its stdout and exits 0::

    {"ok": true,  "result": {...}}                       # see _inspect
    {"ok": false, "code": "damaged", "detail": "…", ...} # a refusal code of pdf.py

Anything else (no JSON, killed by a signal, exit status ≠ 0) is interpreted by the parent.
The messages for officials live in the parent; ``detail`` is a short English note for logs.

``--serve`` makes a warm child instead (``pdf_warm.WarmChildren``): the same limits set first, pypdf
imported once, then one job per line on stdin and one framed answer per job (see ``serve``), the
CPU limit reset per file; it exits after a refusal, at EOF, or when its parent dies.

Start-up cost matters: this module imports only the standard library, ``portal.text`` and pypdf;
pyHanko (slow to import) is imported only when the file looks signed (``_looks_signed``: a /Sig
field with a value, or the bytes "/ByteRange"), so unsigned files never load it.
"""

from __future__ import annotations

import json
import os
import re
import sys
from typing import Any

#: Default cap on the extracted text kept per document (UTF-8 bytes).
DEFAULT_TEXT_CAP_BYTES = 5 * 1024 * 1024

_MAX_LOG_LINES = 30

#: Scheduling niceness added to the child (10: it gets a small share of a core the server needs).
CHILD_NICE = 10


class Refusal(Exception):
    """A refusal with one of the codes of ``portal.documents.pdf.REFUSAL_CODES``."""

    def __init__(self, code: str, detail: str = "", **extra: Any) -> None:
        super().__init__(code, detail)
        self.code = code
        self.detail = detail
        self.extra = extra


# ------------------------------------------------------------------------------------------
# limits and plumbing
# ------------------------------------------------------------------------------------------


def _apply_limits(memory_mb: int | None, cpu_s: int | None, fsize_mb: int = 64) -> None:
    import resource

    def lower(which: int, value: int) -> None:
        soft, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(which, (value, value))

    if memory_mb:
        lower(resource.RLIMIT_AS, memory_mb * 1024 * 1024)
    if cpu_s:
        # soft limit → SIGXCPU; the hard limit one second later → SIGKILL
        soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
        want_hard = cpu_s + 1 if hard == resource.RLIM_INFINITY else min(cpu_s + 1, hard)
        resource.setrlimit(resource.RLIMIT_CPU, (min(cpu_s, want_hard), want_hard))
    lower(resource.RLIMIT_CORE, 0)
    lower(resource.RLIMIT_FSIZE, fsize_mb * 1024 * 1024)
    try:
        # The server's request threads must win the CPU over a parse (hostile files burn it).
        os.nice(CHILD_NICE)
    except OSError:
        pass


class _LogCollector:
    """Collects pypdf's log warnings (its "I repaired this" notes) instead of printing them."""

    def __init__(self) -> None:
        import logging

        class Handler(logging.Handler):
            def emit(inner, record: logging.LogRecord) -> None:  # noqa: N805
                self.count += 1
                if len(self.lines) < _MAX_LOG_LINES:
                    try:
                        msg = record.getMessage()
                    except Exception:  # noqa: BLE001
                        msg = str(record.msg)
                    self.lines.append(f"{record.name}: {msg}"[:300])

        self.count = 0
        self.lines: list[str] = []
        self.handler = Handler(level=logging.WARNING)
        lg = logging.getLogger("pypdf")
        lg.addHandler(self.handler)
        lg.setLevel(logging.WARNING)
        lg.propagate = False

    def close(self) -> None:
        import logging

        logging.getLogger("pypdf").removeHandler(self.handler)


_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")
_TRAILING_WS_RE = re.compile(r"[ \t]+\n")


def clean_page_text(text: str) -> str:
    """NFC; line ends "\\n"; NUL and other control characters (which PostgreSQL, XML and HTML
    reject) and lone surrogates removed; trailing spaces on lines and blank lines at the end of
    the page dropped. Text inside a line is left exactly as extracted."""
    from portal.text import nfc

    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    text = _CONTROL_RE.sub(lambda m: "" if m.group() == "\x00" else " ", text)
    text = nfc(text)
    text = _TRAILING_WS_RE.sub("\n", text)
    return text.rstrip()


def _size_vi(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.0f} MB"
    return f"{max(1, round(n / 1024))} kB"


def _pdf_version(reader: Any) -> str | None:
    try:
        header = reader.pdf_header
    except Exception:  # noqa: BLE001
        return None
    m = re.search(r"(\d\.\d)", str(header))
    version = m.group(1) if m else None
    try:  # the catalog may declare a later version than the header (ISO 32000-1 §7.2.2)
        cat_version = reader.trailer["/Root"].get_object().get("/Version")
        if cat_version is not None:
            m2 = re.fullmatch(r"/?(\d\.\d)", str(cat_version))
            if m2 and (version is None or m2.group(1) > version):
                version = m2.group(1)
    except Exception:  # noqa: BLE001
        pass
    return version


def _meta_str(value: Any) -> str | None:
    from portal.text import nfc

    if value is None:
        return None
    try:
        text = str(value)
    except Exception:  # noqa: BLE001
        return None
    text = _CONTROL_RE.sub(" ", text.replace("\x00", ""))
    text = nfc(text).strip()[:1000]
    return text or None


def _looks_signed(reader: Any, path: str) -> bool:
    """Cheap test before importing pyHanko: a signature field with a value in the AcroForm,
    or the bytes "/ByteRange" anywhere (a signature dictionary can never sit in a compressed
    object stream, because its byte range refers to literal file offsets)."""
    try:
        acro = reader.trailer["/Root"].get_object().get("/AcroForm")
        if acro is not None:
            stack = list(acro.get_object().get("/Fields") or [])
            seen = 0
            while stack and seen < 10_000:
                seen += 1
                fld = stack.pop().get_object()
                if fld.get("/FT") == "/Sig" and fld.get("/V") is not None:
                    return True
                stack.extend(fld.get("/Kids") or [])
    except Exception:  # noqa: BLE001 - fall back to the byte scan
        pass
    import mmap

    try:
        with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            return mm.find(b"/ByteRange") >= 0
    except (OSError, ValueError):
        return False


# ------------------------------------------------------------------------------------------
# the inspection
# ------------------------------------------------------------------------------------------


def _content_bytes(page: Any, sizes: dict[tuple[int, int], int]) -> int:
    """Decoded size of a page's content streams; ``sizes`` remembers each indirect stream so a
    stream drawn by many pages is decoded once (pypdf keeps the decoded data anyway)."""
    from pypdf.generic import ArrayObject, IndirectObject

    contents = page.raw_get("/Contents") if "/Contents" in page else None
    if contents is None:
        return 0
    parts = contents.get_object() if isinstance(contents, IndirectObject) else contents
    refs = list(parts) if isinstance(parts, ArrayObject) else [contents]
    total = 0
    for ref in refs:
        key = (ref.idnum, ref.generation) if isinstance(ref, IndirectObject) else None
        if key is not None and key in sizes:
            total += sizes[key]
            continue
        obj = ref.get_object() if isinstance(ref, IndirectObject) else ref
        size = len(obj.get_data()) if hasattr(obj, "get_data") else 0
        if key is not None:
            sizes[key] = size
        total += size
    return total


def _check_content_budget(reader: Any, page_count: int, budget_bytes: int) -> None:
    """Refuse (``too_complex``) before any text extraction when the pages' content streams add
    up to more than ``budget_bytes``, counting a stream once per page that draws it: text
    extraction parses each page's content again, so such a file cannot finish within any sane
    time limit (a 100 kB file whose one 70 MB stream is shared by 200 pages asks pypdf to parse
    14 GB). Found in about the time one stream takes to decode, instead of at the wall clock."""
    from pypdf.errors import LimitReachedError

    sizes: dict[tuple[int, int], int] = {}
    total = 0
    for index in range(page_count):
        try:
            total += _content_bytes(reader.pages[index], sizes)
        except LimitReachedError as exc:
            raise Refusal("too_complex", f"page {index + 1}: pypdf limit: {exc}") from exc
        except MemoryError:
            raise
        except Exception:  # noqa: BLE001 - an unreadable page is reported by the extraction
            continue
        if total > budget_bytes:
            raise Refusal("too_complex", f"content budget: pages 1-{index + 1} draw {total // (1024 * 1024)} MiB "
                                         f"of content streams (budget {budget_bytes // (1024 * 1024)} MiB)")


def _inspect(path: str, max_pages: int, text_cap_bytes: int, trust_dir: str | None,
             content_budget_mb: int | None = None) -> dict[str, Any]:
    logs = _LogCollector()
    try:
        return _inspect_logged(logs, path, max_pages, text_cap_bytes, trust_dir, content_budget_mb)
    finally:
        logs.close()  # a warm child inspects many files: each counts its own warnings


def _inspect_logged(logs: _LogCollector, path: str, max_pages: int, text_cap_bytes: int, trust_dir: str | None,
                    content_budget_mb: int | None) -> dict[str, Any]:
    from pypdf import PasswordType, PdfReader
    from pypdf.errors import DependencyError, EmptyFileError, LimitReachedError

    warnings_vi: list[str] = []

    fh = open(path, "rb")  # noqa: SIM115 - closed in finally
    try:
        try:
            reader = PdfReader(fh, strict=False)
        except EmptyFileError as exc:
            raise Refusal("empty", str(exc)) from exc
        except LimitReachedError as exc:
            raise Refusal("too_complex", f"pypdf limit: {exc}") from exc
        except (MemoryError, DependencyError):
            raise
        except Exception as exc:  # noqa: BLE001 - whatever pypdf trips on, the file is damaged
            raise Refusal("damaged", f"{type(exc).__name__}: {exc}") from exc

        if reader.is_encrypted:
            try:
                outcome = reader.decrypt("")
            except DependencyError:
                raise
            except NotImplementedError as exc:  # an encryption scheme pypdf does not know
                raise Refusal("encrypted", f"unsupported encryption: {exc}") from exc
            except Exception as exc:  # noqa: BLE001
                raise Refusal("damaged", f"decrypt: {type(exc).__name__}: {exc}") from exc
            if outcome == PasswordType.NOT_DECRYPTED:
                raise Refusal("encrypted", "a user password is required")
            warnings_vi.append(
                "Tệp PDF có đặt mật khẩu hạn chế quyền (in, sao chép) nhưng mở được không cần "
                "mật khẩu; hệ thống đã đọc bình thường."
            )

        try:
            page_count = len(reader.pages)
        except LimitReachedError as exc:
            raise Refusal("too_complex", f"pypdf limit: {exc}") from exc
        except (MemoryError, DependencyError):
            raise
        except Exception as exc:  # noqa: BLE001 - e.g. "Detected cyclic page references"
            raise Refusal("damaged", f"page tree: {type(exc).__name__}: {exc}") from exc
        if page_count == 0:
            raise Refusal("empty", "no pages")
        if page_count > max_pages:
            raise Refusal("too_many_pages", f"{page_count} > {max_pages}", page_count=page_count)
        if content_budget_mb:
            _check_content_budget(reader, page_count, content_budget_mb * 1024 * 1024)

        producer = creator = title = None
        try:
            meta = reader.metadata
            if meta is not None:
                producer = _meta_str(meta.get("/Producer"))
                creator = _meta_str(meta.get("/Creator"))
                title = _meta_str(meta.get("/Title"))
        except (MemoryError, LimitReachedError):
            raise
        except Exception:  # noqa: BLE001 - broken metadata is not worth refusing the file
            warnings_vi.append("Không đọc được thông tin mô tả (metadata) của tệp PDF.")

        pages_text: list[str] = []
        used = 0
        capped_at: int | None = None
        failed_pages: list[int] = []
        for index in range(page_count):
            if capped_at is not None:
                pages_text.append("")
                continue
            try:
                raw = reader.pages[index].extract_text()
            except LimitReachedError as exc:
                raise Refusal("too_complex", f"page {index + 1}: pypdf limit: {exc}") from exc
            except (MemoryError, DependencyError):
                raise
            except Exception:  # noqa: BLE001 - one unreadable page must not lose the others
                failed_pages.append(index + 1)
                pages_text.append("")
                continue
            text = clean_page_text(raw or "")
            size = len(text.encode("utf-8"))
            if used + size > text_cap_bytes:
                text = text.encode("utf-8")[: max(0, text_cap_bytes - used)].decode("utf-8", "ignore")
                capped_at = index + 1
                size = len(text.encode("utf-8"))
            used += size
            pages_text.append(text)
        if failed_pages:
            shown = ", ".join(str(p) for p in failed_pages[:10]) + ("…" if len(failed_pages) > 10 else "")
            warnings_vi.append(f"Không trích xuất được chữ ở {len(failed_pages)} trang (trang {shown}).")
        if capped_at is not None:
            warnings_vi.append(
                f"Văn bản trích xuất quá dài: chỉ lưu {_size_vi(text_cap_bytes)} đầu "
                f"(đến trang {capped_at}/{page_count})."
            )

        pdf_version = _pdf_version(reader)
        looks_signed = _looks_signed(reader, path)
        del reader  # free decoded streams before pyHanko parses the file again
    finally:
        fh.close()

    signatures: list[dict[str, Any]] = []
    if looks_signed:
        import gc

        gc.collect()
        try:
            from portal.documents.signatures import read_signature_facts

            signatures = [f.to_dict() for f in read_signature_facts(path, trust_roots_dir=trust_dir)]
        except MemoryError:
            raise
        except Exception as exc:  # noqa: BLE001
            logs.lines.append(f"signatures: {type(exc).__name__}: {exc}"[:300])
            warnings_vi.append("Tệp có chữ ký số nhưng không đọc được thông tin chữ ký.")

    if logs.count:
        warnings_vi.append(
            "Tệp PDF có một số lỗi cấu trúc nhỏ; hệ thống đã tự khắc phục khi đọc "
            f"({logs.count} cảnh báo)."
        )
    return {
        "page_count": page_count,
        "pages_text": pages_text,
        "pdf_version": pdf_version,
        "producer": producer,
        "creator": creator,
        "info_title": title,
        "signatures": signatures,
        "warnings": warnings_vi,
        "log": logs.lines,
    }


def _parse_args(argv: list[str]) -> dict[str, Any]:
    if len(argv) < 2:
        raise SystemExit("usage: pdf_child PATH MAX_PAGES [--memory-mb N] [--cpu-s N] [--text-cap-bytes N] [--trust-dir DIR] [--content-budget-mb N]")
    opts: dict[str, Any] = {
        "path": argv[0],
        "max_pages": int(argv[1]),
        "memory_mb": None,
        "cpu_s": None,
        "text_cap_bytes": DEFAULT_TEXT_CAP_BYTES,
        "trust_dir": None,
        "content_budget_mb": None,
    }
    rest = argv[2:]
    if len(rest) % 2:
        raise SystemExit(f"pdf_child: option without a value: {rest[-1]}")
    for key, value in zip(rest[::2], rest[1::2]):
        name = key.lstrip("-").replace("-", "_")
        if name not in ("memory_mb", "cpu_s", "text_cap_bytes", "trust_dir", "content_budget_mb"):
            raise SystemExit(f"pdf_child: unknown option {key}")
        opts[name] = value if name == "trust_dir" else int(value)
    return opts


def _answer(opts: dict[str, Any]) -> dict[str, Any]:
    """The JSON answer for one file (``opts`` as ``_parse_args`` or a served job gives them)."""
    global _reserve
    try:
        return {"ok": True, "result": _inspect(
            opts["path"], int(opts["max_pages"]), int(opts["text_cap_bytes"]), opts.get("trust_dir"),
            opts.get("content_budget_mb"))}
    except Refusal as exc:
        return {"ok": False, "code": exc.code, "detail": exc.detail[:500], **exc.extra}
    except MemoryError:
        _reserve = None  # released so that we can still answer
        return {"ok": False, "code": "too_large_memory", "detail": "MemoryError"}
    except RecursionError as exc:
        return {"ok": False, "code": "damaged", "detail": f"RecursionError: {exc}"[:500]}
    except Exception as exc:  # noqa: BLE001 - reported as "internal" to the parent
        return {"ok": False, "code": "internal", "detail": f"{type(exc).__name__}: {exc}"[:500]}


_reserve: bytearray | None = None


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "replace")


def _private_stdout() -> int:
    """Our JSON goes to a private copy of stdout; anything a library prints goes to stderr."""
    out_fd = os.dup(1)
    os.dup2(2, 1)
    import warnings

    warnings.simplefilter("ignore")
    return out_fd


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--serve"]:
        return serve(argv[1:])
    opts = _parse_args(argv)
    _apply_limits(opts["memory_mb"], opts["cpu_s"])
    out_fd = _private_stdout()
    global _reserve
    _reserve = bytearray(2 * 1024 * 1024)
    _write_all(out_fd, _encode(_answer(opts)))
    os.close(out_fd)
    return 0


# ------------------------------------------------------------------------------------------
# a warm child: many files, one after another (see pdf.WarmChildren)
# ------------------------------------------------------------------------------------------

#: How often a warm child checks that its parent is still alive (seconds).
PARENT_CHECK_S = 0.5


def serve(argv: list[str]) -> int:
    """``--serve --memory-mb N --cpu-budget-s S``: limit ourselves, import pypdf once, then answer
    jobs one after another. A job is one JSON line on stdin (``path``, ``max_pages``, ``cpu_s``,
    ``text_cap_bytes``, ``trust_dir``, ``content_budget_mb``); the answer is ``LENGTH\n`` then
    that many bytes of JSON on stdout. EOF on stdin ends the child; so does a refusal (the parent
    starts a fresh child for the next file) and the death of the parent.

    Limits per file: the address space is the process's own (``RLIMIT_AS`` for the whole child,
    which is retired after any refusal); CPU time is cumulative per process, so before each file
    the soft ``RLIMIT_CPU`` is set to the CPU used so far plus the job's ``cpu_s`` (SIGXCPU kills
    the child when a file overruns), under a hard limit of ``cpu_budget_s`` for the child's whole
    life; the parent's wall clock and output cap are per file too.
    """
    opts = {"memory_mb": None, "cpu_budget_s": None}
    if len(argv) % 2:
        raise SystemExit(f"pdf_child --serve: option without a value: {argv[-1]}")
    for key, value in zip(argv[::2], argv[1::2]):
        name = key.lstrip("-").replace("-", "_")
        if name not in opts:
            raise SystemExit(f"pdf_child --serve: unknown option {key}")
        opts[name] = int(value)
    _apply_limits(opts["memory_mb"], opts["cpu_budget_s"])
    out_fd = _private_stdout()
    _die_with_parent(os.getppid())
    global _reserve
    import pypdf  # noqa: F401 - the point of a warm child: imported once for all its files
    from pypdf import generic  # noqa: F401

    import portal.text  # noqa: F401

    stdin = os.fdopen(0, "rb", buffering=0)
    jobs = _lines(stdin)
    for line in jobs:
        try:
            job = json.loads(line)
        except ValueError:
            return 2
        _reserve = bytearray(2 * 1024 * 1024)
        _cpu_for_next_file(int(job["cpu_s"]))
        payload = _answer(job)
        data = _encode(payload)
        _write_all(out_fd, b"%d\n" % len(data) + data)
        if not payload["ok"]:
            return 0  # whatever a refused file did to this process, the next file gets a fresh one
        import gc

        gc.collect()
    return 0


def _lines(stream: Any) -> Any:
    buf = b""
    while True:
        while b"\n" not in buf:
            chunk = stream.read(65536)
            if not chunk:
                return
            buf += chunk
            if len(buf) > 1024 * 1024:
                return  # not a job
        line, buf = buf.split(b"\n", 1)
        yield line


def _cpu_for_next_file(cpu_s: int) -> None:
    """Soft CPU limit = CPU used so far + ``cpu_s`` (never above the hard limit, the child's budget)."""
    import math
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    want = math.ceil(usage.ru_utime + usage.ru_stime) + max(1, cpu_s)
    _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if hard != resource.RLIM_INFINITY:
        want = min(want, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (want, hard))


def _die_with_parent(ppid: int) -> None:
    """Exit as soon as the parent is gone (killed with -9 too): a warm child must not outlive it.
    A thread polling ``getppid`` (re-parented → changed) works whoever started us and from whatever
    thread, unlike ``PR_SET_PDEATHSIG``, which fires when the *thread* that forked us ends."""
    import threading
    import time

    def watch() -> None:
        while True:
            time.sleep(PARENT_CHECK_S)
            if os.getppid() != ppid:
                os._exit(0)

    threading.stack_size(256 * 1024)  # counts against RLIMIT_AS
    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
