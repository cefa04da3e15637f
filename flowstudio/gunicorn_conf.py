"""gunicorn's settings for FlowStudio, used by `flowstudio serve` and by plain gunicorn:
`gunicorn -c python:flowstudio.gunicorn_conf --bind 0.0.0.0:5000 'flowstudio:create_app()'`
(options given on the command line win over these).

The worker is gthread's, reading each request whole before a thread gets it (see
gunicorn_worker.py for its deadlines). One process of 64 threads: each open editor tab
holds a thread for its websocket (web/live.py), and turns still find free ones.
"""
workers = 1
threads = 64
worker_class = "flowstudio.gunicorn_worker.DeadlineWorker"
logger_class = "flowstudio.gunicorn_log.AccessLogger"   # gunicorn's, with a cheaper access-log line
worker_connections = 1000   # open connections per worker, slow or not (gunicorn's default)
keepalive = 2               # seconds an idle kept-alive connection stays open (gunicorn's default)
# bytes of method, path and query: gunicorn's largest (its default, 4094, refuses a GET
# webhook carrying a long SMS: 1,600 characters, up to 12 bytes each once URL-encoded)
limit_request_line = 8190
limit_request_fields = 100  # header fields per request (gunicorn's default)
limit_request_field_size = 8190  # bytes per header field; all headers together: 64 KiB (the worker's limit)
timeout = 60                # seconds a worker may stay silent before the master restarts it
graceful_timeout = 5
# gunicorn 27 puts its control socket at one path per user: two servers on one machine
# would share it.
control_socket_disable = True


def post_worker_init(worker) -> None:
    """Once the worker has loaded the app: its start-up objects (Flask, SQLAlchemy, the
    flows: about 155,000) move out of the garbage collector's sight (`gc.freeze`), so a
    full collection during turns looks only at what turns made since. Measured: a full
    collection over them took 73-82 ms (holding every thread of the worker, a webhook's
    p99 with it), and 0.0 ms once frozen (python -c "gc.collect(2)" timed after
    create_app(), /tmp script; see README, Performance)."""
    import gc

    gc.collect()
    gc.freeze()
