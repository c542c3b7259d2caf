"""Two portal installations behave as one portal (issue 15): the layout of several machines, on one.

Sites A and B are two server processes (waitress) with SEPARATE instance folders and index folders, as
two machines would have, sharing only what a multi-machine site shares:
- one PostgreSQL database (the state: sessions, login failures, score versions, the score feed),
- `PORTAL_SEARCH_ENGINE=postgres` (the index is a table of that database, no index folder to copy),
- one Redis task queue (`PORTAL_QUEUE_URL`): a worker beside either machine serves both,
- one archive folder (`PORTAL_ARCHIVE_DIR`, what a network mount is on real machines) and one thumbnail folder,
- the same `SECRET_KEY` in both environments: session cookies and CSRF tokens are signed with it, so a cookie
  signed by A must verify on B. Without it each instance would make its own key in its folder
  (instance/secret_key) and every request that the load balancer sends to the other machine would log the
  user out.

Each check sends its requests to a named site, so "made on A, used on B" is a fact of the run. The
database and Redis skip like the other PostgreSQL/Redis tests (and fail where PORTAL_TEST_REQUIRE_POSTGRES=1).
"""
from __future__ import annotations

import http.client
import os
import time

import pytest

from portal.demo.province import DEMO_PASSWORD
from portal.documents.ocr import ocr_available
from tests import pg
from tests.conftest import postgres_url_or_skip
from tests.pdf_factory import make_scanned_pdf, make_text_pdf
from tests.procs import PortalProcess, score_race
from tests.redis_server import fresh_url
from tests.test_serve_processes import Pinned, _probe

YEAR, BLOC = 2026, "K1"  # the demo's open year; huyện Na Hang leads K1 and scores its bloc stage
LEADER = "h-nahang"
SHARED_SECRET = "two-sites-one-portal-" + "5" * 40  # any long random value; the same on every machine


@pytest.fixture(scope="module")
def sites(tmp_path_factory):
    """(A, B): two started installations on one PostgreSQL database, one Redis queue, one archive folder."""
    database_url = postgres_url_or_skip(empty=True)  # `flask demo` runs the migrations, as an install does
    try:
        queue_url = fresh_url()
        root = tmp_path_factory.mktemp("two-sites")
        shared = {"PORTAL_ARCHIVE_DIR": str(root / "archive-share"), "SECRET_KEY": SHARED_SECRET,
                  "PORTAL_SEARCH_ENGINE": "postgres"}
        # Thumbnails are derived files like the index, but a folder: shared like the archive (README).
        thumbnails = f"PORTAL_THUMBNAIL_DIR = {str(root / 'thumbnails-share')!r}\n"
        a = PortalProcess(root / "a", database_url=database_url, queue_url=queue_url, env=shared,
                          instance_config=thumbnails, pid_header=True)
        b = PortalProcess(root / "b", database_url=database_url, queue_url=queue_url, env=shared,
                          instance_config=thumbnails, pid_header=True)
        try:
            assert a.env["PORTAL_INDEX_DIR"] != b.env["PORTAL_INDEX_DIR"]
            a.flask("demo", "--no-documents")  # once for the site: the database is shared
            a.start()
            b.start()
            yield a, b
        finally:
            a.close()
            b.close()
    finally:
        pg.drop_database(database_url)


def pinned(site: PortalProcess, jar: dict) -> Pinned:
    """HTTP to one site with a cookie jar that may be shared with the other: one browser, two machines."""
    conn = http.client.HTTPConnection("127.0.0.1", site.port, timeout=30)
    return Pinned(site.port, _probe(conn), jar, conn)


def test_the_two_sites_are_separate_processes_and_folders(sites):
    a, b = sites
    assert a.server.pid != b.server.pid and a.port != b.port
    assert a.instance != b.instance
    assert (a.instance / "config.py").is_file() and (b.instance / "config.py").is_file()
    for site in sites:  # each answers the load balancer's probe on its own
        status, health = site.request("GET", "/api/v1/health")
        assert status == 200, health


def test_an_upload_through_a_is_searchable_through_b_at_once(sites):
    a, b = sites
    token = a.token("admin")  # tokens are rows of the shared database: good on both
    word = "haisite" + os.urandom(4).hex()
    status, found = b.request("GET", f"/api/v1/search?q={word}", token=token)
    assert status == 200 and found["total"] == 0  # B has searched before the upload
    pdf = make_text_pdf(None, [f"Kế hoạch thi đua năm 2026\nNội dung {word} cho cả hai máy chủ."])
    status, body = a.upload(pdf, f"ke-hoach-{word}.pdf", token=token, fields={"year": "2026"})
    assert status == 201, body
    document_id = (body.get("document") or body)["id"]
    # No waiting, no retry: the first search through B after A's answer finds it.
    status, found = b.request("GET", f"/api/v1/search?q={word}", token=token)
    assert status == 200 and [item["id"] for item in found["items"]] == [document_id], found
    # The original is in the shared folder, so B serves the bytes A stored.
    status, data = b.request("GET", f"/api/v1/documents/{document_id}/file", token=token)
    assert status == 200 and data == pdf


def test_a_session_made_on_a_works_on_b_and_logout_on_b_ends_it_on_a(sites):
    a, b = sites
    jar: dict = {}
    on_a, on_b = pinned(a, jar), pinned(b, jar)
    try:
        status, _, location = on_a.login(LEADER, DEMO_PASSWORD)
        assert status == 302 and not location.endswith("/login")
        copied = dict(jar)
        status, body, _ = on_b.page("/")
        assert status == 200 and 'name="password"' not in body  # the dashboard, not the login form
        assert on_b.request("GET", "/api/v1/me")[0] == 200
        # Logout through B with the CSRF token of a page A made: the copied cookie is dead on both sites.
        status, _, location = on_b.post_form("/logout", {"csrf_token": on_a.csrf("/")})
        assert status == 302 and location.endswith("/login")
        for site in (a, b):
            stale = pinned(site, dict(copied))
            status, _, location = stale.page("/")
            assert status == 302 and "/login" in location, (site.port, status)
            assert stale.request("GET", "/api/v1/me")[0] == 401
            stale.close()
    finally:
        on_a.close()
        on_b.close()


def test_login_throttling_counts_the_failures_on_both_sites(sites):
    a, b = sites
    on_a, on_b = pinned(a, {}), pinned(b, {})
    username = "svhttdl.canbo"  # not used by the other checks: its lock stays here
    try:
        # PORTAL_LOGIN_MAX_FAILURES is 5: 3 failures on A and 2 on B, neither site alone saw enough.
        for site in (on_a, on_a, on_a, on_b, on_b):
            status, body, _ = site.login(username, "sai-mat-khau")
            assert status == 200 and 'name="password"' in body
        for site in (on_a, on_b):
            status, _, _ = site.login(username, DEMO_PASSWORD)
            assert status == 429, (site.port, status)
    finally:
        on_a.close()
        on_b.close()


def _feed(site: PortalProcess, token: str, since: str | None = None) -> dict:
    status, feed = site.request("GET", f"/api/v1/years/{YEAR}/blocs/{BLOC}/scores" + (f"?since={since}" if since else ""),
                                token=token)
    assert status == 200, feed
    return feed


def _cells(feed: dict, wide: bool) -> list[tuple[int, int, int]]:
    """(scorecard, criterion, version) of the bloc stage's cells; `wide`: criteria worth 8 points or more."""
    criteria = [c["id"] for c in feed["criteria"] if c.get("max_points") and float(c["max_points"]) >= (8 if wide else 1)]
    return [(card["id"], s["criterion"], s["version"]) for card in feed["scorecards"] for s in card["scores"]
            if s["stage"] == "bloc" and s["criterion"] in criteria]


def test_a_score_race_across_the_two_sites_gives_one_200_and_one_409(sites):
    a, b = sites
    token = a.token(LEADER)
    scorecard, criterion, version = _cells(_feed(a, token), wide=True)[0]
    path = f"/api/v1/scores/{scorecard}/{criterion}/bloc"
    for round_ in range(4):
        winner, _ = score_race(
            lambda points: a.request("PUT", path, token=token, json_body={"points": points, "version": version}),
            lambda points: b.request("PUT", path, token=token, json_body={"points": points, "version": version}),
            round_, version)
        for site in (a, b):  # both sites read the winner's value
            stored = next(v for c, k, v in _cells(_feed(site, token), wide=True) if (c, k) == (scorecard, criterion))
            assert stored == version + 1
        assert float(next(s["points"] for card in _feed(b, token)["scorecards"] if card["id"] == scorecard
                          for s in card["scores"] if s["criterion"] == criterion and s["stage"] == "bloc")) == float(winner)
        version += 1


def test_the_live_sheet_feed_on_b_shows_a_save_made_on_a(sites):
    a, b = sites
    token = a.token(LEADER)
    first = _feed(b, token)  # what an open sheet on B loaded
    # A cell the race above does not use (the second card, or another criterion of the first).
    scorecard, criterion, version = next(cell for cell in _cells(first, wide=False)[1:]
                                         if cell[:2] != _cells(first, wide=True)[0][:2])
    assert _feed(b, token, first["token"])["scorecards"] == []  # nothing new yet
    status, saved = a.request("PUT", f"/api/v1/scores/{scorecard}/{criterion}/bloc", token=token,
                              json_body={"points": "0.5", "version": version})
    assert status == 200, saved
    later = _feed(b, token, first["token"])  # B's next poll
    assert int(later["token"]) > int(first["token"])
    assert [(card["id"], [(s["criterion"], s["stage"], s["version"]) for s in card["scores"]])
            for card in later["scorecards"]] == [(scorecard, [(criterion, "bloc", version + 1)])]
    assert float(later["scorecards"][0]["scores"][0]["points"]) == 0.5
    assert _feed(b, token, later["token"])["scorecards"] == []


@pytest.mark.skipif(not ocr_available(), reason="tesseract-ocr-vie and poppler-utils are not installed")
def test_a_worker_beside_a_reads_and_draws_an_upload_made_through_b(sites):
    a, b = sites
    token = b.token("admin")
    scan = make_scanned_pdf(None, ["BÁO CÁO THÀNH TÍCH\nPhong trào thi đua của huyện Mường Khương năm 2025"],
                            dpi=200, font_px=40)
    status, body = b.upload(scan, "bao-cao-quet.pdf", token=token, fields={"year": "2025"})
    assert status == 201, body
    document = body.get("document") or body
    assert document["ocr_status"] == "pending" and document["text_source"] == "none", document
    worker = a.start_worker("--workers", "1")  # the only worker of the site, on A's side: it reads the Redis queue
    deadline = time.monotonic() + 120
    while True:
        status, current = b.request("GET", f"/api/v1/documents/{document['id']}", token=token)
        assert status == 200, current
        if current["ocr_status"] in ("done", "failed") or time.monotonic() > deadline:
            break
        assert worker.poll() is None, a.worker_log()[-3000:]
        time.sleep(0.5)
    assert current["text_source"] == "ocr" and current["ocr_status"] == "done", (current, a.worker_log()[-3000:])
    # The text the worker read reaches the shared index: B finds it (accents folded). The worker applies
    # its index update right after its commit, as a server does, so a search may come just before it.
    deadline = time.monotonic() + 30
    while True:
        status, found = b.request("GET", "/api/v1/search?q=muong+khuong", token=token)
        assert status == 200, found
        if document["id"] in [item["id"] for item in found["items"]] or time.monotonic() > deadline:
            break
        time.sleep(0.25)
    assert document["id"] in [item["id"] for item in found["items"]], (found, a.worker_log()[-3000:])
    # The worker drew the first page into the shared thumbnail folder; B serves that picture.
    sha = document["sha256"]
    png = a.root.parent / "thumbnails-share" / sha[:2] / f"{sha}.png"
    deadline = time.monotonic() + 60
    while not png.is_file() and time.monotonic() < deadline:
        time.sleep(0.25)
    assert png.is_file(), a.worker_log()[-3000:]
    assert not (b.root / "worker.log").exists()  # nothing ran beside B
    status, picture = b.request("GET", f"/api/v1/documents/{document['id']}/thumbnail", token=token)
    assert status == 200 and picture == png.read_bytes()
