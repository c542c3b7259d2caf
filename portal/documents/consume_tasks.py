"""The watched import folder in the worker: one short pass every PORTAL_CONSUME_INTERVAL seconds.

Huey's periodic tasks fire at most once a minute, too slow for someone standing at the scanner. So
the worker runs a chain: each pass is a short task that schedules the next one INTERVAL seconds
later (`schedule(delay=…)`); between passes no worker thread is held, so OCR and other tasks run as
usual. Exactly one chain lives: its id is kept in the queue's key-value store, a worker's start
begins a new chain (older links find they are stale and stop), and a once-a-minute watchdog starts
a new one if the passes stopped (a link lost with a killed worker). Without PORTAL_CONSUME_DIR
nothing runs.
"""
from __future__ import annotations

import logging
import threading
import time
import uuid
from pathlib import Path

from huey import crontab

from portal.tasks import app_context, config, huey

CHAIN_KEY = "portal.consume.chain"  # the id of the living chain
BEAT_KEY = "portal.consume.beat"  # when a pass last ran (time.time())
PASS_BUDGET_S = 30  # a pass stops taking new files after this; the next link follows at once

log = logging.getLogger("portal.consume")
_started = threading.Lock()
_started_here = False
_warned_missing = False


def enabled() -> bool:
    return bool(config("PORTAL_CONSUME_DIR"))


def interval() -> float:
    return max(1.0, float(config("PORTAL_CONSUME_INTERVAL", 10) or 10))


def start_chain() -> str:
    """Begin a new chain of passes (the one before it stops at its next link)."""
    chain = uuid.uuid4().hex
    huey.put(CHAIN_KEY, chain)
    huey.put(BEAT_KEY, time.time())
    consume_folder(chain)
    return chain


def _current(chain: str) -> bool:
    return huey.get(CHAIN_KEY, peek=True) == chain


@huey.task()
def consume_folder(chain: str) -> None:
    """One pass over the watched folder, then the next link of the chain. Returns None: Huey keeps no result."""
    if not enabled() or not _current(chain):
        return None
    more = False
    try:
        with app_context():
            more = _one_pass()
    finally:
        huey.put(BEAT_KEY, time.time())
        if _current(chain):
            consume_folder.schedule(args=(chain,), delay=0 if more else interval())
    return None


def _one_pass() -> bool:
    global _warned_missing
    from portal.documents import consume

    root = Path(str(config("PORTAL_CONSUME_DIR"))).resolve()
    if not root.is_dir():
        # Not created here: an unmounted share must not become an empty local folder.
        if not _warned_missing:
            log.warning("consume: PORTAL_CONSUME_DIR %s is not a folder; waiting for it", root)
            _warned_missing = True
        return False
    _warned_missing = False
    return consume.run_pass(root, budget_s=PASS_BUDGET_S).more


@huey.periodic_task(crontab(minute="*"))
def consume_watchdog() -> None:
    """Start a new chain when no pass ran for a while (its link was lost with a killed worker)."""
    if not enabled():
        return None
    beat = huey.get(BEAT_KEY, peek=True)
    if beat is None or time.time() - float(beat) > max(3 * interval(), 90) + PASS_BUDGET_S:
        log.info("consume: no pass for a while; starting the watched folder again")
        start_chain()
    return None


@huey.on_startup()
def consume_at_start() -> None:
    """When the worker starts, begin the passes (once per process; Huey calls this in every thread)."""
    global _started_here
    with _started:
        if _started_here or not enabled():
            return
        _started_here = True
    start_chain()
