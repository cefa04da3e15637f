"""gunicorn_conf.py's hooks, as `flowstudio serve` and plain gunicorn run them."""
import gc

from flowstudio import gunicorn_conf, server


def test_a_worker_freezes_its_start_up_objects_once_the_app_is_loaded():
    """A full garbage collection over a worker's start-up objects (about 155,000) took
    73-82 ms holding every thread, a webhook's p99 with it: once the app is loaded they
    are frozen, out of the collector's sight (gc.freeze)."""
    assert server.options()["post_worker_init"] is gunicorn_conf.post_worker_init   # flowstudio serve runs it
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    try:
        gunicorn_conf.post_worker_init(worker=None)
        assert gc.get_freeze_count() > 10_000   # pytest, flowstudio and their imports
    finally:
        gc.unfreeze()
