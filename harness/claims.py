"""Claims: several harness processes share one suite through the store.

Before it starts a run, a harness process claims the run's key in one transaction (host,
pid, a token of its own, a heartbeat). A key that is stored as finished, or claimed by a
live process, is not taken; a claim whose process is gone (its pid is not alive on this
host, or its heartbeat is older than ``stale_s``) is taken over. So two or more harness
processes on one database split a suite between them, and each run is executed and
stored once. Suite records left ``running`` by a process that is gone are marked
``interrupted`` the same way.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from harness.records import SuiteStatus
from harness.store import ResultStore

HEARTBEAT_S = 5.0
STALE_S = 60.0  # a claim not refreshed for this long is taken over (other hosts)


@dataclass(frozen=True)
class Owner:
    """The harness process that holds claims: its host, pid and a token of its own."""

    host: str = field(default_factory=socket.gethostname)
    pid: int = field(default_factory=os.getpid)
    token: str = field(default_factory=lambda: uuid.uuid4().hex)


def owner_alive(host: str, pid: int, heartbeat: float, *, now: float | None = None,
                stale_s: float = STALE_S) -> bool:
    """Whether the process behind a claim (or a running suite record) still runs: on this
    host by its pid, elsewhere by the age of its heartbeat."""
    if host == socket.gethostname():
        try:
            return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
        except psutil.Error:
            return False
    return (now or time.time()) - heartbeat < stale_s


class ClaimBook:
    """This process's claims on one store (the store is used from one thread at a time;
    the heartbeat thread opens a connection of its own)."""

    def __init__(self, store: ResultStore, *, owner: Owner | None = None,
                 stale_s: float = STALE_S, heartbeat_s: float = HEARTBEAT_S):
        self.store = store
        self.owner = owner or Owner()
        self.stale_s = stale_s
        self.heartbeat_s = heartbeat_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def claim(self, key: str, *, done_statuses: Iterable[str], stored_since: float) -> bool:
        """Claim ``key`` unless it is stored with one of ``done_statuses`` (or stored at all
        after ``stored_since``, by another process of this suite run) or claimed by a live
        process; True when this process now holds it."""
        done = tuple(done_statuses)
        now = time.time()
        with self.store.transaction() as conn:
            if conn.execute(
                    f"SELECT 1 FROM runs WHERE key=? AND (status IN ({','.join('?' * len(done))})"
                    " OR finished_at >= ?)", (key, *done, stored_since)).fetchone():
                return False
            row = conn.execute("SELECT host, pid, token, heartbeat FROM claims WHERE key=?",
                               (key,)).fetchone()
            if row is not None and row[2] != self.owner.token and owner_alive(
                    row[0], row[1], row[3], now=now, stale_s=self.stale_s):
                return False
            conn.execute("INSERT OR REPLACE INTO claims(key, host, pid, token, claimed_at, "
                         "heartbeat) VALUES (?, ?, ?, ?, ?, ?)",
                         (key, self.owner.host, self.owner.pid, self.owner.token, now, now))
        return True

    def release(self, key: str) -> None:
        """Drop this process's claim on ``key`` (after its run is stored, or not run)."""
        with self.store.transaction() as conn:
            conn.execute("DELETE FROM claims WHERE key=? AND token=?", (key, self.owner.token))

    def release_all(self) -> None:
        """Drop every claim of this process (its runs ended, or it is stopping)."""
        with self.store.transaction() as conn:
            conn.execute("DELETE FROM claims WHERE token=?", (self.owner.token,))

    def held_elsewhere(self, keys: Iterable[str]) -> set[str]:
        """Which of ``keys`` are claimed by another live process right now."""
        wanted = set(keys)
        now = time.time()
        rows = self.store.connection.execute(
            "SELECT key, host, pid, token, heartbeat FROM claims").fetchall()
        return {r[0] for r in rows if r[0] in wanted and r[3] != self.owner.token
                and owner_alive(r[1], r[2], r[4], now=now, stale_s=self.stale_s)}

    def mark_abandoned_suites(self) -> int:
        """Mark suite records left ``running`` by a process that is gone as interrupted."""
        now = time.time()
        rows = self.store.connection.execute(
            "SELECT id, host, pid, heartbeat FROM suites WHERE status=?",
            (SuiteStatus.RUNNING,)).fetchall()
        gone = [r[0] for r in rows if r[1] is not None and r[2] is not None
                and not owner_alive(r[1], r[2], r[3] or 0.0, now=now, stale_s=self.stale_s)]
        for suite_id in gone:
            self.store.finish_suite(suite_id, SuiteStatus.INTERRUPTED)
        return len(gone)

    # -- heartbeat ----------------------------------------------------------------------
    def start_heartbeat(self, suite_id: int | None = None) -> None:
        """Refresh this process's claims (and its suite record) every ``heartbeat_s``."""
        path = self.store.path

        def beat() -> None:
            while not self._stop.wait(self.heartbeat_s):
                try:
                    _touch(path, self.owner.token, suite_id)
                except Exception:  # noqa: BLE001 - a busy database: try again next beat
                    continue

        self._thread = threading.Thread(target=beat, name="harness-heartbeat", daemon=True)
        self._thread.start()

    def stop_heartbeat(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> ClaimBook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_heartbeat()


def _touch(path: Path, token: str, suite_id: int | None) -> None:
    import sqlite3

    now = time.time()
    with sqlite3.connect(path, timeout=30) as conn:
        conn.execute("UPDATE claims SET heartbeat=? WHERE token=?", (now, token))
        if suite_id is not None:
            conn.execute("UPDATE suites SET heartbeat=? WHERE id=?", (now, suite_id))
    conn.close()
