"""The floor of bench/mesh.py: a Dramatiq no-op actor on a broker built like ours."""
import dramatiq

from shared.broker import make_broker
from shared.settings import load_settings

broker = make_broker(load_settings())
dramatiq.set_broker(broker)


@dramatiq.actor(queue_name="bench_noop", broker=broker)
def noop(envelope):
    """Does nothing: the cost of the broker, the worker and the middleware alone."""
