"""Load benchmark (issues 14 and 15): the year-end mix against the real server processes, waitress (one
process) and gunicorn (N worker processes, gunicorn.conf.py), each against a static file served by the
same server in the same run; and (issue 15, on request) the layout of several machines: two portal
sites on PostgreSQL + Redis behind one address, against one process on the same storage.

Run by hand (the full size)::

    BENCH_LOAD_USERS=1,10,50,200 BENCH_LOAD_SECONDS=30 BENCH_LOAD_THINK=1 BENCH_LOAD_DATA=demo \\
        .venv/bin/python -m tests.perf.bench_load

or as a test (CI size by default: 1 and 5 users, 3 s each, a small generated archive)::

    .venv/bin/python -m pytest tests/perf/bench_load.py -m perf -s

The client is a bounded asyncio client on aiohttp, not locust: importing locust monkey-patches the
whole process with gevent (sockets, threads, time), which would change every test pytest runs after it.
The client runs on the same machine as the server and takes CPU from it: the figures are for "this
machine, client included", noted with the load average.

Environment:
- `BENCH_LOAD_USERS` (`1,5`): concurrent virtual users per step; each is a browser of its own (its
  cookie session, logged in before the timed window, its own keep-alive connections).
- `BENCH_LOAD_SECONDS` (3): timed seconds of the mix per step; the static baseline runs a third of it.
- `BENCH_LOAD_THINK` (0): mean seconds a user waits between two actions (uniform 0.5×–1.5×). 0 is a
  closed loop (capacity: every user fires again at once); 1 is a busy meeting (the live sheet alone
  polls every 1.5 s). The static baseline uses the same think time.
- `BENCH_LOAD_SERVERS` (`waitress,gunicorn`), `BENCH_LOAD_WORKERS` (gunicorn's count: CPUs + 1, as
  gunicorn.conf.py's auto), `BENCH_LOAD_THREADS` (waitress 8 as scripts/serve; gunicorn 4 per worker).
  Waitress runs with scripts/serve's options (a limit of 500 open connections instead of 100, poll()).
  Two more settings, off unless named (CI runs neither):
  * `postgres`: one waitress process on PostgreSQL (the tests' throwaway cluster, tests/pg.py), the task
    queue on Redis (a throwaway redis-server, tests/redis_server.py) and `PORTAL_SEARCH_ENGINE=postgres`;
  * `postgres2`: two such portal sites, each a waitress process (8 threads) with an instance folder of
    its own, sharing the database, the Redis queue, one archive folder (a network mount's stand-in) and
    one SECRET_KEY, behind one address. The address is a small asyncio round-robin TCP proxy in a process
    of its own (`python -m tests.perf.bench_load --proxy PORT BACKEND…`): it stands for the load balancer
    (nginx, HAProxy) and, like an L4 balancer, sends each new connection to the next site (keep-alive
    requests stay with their connection). What it costs is printed: its CPU ms per request (about 0.4 ms
    here), and a few ms of latency per request (compare `static` alone with and without it). One
    process of `postgres` talks to its server directly, so the proxy's cost counts against the two.
  The data is built once into a PostgreSQL template database and each setting gets its own copy. The
  database server's and Redis's CPU are not in the server CPU figures (other processes); on one machine
  they, the client and the proxy share the same cores as the portal processes, so two sites on a
  2-core machine measure the layout's overhead and correctness, not the gain of a second machine.
  `BENCH_LOAD_SERVERS=waitress,postgres,postgres2` compares the three in one run, with the ratio
  two sites / one process printed at the end (throughput, pages p95, save p95, errors). Without
  PostgreSQL or redis-server these settings are skipped with a message (an error where
  PORTAL_TEST_REQUIRE_POSTGRES=1).
- `BENCH_LOAD_DATA` (`small`): `small` = the demo province without its documents plus
  `BENCH_LOAD_DOCS` (12) generated PDFs brought in by `flask import`; `demo` = `flask demo` with its
  262 real-looking documents (about two minutes to build). Each server gets its own copy of the data.
- `BENCH_DIR`: build there and keep it (default: a temporary folder, removed).

The mix (weights): dashboard 12, archive list 12 (a third with a year filter), search page 10,
document page 12, scoring sheet page 8, score feed poll 20 (`scores?since=`, what an open sheet asks
every 1.5 s), score save 10 (PUT /api/v1/scores/… with the version last seen; a 409 is a race lost to
another user — counted as `409`, not as an error — and the user takes the current version), upload 1
(a small text PDF through the API; a 429 "inspections busy" is counted as `429`). Errors are
everything else: a 5xx, an unexpected status, a timeout, a refused connection.

Before the steps, per server: every kind a few times over new connections (so every gunicorn worker
is warm), then each kind alone, one request at a time: its latency and the server CPU it costs.
Figures per server and step: requests/s, p50/p95/p99 per kind, "pages" (dashboard, archive,
search, document, sheet pooled), errors, 409s and 429s; the static file's requests/s and p50 in the
same step and the ratios mix/static; the server's CPU ms per request of the mix (its whole process
group, from /proc: a figure the machine's other load barely moves, unlike latency) and the client's.
The test asserts only correctness (every kind answered in the warm-up, no error in any step); never
timings.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.perf.stats import percentile
from tests.procs import ROOT, PortalProcess, free_port

YEAR, BLOC = 2026, "K1"  # the demo's open year; huyện Na Hang leads K1 and scores its bloc stage
LEADER = "h-nahang"
PAGE_USERS = ("bantdkt", "bantdkt.tuan", LEADER)  # the Board and the leader: they see every page of the mix
SEARCH_WORDS = ("thi đua", "khen thưởng", "kế hoạch", "báo cáo tổng kết", "giao ước", "Na Hang", "năm 2025")
PAGE_KINDS = ("dashboard", "archive", "search", "document", "sheet")
WEIGHTS = {"dashboard": 12, "archive": 12, "search": 10, "document": 12, "sheet": 8, "feed": 20, "save": 10,
           "upload": 1}
STATIC = "/static/css/portal.css"


def _env_list(name: str, default: str) -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def server_cpu_s(group: int | tuple[int, ...]) -> float:
    """CPU seconds used so far by the server's process group (master, workers, the PDF and thumbnail
    children they reaped): user + system, own + waited-for children. Per request it is a figure the
    machine's other load barely moves, unlike latency. 0 where /proc is missing."""
    groups = {group} if isinstance(group, int) else set(group)
    total = 0
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    for entry in Path("/proc").glob("[0-9]*/stat") if Path("/proc").is_dir() else ():
        try:
            fields = entry.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        if int(fields[2]) in groups:  # fields after the name: state ppid pgrp …; utime is the 12th
            total += sum(int(x) for x in fields[11:15])
    return total / tick


# --- the data ------------------------------------------------------------------------------------

def build(root: Path, data: str, docs: int, *, database_url: str | None = None, env: dict | None = None) -> None:
    """The demo province in `root` (PortalProcess layout), with documents (in `database_url` when given)."""
    portal = PortalProcess(root, database_url=database_url, env=env)
    try:
        if data == "demo":
            portal.flask("demo", timeout=1800)
            return
        portal.flask("demo", "--no-documents")
        from tests.pdf_factory import make_text_pdf

        folder = root / "incoming"
        rng = random.Random(14)
        kinds = ["Kế hoạch", "Báo cáo", "Quyết định khen thưởng", "Công văn", "Giao ước thi đua"]
        for i in range(docs):
            kind = kinds[i % len(kinds)]
            lines = [f"{kind} số {i + 1}/{YEAR}", "Về công tác thi đua, khen thưởng năm 2025",
                     *(" ".join(rng.choice(["thi đua", "khen thưởng", "đơn vị", "huyện Na Hang", "tổng kết",
                                            "chỉ tiêu", "phong trào", "báo cáo", "kết quả", "năm 2025"])
                                for _ in range(12)) for _ in range(25))]
            make_text_pdf(folder / f"van-ban-{i + 1:03d}.pdf", ["\n".join(lines)], title=f"{kind} {i + 1}")
        portal.flask("import", str(folder), "--year", str(YEAR), timeout=1800)
        shutil.rmtree(folder)
    finally:
        portal.close()


# --- the client ------------------------------------------------------------------------------------

@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=dict)  # kind -> ms of answered requests
    statuses: dict[str, dict[str, int]] = field(default_factory=dict)  # kind -> outcome -> count
    errors: list[str] = field(default_factory=list)

    def add(self, kind: str, ms: float, outcome: str) -> None:
        if outcome in ("ok", "409", "429"):
            self.latencies.setdefault(kind, []).append(ms)
        counts = self.statuses.setdefault(kind, {})
        counts[outcome] = counts.get(outcome, 0) + 1

    def count(self, kind: str, outcome: str | None = None) -> int:
        counts = self.statuses.get(kind, {})
        return sum(counts.values()) if outcome is None else counts.get(outcome, 0)

    def error_count(self) -> int:
        return sum(n for counts in self.statuses.values() for o, n in counts.items() if o not in ("ok", "409", "429"))


@dataclass
class Shared:
    """What every virtual user of one server knows: tokens, ids, the cells of the sheet."""
    base: str
    leader_token: str
    admin_token: str
    document_ids: list[int]
    cells: list[tuple[int, int, float]]  # (scorecard, criterion, max points)
    versions: dict[tuple[int, int], int]
    pdf: bytes


class VirtualUser:
    def __init__(self, shared: Shared, account: str, rng: random.Random, think: float, *, force_close: bool = False):
        import aiohttp

        self.shared, self.account, self.rng, self.think = shared, account, rng, think
        self.http = aiohttp.ClientSession(
            cookie_jar=aiohttp.CookieJar(unsafe=True),  # cookies from 127.0.0.1 (an IP address)
            timeout=aiohttp.ClientTimeout(total=60),
            # force_close: a new connection per request, which any worker process may accept (warm-up).
            connector=aiohttp.TCPConnector(limit=6, force_close=force_close))
        self.since: str | None = None

    async def close(self) -> None:
        await self.http.close()

    async def login(self) -> None:
        from portal.demo.province import DEMO_PASSWORD

        async with self.http.get(self.shared.base + "/login") as response:
            html = await response.text()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
        async with self.http.post(self.shared.base + "/login", allow_redirects=False,
                                  data={"username": self.account, "password": DEMO_PASSWORD, "csrf_token": token}) as response:
            await response.read()
            if response.status != 302 or response.headers.get("Location", "").endswith("/login"):
                raise RuntimeError(f"login of {self.account}: {response.status}")

    def pick(self) -> str:
        return self.rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]

    async def act(self, kind: str, stats: Stats) -> None:
        shared, rng = self.shared, self.rng
        method, path, kwargs, ok, cell = "GET", "", {}, (200,), None
        if kind == "static":
            path = STATIC
        elif kind == "dashboard":
            path = "/"
        elif kind == "archive":
            path = "/documents" if rng.random() < 0.67 else f"/documents?year={rng.choice((2024, 2025, 2026))}"
        elif kind == "search":
            path = "/search?" + _query({"q": rng.choice(SEARCH_WORDS)})
        elif kind == "document":
            path = f"/documents/{rng.choice(shared.document_ids)}"
        elif kind == "sheet":
            path = f"/scoring/{YEAR}/{BLOC}/sheet"
        elif kind == "feed":
            path = f"/api/v1/years/{YEAR}/blocs/{BLOC}/scores" + (f"?since={self.since}" if self.since else "")
        elif kind == "save":
            scorecard, criterion, top = rng.choice(shared.cells)
            cell = (scorecard, criterion)
            version = shared.versions.get(cell, 0)
            points = f"{rng.randint(0, int(top * 4)) / 4:g}"
            method, path, ok = "PUT", f"/api/v1/scores/{scorecard}/{criterion}/bloc", (200,)
            kwargs = {"json": {"points": points, "version": version},
                      "headers": {"Authorization": f"Bearer {shared.leader_token}"}}
        elif kind == "upload":
            import aiohttp

            form = aiohttp.FormData()
            form.add_field("year", str(YEAR))
            # Unique bytes (a PDF comment after %%EOF), so the archive never takes it for a duplicate.
            form.add_field("file", shared.pdf + f"\n%{os.urandom(8).hex()}\n".encode(), filename="bao-cao-tai-len.pdf",
                           content_type="application/pdf")
            method, path, ok = "POST", "/api/v1/documents", (201,)
            kwargs = {"data": form, "headers": {"Authorization": f"Bearer {shared.admin_token}"}}
        start = time.perf_counter()
        try:
            async with self.http.request(method, shared.base + path, allow_redirects=False, **kwargs) as response:
                body = await response.read()
                status = response.status
        except Exception as exc:  # noqa: BLE001 - every failure is a figure of the benchmark
            stats.add(kind, (time.perf_counter() - start) * 1000, "error")
            stats.errors.append(f"{kind} {path}: {type(exc).__name__}: {exc}"[:300])
            return
        ms = (time.perf_counter() - start) * 1000
        if status in ok:
            outcome = "ok"
        elif status == 409 and kind == "save":
            outcome = "409"
        elif status == 429 and kind == "upload":
            outcome = "429"
        else:
            outcome = str(status)
            stats.errors.append(f"{kind} {method} {path}: {status} {body[:200]!r}")
        stats.add(kind, ms, outcome)
        if cell is not None and status in (200, 409):
            answer = json.loads(body)
            # The winner's version, or the current one a 409 reports: the user's next save of the cell
            # starts from it, as the sheet takes the others' entries.
            version = answer["version"] if status == 200 else answer.get("error", {}).get("current", {}).get("version")
            if version is not None:
                shared.versions[cell] = version
        elif kind == "feed" and status == 200:
            self.since = str(json.loads(body).get("token") or "") or None

    async def run(self, kind: str | None, deadline: float, stats: Stats) -> None:
        """Act until `deadline`: always `kind`, or a kind of the mix drawn each time (None)."""
        while time.perf_counter() < deadline:
            await self.act(kind or self.pick(), stats)
            if self.think:
                await asyncio.sleep(self.think * self.rng.uniform(0.5, 1.5))


def _query(params: dict) -> str:
    from urllib.parse import urlencode

    return urlencode(params)


# --- one server ---------------------------------------------------------------------------------------

async def _prepare(portal: PortalProcess, base: str) -> Shared:
    import urllib.request

    from tests.pdf_factory import make_text_pdf

    leader, admin = portal.token(LEADER), portal.token("admin")

    def get(path: str, token: str) -> dict:
        request = urllib.request.Request(portal.url + path, headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())

    ids = [item["id"] for item in get("/api/v1/documents", admin)["items"]]
    feed = get(f"/api/v1/years/{YEAR}/blocs/{BLOC}/scores", leader)
    cells, versions = [], {}
    for card in feed["scorecards"]:
        for criterion in feed["criteria"]:
            if criterion.get("max_points") and float(criterion["max_points"]) > 0:
                cells.append((card["id"], criterion["id"], float(criterion["max_points"])))
        for score in card["scores"]:
            if score["stage"] == "bloc":
                versions[(card["id"], score["criterion"])] = score["version"]
    assert ids and cells, (len(ids), len(cells))
    pdf = make_text_pdf(None, ["Báo cáo kết quả thi đua năm 2026\nTải lên trong lúc đo tải cuối năm."])
    return Shared(base, leader, admin, ids, cells, versions, pdf)


async def _step(users: list[VirtualUser], kind: str | None, seconds: float) -> tuple[Stats, float]:
    stats = Stats()
    start = time.perf_counter()
    await asyncio.gather(*(user.run(kind, start + seconds, stats) for user in users))
    return stats, time.perf_counter() - start


async def _bench_server(portal: PortalProcess, label: str, user_counts: list[int], seconds: float, think: float,
                        rows: list[dict], *, site: "Site | None" = None) -> dict:
    """The warm-up, the costs alone and every step against `portal`, or against `site` (several processes
    behind the benchmark's proxy; `portal` is then its first process, used for tokens and ids)."""
    # Started in a session of its own: a server's pid is its process group's id.
    group = site.groups if site else portal.server.pid
    processes = site.processes if site else (portal.workers_count if portal.serve_with == "gunicorn" else 1)
    shared = await _prepare(portal, site.url if site else portal.url)
    rng = random.Random(2026)
    warm = Stats()
    users: list[VirtualUser] = []
    try:
        first = VirtualUser(shared, PAGE_USERS[0], random.Random(1), 0, force_close=True)
        users.append(first)  # closed with the others; not one of the timed crowd
        await first.login()
        # Every kind answers before anything is timed, and every worker process has served each a few times
        # (templates compiled, searcher open): a new connection per request lands on any of them.
        for kind in ("static", *WEIGHTS):
            for _ in range(2 * processes):
                await first.act(kind, warm)
        costs = await _kind_costs(first, group)
        for count in user_counts:
            while len(users) - 1 < count:
                user = VirtualUser(shared, PAGE_USERS[len(users) % len(PAGE_USERS)], random.Random(rng.random()), think)
                await user.login()
                users.append(user)
            crowd = users[1:count + 1]
            for user in crowd:
                user.think = think
            load_before = _load()
            static, static_s = await _step(crowd, "static", max(1.0, seconds / 3))
            cpu, client = server_cpu_s(group), time.process_time()
            proxy = server_cpu_s(site.proxy.pid) if site else 0.0
            mix, mix_s = await _step(crowd, None, seconds)
            cpu, client = server_cpu_s(group) - cpu, time.process_time() - client
            proxy = server_cpu_s(site.proxy.pid) - proxy if site else 0.0
            rows.append(_row(label, count, think, static, static_s, mix, mix_s, load_before, _load()))
            requests = max(1, sum(mix.count(k) for k in WEIGHTS))
            rows[-1].update(cpu_ms=1000 * cpu / requests, client_cpu_ms=1000 * client / requests,
                            cores=cpu / mix_s, proxy_cpu_ms=1000 * proxy / requests)
            _print_row(rows[-1])
    finally:
        for user in users:
            await user.close()
    return {"warm": warm, "costs": costs}


async def _kind_costs(user: VirtualUser, group: int, repeat: int = 20) -> dict[str, dict[str, float]]:
    """Each kind alone, one request at a time: its latency with nothing else running and the server CPU
    it costs (the figure that decides how many requests/s the machine's cores can serve)."""
    costs = {}
    for kind in ("static", *WEIGHTS):
        if kind == "upload":
            continue  # a PDF child's CPU is reaped late; uploads are 1 % of the mix
        stats = Stats()
        cpu = server_cpu_s(group)
        for _ in range(repeat):
            await user.act(kind, stats)
        cpu = server_cpu_s(group) - cpu
        values = stats.latencies.get(kind, [])
        costs[kind] = {"cpu_ms": 1000 * cpu / repeat, "p50": percentile(values, 50), "errors": stats.error_count()}
    print("    alone, one at a time (" + str(repeat) + " each): " + ", ".join(
        f"{kind} {c['p50']:.0f} ms / CPU {c['cpu_ms']:.0f} ms" for kind, c in costs.items()))
    return costs


def _row(label, count, think, static, static_s, mix, mix_s, load_before, load_after) -> dict:
    kinds = {}
    for kind in (*WEIGHTS, "pages"):
        values = ([ms for k in PAGE_KINDS for ms in mix.latencies.get(k, [])] if kind == "pages"
                  else mix.latencies.get(kind, []))
        kinds[kind] = {"n": len(values), "p50": percentile(values, 50), "p95": percentile(values, 95),
                       "p99": percentile(values, 99)}
    static_values = static.latencies.get("static", [])
    total = sum(mix.count(k) for k in WEIGHTS)
    return {
        "server": label, "users": count, "think": think, "seconds": mix_s,
        "rps": total / mix_s, "errors": mix.error_count() + static.error_count(),
        "conflicts": mix.count("save", "409"), "busy": mix.count("upload", "429"),
        "static_rps": len(static_values) / static_s, "static_p50": percentile(static_values, 50),
        "static_p95": percentile(static_values, 95), "kinds": kinds,
        "error_samples": (static.errors + mix.errors)[:5], "load": f"{load_before} → {load_after}",
    }


def _print_row(row: dict) -> None:
    k = row["kinds"]
    print(f"\n{row['server']:<16} users {row['users']:>3}  think {row['think']:g} s  mix {row['rps']:7.1f} req/s  "
          f"static {row['static_rps']:7.1f} req/s (p50 {row['static_p50']:.1f} ms)  ratio mix/static rps "
          f"{row['rps'] / row['static_rps']:.2f}  errors {row['errors']}  409 {row['conflicts']}  429 {row['busy']}  "
          f"load {row['load']}")
    print(f"    server CPU {row['cpu_ms']:.1f} ms per request of the mix ({row['cores']:.2f} cores busy), "
          f"client CPU {row['client_cpu_ms']:.1f} ms per request"
          + (f", proxy CPU {row['proxy_cpu_ms']:.2f} ms per request" if row.get("proxy_cpu_ms") else ""))
    for kind in ("pages", *WEIGHTS):
        f = k[kind]
        if f["n"]:
            print(f"    {kind:<10} n {f['n']:>6}  p50 {f['p50']:8.1f}  p95 {f['p95']:8.1f}  p99 {f['p99']:8.1f} ms"
                  f"  p50/static {f['p50'] / row['static_p50']:6.1f}×")
    for sample in row["error_samples"]:
        print(f"    ! {sample}")


# As scripts/serve runs waitress: with waitress's default limit of 100 open connections, 200 users (one
# keep-alive connection each) left half of them waiting up to a minute (p95 52 s, timeouts).
WAITRESS_ARGS = ("--connection-limit=500", "--asyncore-use-poll")


@dataclass
class Server:
    """One setting of BENCH_LOAD_SERVERS: how many processes of which server, on which storage."""
    label: str
    serve_with: str
    workers: int
    threads: int
    options: tuple[str, ...]
    processes: int = 1  # portal installations behind the benchmark's proxy (1: no proxy)
    postgres: bool = False  # PostgreSQL + Redis + PORTAL_SEARCH_ENGINE=postgres instead of SQLite, Whoosh, SQLite queue


def _servers() -> list[Server]:
    """The settings BENCH_LOAD_SERVERS names, in its order."""
    workers = int(os.environ.get("BENCH_LOAD_WORKERS") or _cpus() + 1)
    threads = int(os.environ.get("BENCH_LOAD_THREADS") or 8)
    out = []
    for name in _env_list("BENCH_LOAD_SERVERS", "waitress,gunicorn"):
        if name == "waitress":
            out.append(Server("waitress ×1", "waitress", 1, threads, WAITRESS_ARGS))
        elif name == "gunicorn":
            out.append(Server(f"gunicorn ×{workers}", "gunicorn", workers, int(os.environ.get("BENCH_LOAD_THREADS") or 4), ()))
        elif name == "postgres":
            out.append(Server("pg waitress ×1", "waitress", 1, threads, WAITRESS_ARGS, postgres=True))
        elif name == "postgres2":
            out.append(Server("pg 2 sites", "waitress", 1, threads, WAITRESS_ARGS, processes=2, postgres=True))
        else:
            raise ValueError(f"BENCH_LOAD_SERVERS: waitress, gunicorn, postgres or postgres2, not {name!r}")
    return out


# --- several sites behind one address ---------------------------------------------------------------

SITE_SECRET = "bench-load-" + "7" * 48  # the SECRET_KEY every site shares: a cookie signed by one is read by the others
PG_BASE = "bench_load_base"


@dataclass
class Site:
    """Portal processes behind the benchmark's round-robin proxy: what the load balancer's address serves."""
    url: str
    groups: tuple[int, ...]  # the servers' process groups (their CPU)
    processes: int
    proxy: subprocess.Popen


async def _proxy(port: int, backends: list[int]) -> None:
    """A TCP round-robin proxy: each new connection goes to the next backend and stays there (keep-alive
    requests follow their connection, as behind an L4 load balancer or nginx's upstream round-robin)."""
    turn = itertools.cycle(backends)

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def handle(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            server_r, server_w = await asyncio.open_connection("127.0.0.1", next(turn))
        except OSError:
            client_w.close()
            return
        await asyncio.gather(pipe(client_r, server_w), pipe(server_r, client_w))

    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


def start_proxy(backends: list[int], timeout: float = 20) -> tuple[subprocess.Popen, int]:
    """The proxy in a process of its own (`python -m tests.perf.bench_load --proxy PORT BACKEND…`), so it
    takes neither the client's event loop nor its GIL; returns it and the port it listens on."""
    port = free_port()
    proxy = subprocess.Popen([sys.executable, "-m", "tests.perf.bench_load", "--proxy", str(port), *map(str, backends)],
                             cwd=ROOT, start_new_session=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proxy, port
        except OSError:
            if proxy.poll() is not None:
                break
            time.sleep(0.05)
    proxy.kill()
    proxy.wait()
    raise RuntimeError("the benchmark's proxy did not start")


def _postgres_base(workdir: Path, data: str, docs: int):
    """The data once in a PostgreSQL database of the tests' throwaway cluster (a template for every server)
    and the instance/archive folders beside it; None (with why) without PostgreSQL or redis-server."""
    from tests import pg, redis_server

    cluster = pg.cluster()
    missing = ([pg.missing_message()] if cluster is None else []) + \
              ([redis_server.missing_message()] if redis_server.binary() is None else [])
    if missing:
        if pg.required():
            raise RuntimeError("; ".join(missing))
        print("\npostgres settings skipped: " + "; ".join(missing))
        return None
    root = workdir / "base-pg"
    shutil.rmtree(root, ignore_errors=True)  # the cluster is new every run: so is the data in it
    cluster.execute(f"DROP DATABASE IF EXISTS {PG_BASE} WITH (FORCE)", f"CREATE DATABASE {PG_BASE}")
    t = time.perf_counter()
    build(root, data, docs, database_url=cluster.url(PG_BASE), env={"PORTAL_SEARCH_ENGINE": "postgres"})
    print(f"\ndata ({data}) built in PostgreSQL in {time.perf_counter() - t:.0f} s")
    return cluster, root


def _run_postgres(server: Server, workdir: Path, pg_base, user_counts, seconds, think, rows) -> dict:
    """`server` on PostgreSQL + Redis + the postgres engine: its own copy of the database (from the template),
    a Redis database of its own, one shared archive folder and SECRET_KEY, an instance folder per process."""
    import contextlib

    from tests import redis_server

    cluster, base = pg_base
    name = f"bench_load_{server.processes}_{os.getpid()}"
    cluster.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name} TEMPLATE {PG_BASE}")
    root = workdir / f"pg-{server.processes}"
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(base / "archive", root / "archive")  # the network mount every site sees
    env = {"PORTAL_SEARCH_ENGINE": "postgres", "SECRET_KEY": SITE_SECRET, "PORTAL_ARCHIVE_DIR": str(root / "archive")}
    queue = redis_server.shared().new_url()
    try:
        with contextlib.ExitStack() as stack:
            portals = []
            for n in range(server.processes):
                shutil.copytree(base / "instance", root / f"site-{n + 1}" / "instance")
                portal = stack.enter_context(PortalProcess(root / f"site-{n + 1}", database_url=cluster.url(name),
                                                           queue_url=queue, env=env, threads=server.threads,
                                                           server_args=server.options))
                portals.append(portal.start())
            site = None
            if server.processes > 1:
                proxy, port = start_proxy([p.port for p in portals])
                stack.callback(lambda: (proxy.kill(), proxy.wait()))
                site = Site(f"http://127.0.0.1:{port}", tuple(p.server.pid for p in portals), server.processes, proxy)
            print(f"\n== {server.label}: {server.processes} waitress process(es) of {server.threads} threads, PostgreSQL, "
                  f"Redis queue, postgres search engine" + (", behind the round-robin proxy" if site else ""))
            return asyncio.run(_bench_server(portals[0], server.label, user_counts, seconds, think, rows, site=site))
    finally:
        cluster.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def bench(workdir: Path) -> tuple[list[dict], dict]:
    user_counts = [int(n) for n in _env_list("BENCH_LOAD_USERS", "1,5")]
    seconds = float(os.environ.get("BENCH_LOAD_SECONDS", "3"))
    think = float(os.environ.get("BENCH_LOAD_THINK", "0"))
    data = os.environ.get("BENCH_LOAD_DATA", "small")
    docs = int(os.environ.get("BENCH_LOAD_DOCS", "12"))
    servers = _servers()
    base = workdir / "base"
    if any(not s.postgres for s in servers) and not (base / "instance" / "portal.sqlite3").exists():
        t = time.perf_counter()
        build(base, data, docs)
        print(f"\ndata ({data}) built in {time.perf_counter() - t:.0f} s")
    pg_base = _postgres_base(workdir, data, docs) if any(s.postgres for s in servers) else None
    print(f"\nload benchmark: users {user_counts}, {seconds:g} s per step, think {think:g} s, data {data}, "
          f"{_cpus()} CPUs, load {_load()}")
    rows: list[dict] = []
    warm: dict = {}
    for server in servers:
        if server.postgres:
            if pg_base is None:
                continue
            result = _run_postgres(server, workdir, pg_base, user_counts, seconds, think, rows)
        else:
            root = workdir / server.serve_with
            shutil.rmtree(root, ignore_errors=True)
            shutil.copytree(base, root)  # every server starts from the same data
            with PortalProcess(root, serve_with=server.serve_with, workers=server.workers, threads=server.threads,
                               server_args=server.options) as portal:
                portal.start()
                print(f"\n== {server.label}, {server.threads} threads{' per worker' if server.serve_with == 'gunicorn' else ''}")
                result = asyncio.run(_bench_server(portal, server.label, user_counts, seconds, think, rows))
        warm[server.label] = result["warm"]
        assert not any(c["errors"] for c in result["costs"].values()), (server.label, result["costs"])
    _print_summary(rows)
    return rows, warm


def _print_summary(rows: list[dict]) -> None:
    print("\nserver           users  req/s  static req/s  pages p50/p95/p99 ms      save p50/p95 ms  feed p95  errors 409 429"
          "  CPU ms/req  cores  load")
    for row in rows:
        p, s, f = row["kinds"]["pages"], row["kinds"]["save"], row["kinds"]["feed"]
        print(f"{row['server']:<16} {row['users']:>5} {row['rps']:6.1f} {row['static_rps']:13.1f}  "
              f"{p['p50']:6.0f} {p['p95']:6.0f} {p['p99']:6.0f}        {s['p50']:6.0f} {s['p95']:6.0f}  {f['p95']:8.0f}"
              f"  {row['errors']:>6} {row['conflicts']:>3} {row['busy']:>3}  {row['cpu_ms']:10.1f}  {row['cores']:5.2f}"
              f"  {row['load'].split(' → ')[-1].split()[0]}")
    by = {(r["server"], r["users"]): r for r in rows}
    labels = list(dict.fromkeys(r["server"] for r in rows))
    # Every setting against the first (the reference), and two sites against one process on the same storage.
    pairs = [(labels[0], other) for other in labels[1:]]
    if "pg waitress ×1" in labels and "pg 2 sites" in labels and labels[0] != "pg waitress ×1":
        pairs.append(("pg waitress ×1", "pg 2 sites"))
    for first, other in pairs:
        for users in dict.fromkeys(r["users"] for r in rows):
            a, b = by.get((first, users)), by.get((other, users))
            if a and b:
                print(f"{other} / {first} at {users} users: throughput ×{b['rps'] / a['rps']:.2f}, "
                      f"pages p95 ×{b['kinds']['pages']['p95'] / a['kinds']['pages']['p95']:.2f}, "
                      f"save p95 ×{b['kinds']['save']['p95'] / a['kinds']['save']['p95']:.2f}, "
                      f"errors {a['errors']} / {b['errors']}")


@pytest.mark.perf
def test_bench_load(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    workdir = Path(os.environ["BENCH_DIR"]) if os.environ.get("BENCH_DIR") else tmp_path
    with capsys.disabled():
        rows, warm = bench(workdir)
    for label, stats in warm.items():
        for kind in ("static", *WEIGHTS):
            assert stats.count(kind, "ok") + stats.count(kind, "409") >= 1, (label, kind, stats.statuses.get(kind),
                                                                            stats.errors[:3])
        assert not stats.error_count(), (label, stats.errors[:5])
    for row in rows:
        assert row["errors"] == 0, (row["server"], row["users"], row["error_samples"])
        assert row["kinds"]["pages"]["n"] > 0 and row["static_rps"] > 0


def main() -> None:
    if sys.argv[1:2] == ["--proxy"]:  # the load balancer's stand-in, started by start_proxy
        asyncio.run(_proxy(int(sys.argv[2]), [int(port) for port in sys.argv[3:]]))
        return
    if os.environ.get("BENCH_DIR"):
        bench(Path(os.environ["BENCH_DIR"]))
        return
    workdir = Path(tempfile.mkdtemp(prefix="bench-load-"))
    try:
        bench(workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
