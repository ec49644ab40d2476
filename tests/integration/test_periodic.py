"""Periodic jobs fire once per slot however many workers tick at the same moment."""
import threading

import dramatiq
from dramatiq.brokers.stub import StubBroker

from shared.mesh.periodic import PeriodicScheduler
from shared.core.settings import load_settings
from testkit.databases import new_database_url
from testkit.tokens import SECRET


def test_two_workers_ticking_at_once_fire_a_job_once(tmp_path):
    from services.scheduler.service import SERVICE

    settings = load_settings({"HUIFANG_VAR_DIR": str(tmp_path), "HUIFANG_SECRET_KEY": SECRET})
    SERVICE.bind(settings, url=new_database_url("scheduler", tmp_path))
    broker = StubBroker()
    sent = []
    actor = dramatiq.actor(lambda: None, actor_name="job", broker=broker)
    actor.send = lambda *a, **k: sent.append(1)
    workers = [PeriodicScheduler(SERVICE) for _ in range(2)]
    for w in workers:
        w.jobs.append(("job", 60, actor))
    barrier = threading.Barrier(2)
    fired = []

    def tick(w):
        barrier.wait()
        fired.extend(w.tick(now=1_000_000.0))

    threads = [threading.Thread(target=tick, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert fired == ["job"] and sent == [1]
    # the next slot fires again, once
    assert workers[0].tick(now=1_000_060.0) == ["job"]
    assert workers[1].tick(now=1_000_061.0) == []
