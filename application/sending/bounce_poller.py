"""The bounce mailbox poller (spec proxy.md §10.1), one active copy in the cluster (lease).

Every ``poll_interval`` seconds: open the mailbox, SELECT the folder, compare its
UIDVALIDITY with the saved one (a change restarts from UID 1; the intake's
de-duplication keeps that from repeating anything), then for each UID above the saved
``last_uid``: fetch it, ingest it (its events are committed when that returns), flag it
``\\Seen``, save the UID. A crash anywhere repeats at most the mail in hand, which the
intake then answers as a duplicate. Errors are logged, counted and retried next interval.

The poller runs with the bounce configuration of the last ``reload-bounce`` (or of its own
start): ``Instance.bounce_reloads`` moving makes it stop and, if enabled, start again with
the configuration current then, polling at once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

from application.base import CommandMeta
from application.ports import SecretBox
from application.sending.bounce_intake import BounceIntake
from domain.instance import Instance
from domain.instance_config import BounceConfig

log = logging.getLogger(__name__)
ACTOR = "system:bounce-poller"


class Mailbox(Protocol):
    def select(self, folder: str) -> int:
        """Open the folder; returns its UIDVALIDITY."""
        ...

    def uids_after(self, last_uid: int) -> list[int]: ...

    def fetch(self, uid: int) -> bytes: ...

    def mark_seen(self, uid: int) -> None: ...

    def close(self) -> None: ...


class MailboxOpener(Protocol):
    def open(self, config: BounceConfig, password: str | None) -> Mailbox:
        """Connect and log in (``password`` decrypted); raises on any failure."""
        ...


class MailboxProgress(Protocol):
    def load(self, mailbox: str) -> tuple[int | None, int]: ...

    def advance(self, mailbox: str, uidvalidity: int, last_uid: int) -> None: ...

    def restart(self, mailbox: str, uidvalidity: int) -> None: ...

    def polled(self, mailbox: str, error: str | None) -> None: ...


class Lease(Protocol):
    """``adapters.leader``: a PostgreSQL advisory lock or a file lock."""

    def try_acquire(self) -> bool: ...

    def release(self) -> None: ...


def mailbox_key(config: BounceConfig) -> str:
    return f"{config.imap_user or ''}@{config.imap_host}:{config.imap_port}/{config.imap_folder}"


class BouncePoller:
    def __init__(self, intake: BounceIntake, instance: Callable[[], Instance | None],
                 opener: MailboxOpener, progress: MailboxProgress, lease: Lease, secret_box: SecretBox, *,
                 tick: float = 1.0) -> None:
        self.intake, self.instance, self.opener = intake, instance, opener
        self.progress, self.lease, self.secret_box, self.tick = progress, lease, secret_box, tick
        self.config: BounceConfig | None = None  # what runs now (None: not started yet)
        self.generation = -1
        self.polls = 0  # completed polls (tests wait on it)
        self._next_poll = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def poll_once(self, config: BounceConfig) -> int:
        """One pass over the mailbox; returns how many mails were ingested. Raises on errors."""
        password = self.secret_box.decrypt(config.imap_password) if config.imap_password else None
        key = mailbox_key(config)
        box = self.opener.open(config, password)
        done = 0
        try:
            validity = box.select(config.imap_folder)
            known, last_uid = self.progress.load(key)
            if known != validity:
                if known is not None:
                    log.warning("bounce poller: UIDVALIDITY of %s changed (%s -> %s); restarting at UID 1",
                                key, known, validity)
                self.progress.restart(key, validity)
                last_uid = 0
            for uid in box.uids_after(last_uid):
                if self._stop.is_set():
                    break
                self.intake.ingest(box.fetch(uid), channel="imap", meta=CommandMeta(actor=ACTOR))
                box.mark_seen(uid)  # only now: the events are committed
                self.progress.advance(key, validity, uid)
                done += 1
        finally:
            box.close()
        return done

    def step(self) -> None:
        """Apply a reload if one was requested, then poll if due and this process holds the lease."""
        instance = self.instance()
        if instance is None:
            return
        if instance.bounce_reloads != self.generation:
            self.generation, self.config = instance.bounce_reloads, instance.config.bounce
            self._next_poll = 0.0  # a (re)start polls at once
            log.info("bounce poller: %s", "started" if self.config.enabled else "disabled")
        config = self.config
        if config is None or not config.enabled or not config.imap_host:
            self.lease.release()
            return
        if time.monotonic() < self._next_poll:
            return
        # a standby asks for the lease once per interval too, not once per tick
        self._next_poll = time.monotonic() + max(10, config.poll_interval)
        if self.lease.try_acquire():
            self._poll(config)

    def _poll(self, config: BounceConfig) -> None:
        key = mailbox_key(config)
        try:
            done = self.poll_once(config)
        except Exception as exc:  # logged, counted, retried next interval
            log.warning("bounce poller: polling %s failed: %s", key, exc)
            self._count(key, f"{type(exc).__name__}: {exc}"[:500])
        else:
            if done:
                log.info("bounce poller: %d report(s) ingested from %s", done, key)
            self._count(key, None)
        self.polls += 1

    def _count(self, key: str, error: str | None) -> None:
        try:
            self.progress.polled(key, error)
        except Exception:  # the store is down too: the next poll tries again
            log.exception("bounce poller: could not record the poll of %s", key)

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set() and not self._stop.is_set():
            try:
                self.step()
            except Exception:  # reading the instance failed (store down): try again next tick
                log.exception("bounce poller: step failed")
            stop.wait(self.tick)
        self.lease.release()

    def start(self, stop: threading.Event) -> threading.Thread:
        self._thread = threading.Thread(target=self.run, args=(stop,), name="bounce-poller", daemon=True)
        self._thread.start()
        return self._thread

    def stop(self, timeout: float = 10.0) -> None:
        """Stop this poller alone (its lease is released when it returns)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
