"""The floor of bench/mesh.py: a Dramatiq no-op actor on a broker built like ours."""
import dramatiq

from shared.mesh.broker import make_broker
from shared.core.settings import load_settings

broker = make_broker(load_settings())
dramatiq.set_broker(broker)


@dramatiq.actor(queue_name="bench_noop", broker=broker)
def noop(envelope):
    """Does nothing: the cost of the broker, the worker and the middleware alone."""
