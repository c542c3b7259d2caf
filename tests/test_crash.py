"""Fault test: `kill -9` of the server during a burst of uploads loses no acknowledged document.

A real waitress server takes concurrent uploads from several threads; it is killed in the middle of
the burst and started again (no worker, no repair). Every upload that got a 201 must then be
searchable by its own word and downloadable byte for byte, and `check --repair` must leave `check`
clean (the crash's orphan originals and temporary files quarantined or removed).
Seen before the fix: an acknowledged document missing from the index with the outbox already empty.
"""
from __future__ import annotations

import http.client
import os
import random
import string
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from portal.documents import archive
from tests import pdf_factory
from tests.procs import PortalProcess

# Small in CI; by hand, e.g. PORTAL_CRASH_ROUNDS=5 PORTAL_CRASH_UPLOADERS=8 for a harder burst.
ROUNDS = int(os.environ.get("PORTAL_CRASH_ROUNDS", "3"))
UPLOADERS = int(os.environ.get("PORTAL_CRASH_UPLOADERS", "4"))
PER_ROUND = 3 * UPLOADERS  # uploads started per round; the kill comes after KILL_AFTER were acknowledged
KILL_AFTER = UPLOADERS
# Every uploader is the admin: let the PDF inspection pool take them all at once (per-user share).
INSTANCE_CONFIG = (f"PORTAL_PDF_MAX_INSPECTIONS = {UPLOADERS}\nPORTAL_PDF_MAX_INSPECTIONS_PER_USER = {UPLOADERS}\n"
                   "PORTAL_PDF_SLOT_WAIT_S = 30\n")


def unique_word(rng: random.Random) -> str:
    """A made-up word no Vietnamese text contains (letters only, so the analyser keeps it whole)."""
    return "zx" + "".join(rng.choice(string.ascii_lowercase) for _ in range(10))


def make_pdf(word: str, n: int) -> bytes:
    return pdf_factory.make_text_pdf(None, f"BÁO CÁO số {n}\nKết quả thi đua của đơn vị {word} năm 2025.")


def burst(portal: PortalProcess, token: str, pdfs: list[tuple[str, bytes]], refused: list) -> dict[str, tuple[int, bytes]]:
    """Upload `pdfs` from several threads and SIGKILL the server once KILL_AFTER were acknowledged."""
    acked: dict[str, tuple[int, bytes]] = {}
    lock = threading.Lock()
    enough = threading.Event()

    def send(item):
        word, data = item
        for _ in range(20):
            if enough.is_set() and not portal.server:
                return
            try:
                status, body = portal.upload(data, f"{word}.pdf", token=token, timeout=30)
            except (OSError, http.client.HTTPException):  # the server died under this request: never acknowledged
                return
            if status != 429:  # the inspection pool was full: a client tries again, as told
                break
            time.sleep(0.2)
        if status == 201:
            with lock:
                acked[word] = (body["id"], data)
                if len(acked) >= KILL_AFTER:
                    enough.set()
        else:
            refused.append((status, body))

    with ThreadPoolExecutor(UPLOADERS) as pool:
        futures = [pool.submit(send, item) for item in pdfs]
        enough.wait(timeout=60)
        portal.kill()
        for future in futures:
            future.result()
    return acked


def test_acknowledged_uploads_survive_kill_9(tmp_path):
    rng = random.Random()
    with PortalProcess(tmp_path, threads=UPLOADERS, instance_config=INSTANCE_CONFIG) as portal:
        portal.init()
        token = portal.token("admin")
        acked: dict[str, tuple[int, bytes]] = {}
        refused: list = []
        n = 0
        for _ in range(ROUNDS):
            portal.start()
            pdfs = []
            for _ in range(PER_ROUND):
                n += 1
                word = unique_word(rng)
                pdfs.append((word, make_pdf(word, n)))
            acked.update(burst(portal, token, pdfs, refused))
            killed_at = time.monotonic()
        assert len(acked) >= KILL_AFTER * ROUNDS, (refused[:3], portal.server_log()[-3000:])
        assert all(status == 429 for status, _ in refused), (refused, portal.server_log()[-3000:])

        portal.start()  # no worker, no repair: the server itself catches up with the outbox
        for word, (doc_id, data) in acked.items():
            status, body = portal.request("GET", f"/api/v1/search?q={word}", token=token)
            assert status == 200, body
            assert [item["id"] for item in body["items"]] == [doc_id], f"acknowledged upload {doc_id} ({word}) not found"
            status, body = portal.request("GET", f"/api/v1/documents/{doc_id}/file", token=token)
            assert status == 200 and body == data, f"original of {doc_id} differs"

        # The killed uploads' files are nobody's (no lock held), once past the short grace period
        # that covers a file created and not yet locked.
        time.sleep(max(0.0, archive.GRACE_SECONDS + 0.5 - (time.monotonic() - killed_at)))
        repair = portal.flask("check", "--repair", check=False)
        assert repair.returncode == 0, repair.stdout + repair.stderr
        final = portal.flask("check", check=False)
        assert final.returncode == 0, final.stdout + final.stderr
        assert "Không có vấn đề nào." in final.stdout
        assert not list((portal.archive / "tmp").glob("*.part"))
