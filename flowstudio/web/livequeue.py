"""Live events between the processes of one machine, without Redis.

`flowstudio serve` runs one worker process per core, and a browser's websocket reaches
one of them while the phone's webhook may be handled by another. With Redis
(FLOWSTUDIO_REDIS_URL) socket.io's RedisManager passes every event between processes,
even across machines. Without it, `LocalQueueManager` (python-socketio's client
`Manager`, which also hands each event to the other processes of this machine that
share the database) passes them on:

- A process that has browsers connected binds a Unix datagram socket in a folder named
  after the database (`<temp>/flowstudio-live-<uid>-<hash>/<pid>-<id>.sock`).
  socket.io sets the manager up at the first connection, so processes without browsers
  bind nothing and receive nothing.
- Publishing an event sends one datagram (the event as JSON) to every other socket in
  the folder: no broker, no polling, nothing written to the database. Sends never
  block a turn: a peer whose queue is full, or that died (its file is then removed),
  misses the event, as a browser would miss it on a dropped connection.
- The folder must be this user's own, and closed to everyone else: its name in the
  shared temporary folder is predictable, so another local user could make it first
  and read or forge every live event. Such a folder is refused (logged), and this
  process's browsers then see only its own turns.
- An event larger than one datagram can carry (about 200 KB: the system's socket buffer)
  is not passed on; it is logged. The executions view reloads an execution from the
  database when it is opened, so nothing is lost for good.
"""
from __future__ import annotations

import atexit
import errno
import hashlib
import logging
import os
import socket
import stat
import tempfile
import time
import uuid

from socketio.manager import Manager

log = logging.getLogger("flowstudio.live")

MAX_DATAGRAM = 4 * 1024 * 1024   # receive buffer for one event (the sender's limit is lower)
RESCAN_S = 1.0                     # the peer list is read again at least this often


def folder_for(database_url: str) -> str:
    """The folder where the processes of the database `database_url` meet (the URL's
    file path made absolute for SQLite, so two spellings of one file meet too)."""
    key = database_url
    if database_url.startswith("sqlite:///"):
        key = "sqlite:///" + os.path.realpath(database_url[len("sqlite:///"):])
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return os.path.join(tempfile.gettempdir(), f"flowstudio-live-{os.getuid()}-{digest}")


def private_folder(path: str) -> bool:
    """Whether `path` is a real folder (not a link) owned by this user, that no other
    user may enter or write to."""
    try:
        return _private(os.lstat(path))
    except OSError:
        return False


def _private(st: os.stat_result) -> bool:
    return stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid() and not st.st_mode & 0o077


class LocalQueueManager(Manager):
    """socket.io's client manager, also passing every emitted event to the other
    processes of this machine over Unix datagram sockets in `folder` (see the module
    docstring). Only events are passed: a process addresses its own browsers for
    everything else (acknowledgements, rooms, disconnects). Not a `PubSubManager`, which
    Flask-SocketIO's test client refuses: tests keep using it unchanged."""

    def __init__(self, folder: str):
        super().__init__()
        self.folder = folder
        self.host_id = uuid.uuid4().hex
        self._send = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._send.setblocking(False)
        self._send.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, MAX_DATAGRAM)   # capped by the system
        self._recv: socket.socket | None = None
        self._path: str | None = None
        self._peers: list[str] = []
        self._scanned = (None, 0.0)   # (the folder's mtime, when it was read)
        self._too_big_logged = False

    def emit(self, event, data, namespace, room=None, skip_sid=None, callback=None, to=None, **kwargs):
        """Emit to this process's browsers, then to the other processes' (events without
        acknowledgement, not addressed to one of this process's own connections)."""
        room = to or room
        super().emit(event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, **kwargs)
        if callback is None and not kwargs.get("ignore_queue") and not (
                room is not None and self.is_connected(room, namespace or "/")) and self.peers():
            self._publish({"event": event, "data": list(data) if isinstance(data, tuple) else data,
                           "tuple": isinstance(data, tuple), "namespace": namespace or "/", "room": room,
                           "skip_sid": skip_sid})

    # ------------------------------------------------------------ receiving

    def initialize(self):
        """At the first browser connection: bind this process's socket and start
        listening (once: Flask-SocketIO's test client asks at every connection)."""
        super().initialize()
        if self._path is not None or self.folder is None:
            return
        self._recv = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._recv.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, MAX_DATAGRAM)
        path = os.path.join(self.folder, f"{os.getpid()}-{self.host_id[:8]}.sock")
        for attempt in range(3):   # the last process to leave removes the folder: make it again
            os.makedirs(self.folder, mode=0o700, exist_ok=True)
            if not private_folder(self.folder):
                log.error("%s is not a folder of this user's closed to others: live events are not passed "
                          "between this machine's processes (remove it, or set FLOWSTUDIO_REDIS_URL)", self.folder)
                self._recv.close()
                self._recv = None
                self.folder = None
                return
            try:
                self._recv.bind(path)
                break
            except FileNotFoundError:
                if attempt == 2:
                    raise
        self._path = path
        atexit.register(self.close)
        self.server.start_background_task(self._listen)

    def _listen(self) -> None:
        """Emit the events other processes published to this process's browsers, until close()."""
        recv = self._recv
        while self._path is not None:
            try:
                data = recv.recv(MAX_DATAGRAM)
                if not data:
                    continue
                m = self.json.loads(data.decode())
                payload = tuple(m["data"]) if m.get("tuple") else m["data"]
                super().emit(m["event"], payload, m["namespace"], room=m.get("room"), skip_sid=m.get("skip_sid"))
            except OSError:
                break
            except Exception:  # noqa: BLE001 - one bad event must not end the live view
                log.exception("a live event from another process could not be passed on")
        recv.close()

    def close(self) -> None:
        """Stop receiving and remove this process's socket (the app or the process is
        stopping); peers stop sending to it."""
        path, self._path = self._path, None
        if path is None:
            return
        try:
            os.unlink(path)
            os.rmdir(self.folder)   # the last one out (fails while other sockets are there)
        except OSError:
            pass
        try:
            self._recv.shutdown(socket.SHUT_RDWR)   # wakes the listening thread's recv()
        except OSError:
            pass

    # ------------------------------------------------------------ sending

    def has_peers(self) -> bool:
        """Whether another process of this database has browsers connected (so an event
        nobody here watches is still worth publishing)."""
        return bool(self.peers())

    def peers(self) -> list[str]:
        """The sockets of the other processes, read again when the folder changed."""
        if self.folder is None:
            return []
        try:
            st = os.lstat(self.folder)
        except OSError:
            return []
        if not _private(st):   # someone else's: never send them this process's events
            return []
        mtime = st.st_mtime_ns
        now = time.monotonic()
        seen, when = self._scanned
        if mtime != seen or now - when > RESCAN_S:
            try:
                names = os.listdir(self.folder)
            except OSError:
                names = []
            self._peers = [os.path.join(self.folder, n) for n in names
                           if n.endswith(".sock") and os.path.join(self.folder, n) != self._path]
            self._scanned = (mtime, now)
        return self._peers

    def _publish(self, data):
        peers = self.peers()
        if not peers:
            return
        payload = self.json.dumps(data).encode()
        for peer in peers:
            try:
                self._send.sendto(payload, peer)
            except OSError as exc:
                self._failed(peer, exc, len(payload))

    def _failed(self, peer: str, exc: OSError, size: int) -> None:
        if exc.errno in (errno.ECONNREFUSED, errno.ENOENT):   # the process is gone
            try:
                os.unlink(peer)
            except OSError:
                pass
            self._scanned = (None, 0.0)
        elif exc.errno == errno.EMSGSIZE:
            if not self._too_big_logged:
                self._too_big_logged = True
                log.warning("a live event of %d bytes is too large to pass to the other processes: their "
                            "browsers miss it (the executions view shows it once reloaded)", size)
        elif exc.errno not in (errno.EAGAIN, errno.ENOBUFS):   # a full queue: that peer misses this one
            log.warning("cannot pass a live event to %s: %s", peer, exc)
