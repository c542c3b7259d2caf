"""Untrusted PDFs never hold every request thread: the inspection pool (portal.documents.pdf.InspectionPool).

An upload beyond its uploader's share of concurrent inspections, or while the pool stays full for a short
wait, is refused at once with 429 `busy` (a Vietnamese message, `Retry-After`) and stores nothing; the
slot is released on every way out; the bulk import waits instead of being refused. The last test runs a
real waitress server with 8 threads under 8 concurrent hostile uploads while another user's pages answer.
"""
from __future__ import annotations

import io
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from portal.auth import services as auth_services
from portal.documents import services as docs
from portal.documents.pdf import (
    InspectionBusy,
    InspectionPool,
    PdfRefused,
    inspect_pdf,
    inspection_limits,
    inspection_pool,
)
from tests import pdf_factory
from tests.conftest import AuthActions, Org, make_app
from tests.test_documents_views import outcome_items, pdf, plan_numbered, post_upload, state

API = "/api/v1"
BUSY_WORDS = ("tệp này chưa được lưu", "giây")


def hostile_pdf(stream_mb: int = 70, pages: int = 200) -> bytes:
    """The reported attack, deterministic: ~110 kB whose one content stream (inflating to `stream_mb`
    MiB) is drawn by every page, so text extraction parses it `pages` times."""
    return pdf_factory.make_shared_stream_pdf(None, stream_mb=stream_mb, pages=pages)


def _user_id(app, username: str) -> int:
    with app.app_context():
        return auth_services.get_user(username).id


def _token(app, username: str) -> str:
    with app.app_context():
        return auth_services.create_token(None, auth_services.get_user(username), "test")


def _api_upload(client, data: bytes, name: str, token: str):
    return client.post(f"{API}/documents", data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data", headers={"Authorization": f"Bearer {token}"})


def _assert_busy(response) -> str:
    assert response.status_code == 429, response.get_data(as_text=True)[:500]
    body = response.get_json()
    assert set(body) == {"error"} and body["error"]["code"] == "busy"
    message = body["error"]["message"]
    assert all(word in message for word in BUSY_WORDS), message
    assert int(response.headers["Retry-After"]) >= 1
    return message


@pytest.fixture
def limited(tmp_path):
    """An app whose pool runs 2 inspections at once, 1 per user, and waits 0.3 s for a slot."""
    app = make_app(tmp_path, PORTAL_PDF_MAX_INSPECTIONS=2, PORTAL_PDF_MAX_INSPECTIONS_PER_USER=1,
                   PORTAL_PDF_SLOT_WAIT_S=0.3)
    Org(app)
    return app


def _idle(app) -> bool:
    return inspection_pool(app).stats() == {"running": 0, "waiting": 0, "users": 0}


# --- the pool on its own -------------------------------------------------------------------------

def test_pool_per_user_limit_refuses_at_once_and_releases():
    pool = InspectionPool(2, per_user=1, wait_s=5)
    with pool.slot("a", expected_s=15):
        start = time.monotonic()
        with pytest.raises(InspectionBusy) as refused:
            with pool.slot("a", expected_s=15):
                pass
        assert time.monotonic() - start < 0.1  # never waits for its own uploads
        assert refused.value.scope == "user" and 14 <= refused.value.retry_after <= 15
        with pool.slot("b", expected_s=15):  # another user still gets the second slot
            assert pool.stats() == {"running": 2, "waiting": 0, "users": 2}
    assert pool.stats() == {"running": 0, "waiting": 0, "users": 0}
    with pytest.raises(RuntimeError), pool.slot("a", expected_s=15):
        raise RuntimeError("the inspection blew up")
    assert pool.stats() == {"running": 0, "waiting": 0, "users": 0}


def test_pool_full_waits_briefly_then_refuses_and_caps_the_waiters():
    pool = InspectionPool(1, per_user=1, wait_s=0.3, max_waiting=1)
    holding, release = threading.Event(), threading.Event()

    def hold():
        with pool.slot("a", expected_s=10):
            holding.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        holding.wait(5)
        waiter_result = []
        waiter = threading.Thread(target=lambda: waiter_result.append(_try(pool, "b")))
        waiter.start()
        time.sleep(0.1)
        start = time.monotonic()
        assert _try(pool, "c") == "server"  # the one waiting place is taken: refused at once
        assert time.monotonic() - start < 0.1
        waiter.join(5)
        assert waiter_result == ["server"]  # waited its 0.3 s in vain
    finally:
        release.set()
        holder.join(5)
    assert _try(pool, "b") == "ok"


def test_pool_gives_a_freed_slot_to_the_waiting_upload():
    pool = InspectionPool(1, per_user=1, wait_s=5)
    got = []
    with pool.slot("a", expected_s=10):
        waiter = threading.Thread(target=lambda: got.append(_try(pool, "b")))
        waiter.start()
        time.sleep(0.2)
        assert pool.stats()["waiting"] == 1
    waiter.join(5)
    assert got == ["ok"]


def test_patient_callers_skip_the_per_user_limit_and_wait_as_long_as_needed():
    pool = InspectionPool(1, per_user=1, wait_s=0.05, max_waiting=0)
    done = []
    with pool.slot("system", expected_s=10):
        waiter = threading.Thread(target=lambda: done.append(_try(pool, "system", patient=True)))
        waiter.start()
        time.sleep(0.3)  # far beyond wait_s: still waiting, not refused
        assert not done
    waiter.join(5)
    assert done == ["ok"]


def _try(pool, user, *, patient=False) -> str:
    try:
        with pool.slot(user, expected_s=10, patient=patient):
            return "ok"
    except InspectionBusy as exc:
        return exc.scope


@pytest.mark.parametrize(("config", "limits"), [
    ({"PORTAL_SERVER_THREADS": 8}, (2, 1)),
    ({"PORTAL_SERVER_THREADS": 4}, (1, 1)),
    ({}, (2, 1)),  # no server threads to protect (CLI, worker, test client)
    ({"PORTAL_PDF_MAX_INSPECTIONS": 3, "PORTAL_PDF_MAX_INSPECTIONS_PER_USER": 2}, (3, 2)),
    ({"PORTAL_PDF_MAX_INSPECTIONS": 1, "PORTAL_PDF_MAX_INSPECTIONS_PER_USER": 5}, (1, 1)),
])
def test_limits_come_from_config_or_the_thread_count(monkeypatch, config, limits):
    monkeypatch.setattr("portal.documents.pdf._cpus", lambda: 2)
    assert inspection_limits(config) == limits


def test_content_budget_refuses_a_shared_stream_file_early(tmp_path):
    path = tmp_path / "shared.pdf"
    path.write_bytes(hostile_pdf(stream_mb=20, pages=40))
    start = time.monotonic()
    with pytest.raises(PdfRefused) as refused:
        inspect_pdf(path, timeout_s=30, cpu_s=30, content_budget_mb=64)
    assert refused.value.code == "too_complex" and "content budget" in refused.value.detail
    assert time.monotonic() - start < 10  # without the budget this file burns its full CPU limit


def test_content_budget_leaves_a_clean_file_alone(tmp_path):
    path = tmp_path / "clean.pdf"
    path.write_bytes(pdf())
    assert inspect_pdf(path, content_budget_mb=1).page_count >= 1


# --- through the app -----------------------------------------------------------------------------

def test_api_upload_beyond_the_per_user_limit_is_429_and_stores_nothing(limited):
    token = _token(limited, "off1")
    client = limited.test_client()
    before = state(limited)
    with inspection_pool(limited).slot(_user_id(limited, "off1"), expected_s=15):  # off1's other upload is running
        start = time.monotonic()
        response = _api_upload(client, plan_numbered(301), "ke-hoach.pdf", token)
        assert time.monotonic() - start < 1.0
        _assert_busy(response)
        assert 1 <= int(response.headers["Retry-After"]) <= 15
        assert state(limited) == before
        # another officer is not held back by off1's upload
        other = _api_upload(client, plan_numbered(302), "ke-hoach-2.pdf", _token(limited, "off4"))
        assert other.status_code == 201, other.get_data(as_text=True)
    assert _idle(limited)
    again = _api_upload(client, plan_numbered(301), "ke-hoach.pdf", token)
    assert again.status_code == 201, again.get_data(as_text=True)


def test_api_upload_when_the_pool_stays_full_is_429_after_a_short_wait(limited):
    client = limited.test_client()
    token = _token(limited, "off1")
    before = state(limited)
    pool = inspection_pool(limited)
    with pool.slot("someone", expected_s=15), pool.slot("someone else", expected_s=15):
        start = time.monotonic()
        response = _api_upload(client, plan_numbered(303), "ke-hoach.pdf", token)
        elapsed = time.monotonic() - start
    message = _assert_busy(response)
    assert "Hệ thống đang bận" in message
    assert 0.3 <= elapsed < 1.5
    assert state(limited) == before and _idle(limited)


def test_upload_page_shows_the_busy_message_per_file_and_stores_nothing(limited):
    client = limited.test_client()
    auth = AuthActions(client)
    auth.login("off1")
    token = auth.csrf("/documents/upload")
    before = state(limited)
    with inspection_pool(limited).slot(_user_id(limited, "off1"), expected_s=15):
        response = post_upload(client, [(plan_numbered(311), "a.pdf"), (plan_numbered(312), "b.pdf")], token=token)
    assert response.status_code == 429 and int(response.headers["Retry-After"]) >= 1
    items = outcome_items(response.text)
    assert [kind for kind, _ in items] == ["refused", "refused"]
    assert all(all(word in text for word in BUSY_WORDS) for _, text in items), items
    assert state(limited) == before and _idle(limited)
    # htmx gets the same refusals in a 200 fragment (htmx 2 swaps nothing on a 4xx)
    with inspection_pool(limited).slot(_user_id(limited, "off1"), expected_s=15):
        fragment = post_upload(client, [(plan_numbered(313), "c.pdf")], token=token, headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "chưa được lưu" in fragment.text
    assert state(limited) == before


def test_slot_is_released_after_success_refusal_and_exception(limited, monkeypatch):
    client = limited.test_client()
    token = _token(limited, "off1")
    assert _api_upload(client, plan_numbered(321), "ok.pdf", token).status_code == 201
    assert _idle(limited)
    refused = _api_upload(client, pdf_factory.make_truncated_pdf(None), "hong.pdf", token)
    assert refused.status_code == 422 and refused.get_json()["error"]["code"] == "document_refused"
    assert _idle(limited)

    def explode(*args, **kwargs):
        raise RuntimeError("the inspection blew up")

    monkeypatch.setattr(docs, "inspect_pdf", explode)
    assert _api_upload(client, plan_numbered(322), "loi.pdf", token).status_code == 500
    assert _idle(limited)
    monkeypatch.undo()
    assert _api_upload(client, plan_numbered(322), "loi.pdf", token).status_code == 201


def test_bulk_import_waits_for_a_slot_instead_of_being_refused(limited, tmp_path):
    from portal.auth.services import SYSTEM
    from portal.documents.imports import import_files

    folder = tmp_path / "import"
    folder.mkdir()
    paths = []
    for n in (331, 332):
        paths.append(folder / f"kh-{n}.pdf")
        paths[-1].write_bytes(plan_numbered(n))
    pool = inspection_pool(limited)
    holding, release = threading.Event(), threading.Event()

    def hold():
        with pool.slot("x", expected_s=15), pool.slot("y", expected_s=15):  # the pool is full
            holding.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    holding.wait(5)
    timer = threading.Timer(1.0, release.set)  # well beyond the 0.3 s an upload would wait
    timer.start()
    try:
        with limited.app_context():
            summary = import_files(SYSTEM, paths, {})
    finally:
        release.set()
        timer.cancel()
        holder.join(5)
    assert len(summary.imported) == 2 and not summary.refused, summary
    assert _idle(limited)


# --- a real server -------------------------------------------------------------------------------

PASSWORD = "Mat-khau-can-bo-2026!"


def test_hostile_uploads_never_hold_every_thread(tmp_path):
    """8 concurrent hostile uploads against waitress with 8 threads, by one officer and then by four:
    another user's pages keep answering in under a second each, every hostile upload is refused (4xx),
    nothing is stored."""
    from tests.procs import PortalProcess

    # The content budget would refuse this file in about a second; switch it off so each admitted
    # upload holds its slot for the whole (shortened) wall-clock limit, as the reported attack did.
    portal = PortalProcess(tmp_path, threads=8,
                           instance_config="PORTAL_PDF_TIMEOUT_S = 5\nPORTAL_PDF_CONTENT_BUDGET_MB = 0\n")
    try:
        portal.init()
        portal.start()
        admin = portal.token("admin")
        status, body = portal.request("POST", f"{API}/units", token=admin,
                                      json_body={"code": "U1", "name": "Sở Nội vụ", "short_name": "SNV", "kind": "so_nganh"})
        assert status == 201, body
        for name in ("canbo0", "canbo1", "canbo2", "canbo3", "xem"):
            role = {"role": "viewer"} if name == "xem" else {"role": "officer", "unit": "U1"}
            status, body = portal.request("POST", f"{API}/users", token=admin,
                                          json_body={"username": name, "password": PASSWORD, **role})
            assert status == 201, body
        officers = [portal.token(f"canbo{i}") for i in range(4)]
        reader = portal.token("xem")
        hostile = hostile_pdf()
        for uploaders in (1, 4):
            results, probes, hostile_s = _hostile_round(portal, hostile, officers[:uploaders], reader)
            statuses = sorted(status for status, _ in results)
            assert all(400 <= s < 500 for s in statuses), results
            assert 429 in statuses and 422 in statuses, statuses
            for status, body in results:
                if status == 429:
                    assert body["error"]["code"] == "busy" and "chưa được lưu" in body["error"]["message"]
            assert len(probes) > 10 and all(status == 200 for _, _, status in probes), probes[:5]
            slow = [(path, round(s, 2)) for path, s, _ in probes if s >= 1.0]
            assert not slow, f"{uploaders} uploader(s): other pages were held: {slow} (uploads took {hostile_s:.1f} s)"

        status, listing = portal.request("GET", f"{API}/documents", token=admin)
        assert status == 200 and listing["total"] == 0
        assert not list((portal.archive / "tmp").glob("*"))
        check = portal.flask("check", check=False)
        assert check.returncode == 0, check.stdout + check.stderr
    finally:
        portal.close()


def _hostile_round(portal, hostile: bytes, officers: list[str], reader: str):
    """8 concurrent uploads of `hostile` spread over `officers` while `reader` asks for its pages."""
    stop = threading.Event()
    probes: list[tuple[str, float, int]] = []

    def probe():
        while not stop.is_set():
            for path in ("/api/v1/me", "/"):
                start = time.monotonic()
                status, _ = portal.request("GET", path, token=reader, timeout=30)
                probes.append((path, time.monotonic() - start, status))
            time.sleep(0.05)

    prober = threading.Thread(target=probe)
    prober.start()
    try:
        time.sleep(0.3)
        started = time.monotonic()
        with ThreadPoolExecutor(8) as executor:
            futures = [executor.submit(portal.upload, hostile, f"doc-hai-{i}.pdf", token=officers[i % len(officers)],
                                       timeout=60) for i in range(8)]
            results = [f.result() for f in futures]
        hostile_s = time.monotonic() - started
    finally:
        stop.set()
        prober.join(30)
    return results, probes, hostile_s
