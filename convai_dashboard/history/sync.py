"""Syncing a character's whole history: the session list, then every transcript that is missing
or may still have grown, fetched concurrently on one connection pool and stored as each arrives.

A character has one history, so one run serves all its holders, with any holder's key that
works: the key of whoever started it first, then the others (fetch.clients_of_holders). A key
refused on the way suspends its holder's access, and the run goes on with the next key.

Fetching happens on worker threads; storing happens on the calling thread, one short transaction
per transcript, so a sync killed at any moment leaves only whole transcripts behind, and running
it again fetches what is still missing. Nothing is ever deleted.
"""

from __future__ import annotations

import logging
import queue
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from convai_dashboard.convai import ConvaiClient, ConvaiError, ConvaiUnavailable
from convai_dashboard.convai.records import Interaction as InteractionRecord
from convai_dashboard.history import fetch, store
from convai_dashboard.history.holder import this_process
from convai_dashboard.history.models import ChatSession, ConvaiCharacter, SyncRun, SyncStatus

logger = logging.getLogger(__name__)

# How often progress is written and a cancel request looked for, at most.
CHECKPOINT_SECONDS = 0.5
# Transcripts fetched ahead of storing, per request in flight, at most.
BACKLOG_PER_REQUEST = 4
# How long the sync gathers what arrives before storing it: fewer, larger transactions, with
# no request waiting for it (docs/performance.md, "Sync").
GATHER_SECONDS = 0.1

ProgressCallback = Callable[[SyncRun], None]


class _Stop(Exception):
    def __init__(self, status: str, reason: str):
        super().__init__(reason)
        self.status, self.reason = status, reason


def _stale_cutoff() -> datetime:
    return timezone.now() - timedelta(seconds=settings.SYNC_STALE_SECONDS)


def _holder_is_gone(sync_run: SyncRun) -> bool:
    holder = sync_run.holder
    return holder is not None and holder.is_gone()


def is_abandoned(sync_run: SyncRun) -> bool:
    """Whether an active run will never finish: its process is gone from this host, or it
    has been running without a heartbeat for SYNC_STALE_SECONDS (its host cannot tell)."""
    if not sync_run.is_active:
        return False
    last_sign_of_life = sync_run.heartbeat_at or sync_run.started_at
    stale = (
        sync_run.status == SyncStatus.RUNNING
        and last_sign_of_life is not None
        and last_sign_of_life < _stale_cutoff()
    )
    return stale or _holder_is_gone(sync_run)


def expire_abandoned_runs(character: ConvaiCharacter) -> None:
    """Marks interrupted the character's runs that will never finish, so that they no longer
    block a new run (which resumes their work)."""
    here = socket.gethostname()
    for run in SyncRun.objects.active().filter(character=character, holder_host=here):
        if _holder_is_gone(run):
            # Only if it is still what was looked at: its process cannot change it any more.
            SyncRun.objects.filter(pk=run.pk, status=run.status).update(
                status=SyncStatus.INTERRUPTED,
                finished_at=Coalesce(F("heartbeat_at"), F("started_at"), F("created_at")),
                stop_reason=(
                    f"Its process ({run.holder_pid} on {here}) ended without finishing it: it "
                    "was killed, or its machine restarted."
                ),
            )
    cutoff = _stale_cutoff()
    SyncRun.objects.filter(character=character, status=SyncStatus.RUNNING).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
    ).update(
        status=SyncStatus.INTERRUPTED,
        # It ended when it last reported, not when it was found dead.
        finished_at=Coalesce(F("heartbeat_at"), F("started_at")),
        stop_reason="The sync stopped reporting progress (its worker was stopped or restarted).",
    )


def _held_here() -> dict[str, Any]:
    holder = this_process()
    return {
        "holder_host": holder.host,
        "holder_pid": holder.pid,
        "holder_started": holder.started,
    }


def claim(
    character: ConvaiCharacter, user: Any = None, *, run_here: bool = False
) -> tuple[SyncRun, bool]:
    """A new queued run for the character, or the active one; (run, created). `run_here`
    says the caller runs it at once (a command): the run is held by this process from the
    start, so it never outlives the process as a queued run."""
    while True:
        expire_abandoned_runs(character)
        held = _held_here() if run_here else {}
        try:
            with transaction.atomic():
                return SyncRun.objects.create(character=character, requested_by=user, **held), True
        except IntegrityError:
            # The constraint allows one active run per character, across every process.
            active = SyncRun.objects.active().filter(character=character).first()
            if active is not None:
                return active, False
            # It ended in between: try again.


def request_cancel(run: SyncRun) -> None:
    now = timezone.now()
    # A run no worker has picked up yet is simply cancelled; a running one stops at its next
    # checkpoint.
    SyncRun.objects.filter(pk=run.pk, status=SyncStatus.QUEUED).update(
        status=SyncStatus.CANCELLED, finished_at=now, stop_reason="Cancelled before it started."
    )
    SyncRun.objects.filter(pk=run.pk, status=SyncStatus.RUNNING).update(cancel_requested=True)


def sessions_to_fetch(character: ConvaiCharacter) -> Iterator[ChatSession]:
    """Sessions on Convai whose transcript is missing, or was fetched so soon after its last
    interaction that the player may have gone on talking.

    Oldest first: search lists lines by id, newest id first, and storing the oldest
    conversations first gives the newest ones the highest ids. (Fetching newest first had
    search show a fully synced character's oldest conversations first.)"""
    settle = timedelta(minutes=settings.SYNC_SETTLE_MINUTES)
    growing = Q(
        transcript_fetched_at__lt=Coalesce(F("last_interaction_at"), F("started_at")) + settle
    )
    return (
        character.sessions.filter(on_convai=True)
        .filter(Q(transcript_fetched_at__isnull=True) | growing)
        # What storing a transcript updates from what it had.
        .only(
            "pk",
            "session_id",
            "character_id",
            "has_trigger",
            "has_other_speaker",
            "has_refusal",
            "first_player_line",
        )
        .order_by("started_at", "pk")
        .iterator(chunk_size=2000)
    )


def run(
    sync_run: SyncRun,
    *,
    concurrency: int | None = None,
    on_progress: ProgressCallback | None = None,
    base_url: str | None = None,
) -> SyncRun:
    """Carries out a queued run. Returns it finished (done, failed or cancelled). `base_url`
    names another Convai than the settings' (a sandbox a command started)."""
    now = timezone.now()
    started = SyncRun.objects.filter(pk=sync_run.pk, status=SyncStatus.QUEUED).update(
        status=SyncStatus.RUNNING, started_at=now, heartbeat_at=now, **_held_here()
    )
    sync_run.refresh_from_db()
    if not started:
        return sync_run  # cancelled before it started, or already taken by another worker
    try:
        _with_a_holders_key(
            sync_run, concurrency or settings.SYNC_CONCURRENCY, on_progress, base_url
        )
    except _Stop as stop:
        _finish(sync_run, stop.status, stop.reason)
    except fetch.NoWorkingKey as error:
        _finish(sync_run, SyncStatus.FAILED, f"Stopped: {error.user_message}")
    except ConvaiError as error:
        _finish(
            sync_run, SyncStatus.FAILED, f"Could not fetch the session list. {error.user_message}"
        )
    except (KeyboardInterrupt, SystemExit):
        # Stopped from outside (Ctrl-C, a worker shutting down): say so, then stop.
        _finish(sync_run, SyncStatus.INTERRUPTED, "The sync was stopped before it finished.")
        raise
    except Exception as error:
        # Whatever went wrong, the run ends and says why: a run left "running" would block
        # the character's syncs until it was found stale.
        logger.exception(
            "Sync %s of character %s failed", sync_run.pk, sync_run.character.character_id
        )
        _finish(sync_run, SyncStatus.FAILED, f"Stopped by an unexpected error: {_said(error)}")
    else:
        _finish(sync_run, SyncStatus.DONE, "")
    if on_progress:
        on_progress(sync_run)
    return sync_run


def _with_a_holders_key(
    sync_run: SyncRun,
    concurrency: int,
    on_progress: ProgressCallback | None,
    base_url: str | None,
) -> None:
    character = sync_run.character
    last_refusal: ConvaiError | None = None
    with fetch.remembering_failure(character):
        for access, client in fetch.clients_of_holders(
            character,
            sync_run.requested_by,
            base_url=base_url,
            pool_size=concurrency,
            retries=settings.SYNC_RETRIES,
            max_retry_after=settings.SYNC_MAX_RETRY_AFTER,
        ):
            try:
                _sync(sync_run, client, concurrency, on_progress)
                return
            except fetch.REFUSALS as refusal:
                # What the refused key stored is kept; the next key goes on from there.
                fetch.refused(access, refusal)
                last_refusal = refusal
        raise fetch.no_working_key(last_refusal)


def _sync(
    sync_run: SyncRun,
    client: ConvaiClient,
    concurrency: int,
    on_progress: ProgressCallback | None,
) -> None:
    character = sync_run.character
    listed = client.list_sessions(character.character_id)
    listing = store.store_session_list(character, listed)
    sync_run.new_sessions += listing.new
    for skipped in listed.skipped:
        _failed(sync_run, f"Left out {skipped}.")
    todo = list(sessions_to_fetch(character))
    sync_run.sessions_total = sync_run.sessions_done + len(todo)
    _checkpoint(sync_run, on_progress)
    _fetch_transcripts(sync_run, client, todo, concurrency, on_progress)


def _fetch_transcripts(
    sync_run: SyncRun,
    client: ConvaiClient,
    todo: list[ChatSession],
    concurrency: int,
    on_progress: ProgressCallback | None,
) -> None:
    character_id = sync_run.character.character_id
    pending = iter(todo)
    taking = threading.Lock()
    stopping = threading.Event()
    # Room for transcripts asked for and not yet stored: memory stays flat for any size, and
    # fetching waits while storing catches up.
    room = threading.Semaphore(BACKLOG_PER_REQUEST * concurrency)
    arrivals: queue.SimpleQueue[_Arrival] = queue.SimpleQueue()

    # Each worker asks for the next transcript as soon as its answer is in, so `concurrency`
    # requests stay in flight while this thread stores. (When this thread handed out the next
    # requests itself, none went out while it stored: docs/performance.md, "Sync".)
    def fetch_until_none_left() -> None:
        while True:
            room.acquire()
            if stopping.is_set():
                return
            with taking:
                session = next(pending, None)
            if session is None:
                return
            try:
                arrivals.put((session, client.get_transcript(character_id, session.session_id)))
            except BaseException as error:
                # Whatever it is, the storing thread hears of it and decides: a worker that
                # ended silently would leave the sync waiting for its answer.
                arrivals.put((session, error))

    unavailable_in_a_row = 0
    last_checkpoint = time.monotonic()
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="sync") as pool:
        for _ in range(concurrency):
            pool.submit(fetch_until_none_left)
        try:
            answered = 0
            while answered < len(todo):
                # Wakes up even while every request waits out a long Retry-After, so the
                # heartbeat goes on and a cancel is seen. Takes at most what leaves room for
                # `concurrency` requests in flight.
                taken = _arrived(
                    arrivals,
                    timeout=CHECKPOINT_SECONDS,
                    at_most=(BACKLOG_PER_REQUEST - 1) * concurrency,
                )
                answered += len(taken)
                arrived: list[tuple[ChatSession, list[InteractionRecord]]] = []
                stop: BaseException | None = None
                for session, outcome in taken:
                    sync_run.sessions_done += 1
                    if not isinstance(outcome, BaseException):
                        arrived.append((session, outcome))
                        unavailable_in_a_row = 0
                    elif isinstance(outcome, fetch.REFUSALS):
                        stop = stop or outcome
                    elif isinstance(outcome, ConvaiError):
                        _failed(sync_run, f"Session {session.session_id}: {outcome.user_message}")
                        unavailable_in_a_row = (
                            unavailable_in_a_row + 1
                            if isinstance(outcome, ConvaiUnavailable)
                            else 0
                        )
                        if unavailable_in_a_row >= 2 * concurrency:
                            stop = stop or _Stop(
                                SyncStatus.FAILED,
                                f"Stopped: Convai could not be reached for "
                                f"{unavailable_in_a_row} transcripts in a row. "
                                f"{sync_run.last_failure}",
                            )
                    else:
                        raise outcome
                if stop is not None:
                    stopping.set()
                # What arrived before a stop is stored too.
                if arrived:
                    unstored = store.store_transcripts(arrived)
                    sync_run.transcripts_fetched += len(arrived) - len(unstored)
                    for refused in unstored:
                        _failed(
                            sync_run,
                            f"Session {refused.session.session_id}: the transcript could not "
                            f"be stored: {refused.reason}.",
                        )
                if stop is not None:
                    raise stop
                if taken:
                    room.release(len(taken))
                if time.monotonic() - last_checkpoint >= CHECKPOINT_SECONDS:
                    _checkpoint(sync_run, on_progress)
                    last_checkpoint = time.monotonic()
        finally:
            # Workers stop before their next request (the ones in flight are waited for, and
            # their answers dropped); those waiting for room are let go.
            stopping.set()
            room.release(concurrency)


# A fetched transcript, or why it could not be fetched.
_Arrival = tuple[ChatSession, list[InteractionRecord] | BaseException]


def _arrived(arrivals: queue.SimpleQueue[_Arrival], timeout: float, at_most: int) -> list[_Arrival]:
    """What arrives within GATHER_SECONDS of the first arrival (up to `at_most` of it), waiting
    up to `timeout` for the first. Stored together, they cost one transaction and one statement
    of each kind; the workers go on fetching meanwhile."""
    try:
        taken = [arrivals.get(timeout=timeout)]
    except queue.Empty:
        return []
    until = time.monotonic() + GATHER_SECONDS
    while len(taken) < at_most and (left := until - time.monotonic()) > 0:
        try:
            taken.append(arrivals.get(timeout=left))
        except queue.Empty:
            break
    return taken


_PROGRESS_FIELDS = [
    "heartbeat_at",
    "sessions_total",
    "sessions_done",
    "new_sessions",
    "transcripts_fetched",
    "failures",
    "last_failure",
]


def _failed(sync_run: SyncRun, what: str) -> None:
    """Counts one session that could not be stored, and says why; the sync goes on."""
    logger.warning(
        "Sync %s of character %s: %s", sync_run.pk, sync_run.character.character_id, what
    )
    sync_run.failures += 1
    sync_run.last_failure = what


def _said(error: BaseException) -> str:
    """An error, as one short line that is safe to store and show."""
    first_line = (str(error).strip().splitlines() or [""])[0].replace("\x00", "")
    return f"{type(error).__name__}: {first_line[:300]}".rstrip(": ")


def _checkpoint(sync_run: SyncRun, on_progress: ProgressCallback | None) -> None:
    sync_run.heartbeat_at = timezone.now()
    sync_run.save(update_fields=_PROGRESS_FIELDS)
    if on_progress:
        on_progress(sync_run)
    if SyncRun.objects.filter(pk=sync_run.pk, cancel_requested=True).exists():
        raise _Stop(SyncStatus.CANCELLED, "Cancelled.")


def _finish(sync_run: SyncRun, status: str, reason: str) -> None:
    sync_run.status, sync_run.stop_reason = status, reason
    sync_run.finished_at = sync_run.heartbeat_at = timezone.now()
    sync_run.save(update_fields=[*_PROGRESS_FIELDS, "status", "stop_reason", "finished_at"])
