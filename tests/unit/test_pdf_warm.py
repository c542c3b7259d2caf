"""Warm guarded PDF children: one child inspects file after file, the limits stay per file, a hostile
file kills only its own child, children never outlive their parent, unsigned files never load pyHanko."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from portal.documents import pdf_warm
from portal.documents.pdf import PdfRefused, inspect_pdf
from portal.documents.pdf_warm import WarmChildren, _Child, _collect
from tests import pdf_factory as f

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def pool(monkeypatch):
    """A private pool for the test (the process's own keeps its children)."""
    warm = WarmChildren(max_idle=2, files_per_child=50)
    monkeypatch.setattr(pdf_warm, "warm_children", warm)
    yield warm
    warm.close()


def _pids(warm: WarmChildren) -> set[int]:
    with warm._lock:
        return {c.proc.pid for c in warm._idle}


def _texts(tmp_path: Path, count: int, pages: int = 3) -> list[Path]:
    paths = []
    for i in range(count):
        path = tmp_path / f"kh-{i}.pdf"
        f.make_text_pdf(path, [f"Trang {p + 1} của kế hoạch số {i}: thi đua khen thưởng năm 2025" for p in range(pages)])
        paths.append(path)
    return paths


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def test_one_warm_child_inspects_file_after_file(pool, tmp_path):
    paths = _texts(tmp_path, 4)
    results = [inspect_pdf(p) for p in paths]
    assert [r.pages_text[0] for r in results] == [f"Trang 1 của kế hoạch số {i}: thi đua khen thưởng năm 2025"
                                                  for i in range(4)]
    assert pool.spawned == 1 and len(_pids(pool)) == 1
    # The same answer as a one-shot child.
    pool.configure(files_per_child=1)
    assert inspect_pdf(paths[2]) == results[2]


def test_the_cpu_limit_is_per_file_not_per_child(pool, tmp_path):
    # Each file costs a fraction of its one-second allowance; file after file the child goes well
    # past what one allowance (with its rounding up) would let it use, and is never killed for it.
    path = _texts(tmp_path, 1, pages=40)[0]
    child_cpu = 0.0
    for _ in range(100):
        assert inspect_pdf(path, cpu_s=1, timeout_s=60).page_count == 40
        [pid] = _pids(pool)
        child_cpu = _cpu_seconds(pid)
        if child_cpu > 2.5:
            break
    assert child_cpu > 2.5 and pool.spawned == 1, child_cpu
    # …while a file that needs more than its own allowance is still stopped late in the child's life.
    burner = tmp_path / "burn.pdf"
    f.make_shared_stream_pdf(burner, stream_mb=20, pages=40)
    with pytest.raises(PdfRefused) as info:
        inspect_pdf(burner, cpu_s=1, timeout_s=30)
    assert info.value.code == "too_complex" and not _alive(pid)


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_a_hostile_file_kills_only_its_child_and_the_next_file_gets_a_fresh_one(pool, tmp_path):
    clean = _texts(tmp_path, 1)[0]
    first = inspect_pdf(clean, cpu_s=1)
    [warm_pid] = _pids(pool)
    burner = tmp_path / "burn.pdf"
    f.make_shared_stream_pdf(burner, stream_mb=20, pages=40)
    with pytest.raises(PdfRefused) as info:
        inspect_pdf(burner, cpu_s=1, timeout_s=30)
    detail = info.value.detail or ""
    assert info.value.code == "too_complex" and ("SIGXCPU" in detail or "SIGKILL" in detail), detail
    assert not _alive(warm_pid)
    assert inspect_pdf(clean, cpu_s=1) == first
    assert warm_pid not in _pids(pool) and pool.spawned >= 2


@pytest.mark.parametrize(("factory", "kwargs", "code"), [
    (lambda: f.make_many_streams_pdf(streams=6, stream_mb=70), {"memory_mb": 256}, "too_large_memory"),
    (lambda: f.make_shared_stream_pdf(stream_mb=20, pages=40), {"cpu_s": 60, "timeout_s": 0.7}, "too_complex"),
    (f.make_flate_bomb_pdf, {}, "too_complex"),
    (f.make_truncated_pdf, {}, "damaged"),
], ids=["memory", "wall_clock", "flate_bomb", "damaged"])
def test_any_refusal_retires_the_child(pool, tmp_path, factory, kwargs, code):
    clean = _texts(tmp_path, 1)[0]
    inspect_pdf(clean, **kwargs)
    [before] = _pids(pool)
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(factory())
    with pytest.raises(PdfRefused) as info:
        inspect_pdf(bad, **kwargs)
    assert info.value.code == code, info.value.detail
    assert not _alive(before)
    assert inspect_pdf(clean, **kwargs).page_count == 3
    assert before not in _pids(pool)


def test_a_child_is_replaced_after_its_files(pool, tmp_path):
    pool.configure(files_per_child=3)
    paths = _texts(tmp_path, 7)
    for path in paths:
        inspect_pdf(path)
    assert pool.spawned == 3  # 3 + 3 + 1 files; each retired child's replacement started at once
    assert pool.idle_count() == 1


def test_a_child_that_died_while_idle_is_not_blamed_on_the_next_file(pool, tmp_path):
    clean = _texts(tmp_path, 1)[0]
    inspect_pdf(clean)
    [pid] = _pids(pool)
    os.kill(pid, signal.SIGKILL)
    time.sleep(0.1)
    assert inspect_pdf(clean).page_count == 3


def test_idle_children_are_bounded(pool, tmp_path):
    import threading

    paths = _texts(tmp_path, 6)
    threads = [threading.Thread(target=inspect_pdf, args=(p,), kwargs={"timeout_s": 60}) for p in paths]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert pool.idle_count() <= 2


def test_an_answer_over_the_output_cap_kills_the_child():
    script = "import sys,time\nsys.stdout.write('99999999\\n');sys.stdout.flush();time.sleep(30)"
    proc = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, process_group=0)
    child = _Child((256, 15), proc)
    start = time.monotonic()
    run, reusable = _collect(child, 10, 1000, None)
    assert run.stdout_overflow and not reusable and time.monotonic() - start < 5
    assert proc.poll() is not None
    pdf_warm._retire(child)


def test_warm_children_die_with_their_parent(tmp_path):
    path = _texts(tmp_path, 1)[0]
    code = textwrap.dedent(f"""
        import sys, time
        from portal.documents.pdf import inspect_pdf
        from portal.documents.pdf_warm import warm_children
        inspect_pdf({str(path)!r})
        print(warm_children._idle[0].proc.pid, flush=True)
        time.sleep(60)
    """)
    parent = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True,
                              start_new_session=True)
    try:
        child_pid = int(parent.stdout.readline())
        assert _alive(child_pid)
        os.kill(parent.pid, signal.SIGKILL)  # kill -9: no atexit, no cleanup
        parent.wait(10)
        deadline = time.monotonic() + 5
        while _alive(child_pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(child_pid), "a warm child outlived its parent"
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        parent.stdout.close()


def test_unsigned_files_never_import_pyhanko(tmp_path):
    unsigned = _texts(tmp_path, 1)[0]
    signed = tmp_path / "signed.pdf"
    signed.write_bytes(f.make_signed_pdf().data)
    probe = textwrap.dedent("""
        import sys
        from portal.documents.pdf_child import _inspect
        result = _inspect(sys.argv[1], 100, 10**6, None)
        print(len(result["signatures"]), any(m.split(".")[0] == "pyhanko" for m in sys.modules))
    """)
    out = {}
    for name, path in (("unsigned", unsigned), ("signed", signed)):
        out[name] = subprocess.run([sys.executable, "-W", "ignore", "-c", probe, str(path)], cwd=ROOT,
                                   capture_output=True, text=True, check=True).stdout.split()
    assert out == {"unsigned": ["0", "False"], "signed": ["1", "True"]}


def test_a_memory_refusal_after_earlier_files_is_tried_once_more_in_a_fresh_child(pool, tmp_path):
    inspect_pdf(_texts(tmp_path, 1)[0], memory_mb=256)
    assert pool.spawned == 1
    eater = tmp_path / "eater.pdf"
    eater.write_bytes(f.make_many_streams_pdf(streams=6, stream_mb=70))
    with pytest.raises(PdfRefused) as info:
        inspect_pdf(eater, memory_mb=256)
    assert info.value.code == "too_large_memory"
    assert pool.spawned == 3  # the used child, a fresh one for the second try, the spare for the next file
    with pytest.raises(PdfRefused):
        inspect_pdf(eater, memory_mb=256)  # a fresh child's refusal is final: no third try
    assert pool.spawned == 4
