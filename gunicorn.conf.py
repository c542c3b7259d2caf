"""gunicorn settings: the portal served by several worker processes on one Linux machine.

    .venv/bin/gunicorn wsgi:app                                # from the repository root (this file is read by itself)
    .venv/bin/gunicorn -c /path/to/portal/gunicorn.conf.py wsgi:app   # from anywhere else
    scripts/serve --workers N      # or PORTAL_WORKERS=N scripts/serve; N = auto takes the count from the CPUs

Why a file at the root: gunicorn reads ./gunicorn.conf.py on its own, so the plain command an
administrator types gets these settings. Anything given on the command line (or in GUNICORN_CMD_ARGS)
wins over this file: `--bind`, `--threads`, `--timeout` … The one-process default stays waitress
(`scripts/serve` without --workers, and the only choice on Windows, where gunicorn does not run).

Workers: `PORTAL_WORKERS` (a number, or `auto`), else gunicorn's own `WEB_CONCURRENCY`, else auto =
the CPUs this process may use + 1. A request is mostly Python (templates, SQLAlchemy rows) holding the
GIL, so one process keeps about one core busy; the extra one fills the time a process waits on SQLite,
the disk or a PDF child. More than that adds memory (each worker holds its own caches and search
searcher) and SQLite writers queueing on one database lock, not throughput.

Threads: `PORTAL_SERVER_THREADS` (4) per worker (gthread), so a slow request (an upload being
inspected, a search) does not hold up its process's other requests; more threads would only queue
behind the GIL. The app reads the same key to size its per-process PDF inspection limit (a third of
the threads, at least one), as it counts waitress's threads.

preload_app: the app is built once in the master and the workers are forked from it: one import
instead of N (about a second of CPU each on this machine), memory shared until written, and a broken
configuration stops the master with its error instead of workers failing in a loop. What must not
cross a fork (database connections, the task queue's SQLite connection, search handles, locks and
pools of PDF children) is dropped in the child by portal._after_fork_in_child, for any fork.

timeout: for the gthread worker this is the heartbeat of the worker's main loop, not a limit on a
request (the PDF, OCR and thumbnail limits stay where they are); 120 s only catches a stuck process.
"""
import os


def worker_count(value: str | None, cpus: int) -> int:
    """`PORTAL_WORKERS`: a number ≥ 1, or empty/`auto` for CPUs + 1."""
    value = (value or "").strip().lower()
    if value in ("", "auto"):
        return cpus + 1
    count = int(value)
    if count < 1:
        raise ValueError(f"PORTAL_WORKERS must be 1 or more (or auto), not {value!r}")
    return count


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


wsgi_app = "wsgi:app"
bind = [f"127.0.0.1:{os.environ.get('PORT') or 5000}"]
workers = worker_count(os.environ.get("PORTAL_WORKERS") or os.environ.get("WEB_CONCURRENCY"), _cpus())
worker_class = "gthread"
# PORTAL_SERVER_THREADS sets the threads and tells the app the count (set here, before the preloaded
# app reads it); prefer it to --threads, which the app would not see.
threads = int(os.environ.get("PORTAL_SERVER_THREADS") or 4)
os.environ["PORTAL_SERVER_THREADS"] = str(threads)
preload_app = True
timeout = 120
graceful_timeout = 30
keepalive = 5
# Heartbeat files in memory, not on a disk that an upload or a reindex may keep busy.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# Proxy headers are the app's business (PORTAL_TRUSTED_PROXIES), as under waitress: gunicorn trusts none.
forwarded_allow_ips = ""
# gunicorn's control socket defaults to one per user ($HOME/.gunicorn/gunicorn.ctl): a second installation
# or a test server on the machine would take it over. Signals do its job: HUP reloads, TTIN/TTOU ± a worker.
control_socket_disable = True
# The portal logs through Flask; gunicorn's own messages go to stderr like waitress's.
errorlog = "-"
loglevel = "info"
