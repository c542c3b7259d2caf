"""The instance's secret key: several server processes starting at once on a new instance agree on it."""
from __future__ import annotations

import multiprocessing

from portal.config import _instance_secret


def _read(instance_dir, start, out) -> None:
    start.wait(10)
    out.put(_instance_secret(instance_dir))


def test_processes_starting_at_once_share_one_complete_key(tmp_path):
    ctx = multiprocessing.get_context("fork")
    start, out = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_read, args=(tmp_path, start, out)) for _ in range(8)]
    for p in procs:
        p.start()
    start.set()
    keys = [out.get(timeout=30) for _ in procs]
    for p in procs:
        p.join(10)
    stored = (tmp_path / "secret_key").read_text()
    assert set(keys) == {stored} and len(stored) == 64 and int(stored, 16) >= 0
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]  # no private copy left behind
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert _instance_secret(tmp_path) == stored
