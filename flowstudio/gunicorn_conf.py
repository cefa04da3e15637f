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
