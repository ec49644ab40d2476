"""A worker's memory: glibc limited to two arenas and trimmed every
`TRIM_EVERY` messages by the worker bootstrap; the diagnostic `HUIFANG_MEMORY_LOG`."""
import json
import subprocess
import sys

from shared.mesh import memory


class _Message:
    message_id = "m"
    queue_name = "events"
    actor_name = "a"


def test_the_worker_bootstrap_limits_the_arenas_and_trims(monkeypatch):
    from dramatiq.brokers.stub import StubBroker

    from services.complaints.service import SERVICE
    from shared.mesh.worker import setup_worker
    from shared.core.settings import load_settings

    limited = []
    monkeypatch.setattr(memory, "limit_arenas", lambda: limited.append(True) or True)
    monkeypatch.delenv("HUIFANG_MEMORY_LOG", raising=False)
    broker = setup_worker(SERVICE, load_settings({"HUIFANG_BROKER_URL": "stub://"}), broker=StubBroker())
    assert limited == [True]
    assert [m for m in broker.middleware if isinstance(m, memory.ReleaseFreeMemory)]
    assert not [m for m in broker.middleware if isinstance(m, memory.MemoryWatch)]


def test_trims_once_every_so_many_messages(monkeypatch):
    trims = []
    monkeypatch.setattr(memory, "release_free_memory", lambda: trims.append(1) or True)
    middleware = memory.ReleaseFreeMemory(every=3)
    for _ in range(7):
        middleware.after_process_message(None, _Message())
    middleware.after_skip_message(None, _Message())
    assert len(trims) == 2  # after the 3rd and the 6th message (a skipped one counts)


def test_on_glibc_the_arenas_are_limited_and_free_memory_released():
    # in a child process: mallopt applies to the whole process it runs in
    code = ("from shared.mesh import memory; import json; "
            "print(json.dumps([memory.limit_arenas(), memory.release_free_memory(), memory.sample()]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PATH": "/usr/bin:/bin", "PYTHONPATH": "."}).stdout
    limited, released, sample = json.loads(out)
    assert limited is True and isinstance(released, bool)
    assert sample["rss_kb"] > 0 and sample["malloc_in_use_kb"] > 0 and "sqlite_kb" in sample


def test_an_operators_malloc_arena_max_wins(monkeypatch):
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert memory.limit_arenas() is False


def test_the_diagnostic_writes_a_line_and_a_snapshot_every_so_many_messages(tmp_path, monkeypatch):
    import tracemalloc

    monkeypatch.setenv("HUIFANG_MEMORY_LOG", str(tmp_path / "worker"))
    monkeypatch.setenv("HUIFANG_MEMORY_EVERY", "2")
    monkeypatch.setenv("HUIFANG_TRACEMALLOC", "1")
    watch = memory.from_environment()
    was_tracing = tracemalloc.is_tracing()
    try:
        watch.after_process_boot(None)
        kept = [bytearray(1000) for _ in range(100)]
        for _ in range(4):
            watch.after_process_message(None, _Message())
    finally:
        if not was_tracing:
            tracemalloc.stop()
    [log] = [p for p in tmp_path.iterdir() if p.suffix != ".snap"]
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [line["messages"] for line in lines] == [0, 2, 4]
    assert all(line["python_kb"] >= 0 and line["rss_kb"] > 0 for line in lines)
    snaps = sorted(tmp_path.glob("*.snap"), key=lambda p: int(p.suffixes[-2][1:]))
    assert len(snaps) == 3
    assert kept
