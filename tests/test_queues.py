"""Review queues: handing sessions out (two reviewers never get the same one, holds run out),
several reviews and a lead's answer, roles, samples, agreement figures, the results CSV, and
that nothing a queue holds is lost to a re-sync or to deleting the queue."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from convai_dashboard.accounts.models import Membership, Role, Team
from convai_dashboard.convai.records import SessionSummary
from convai_dashboard.history import store
from convai_dashboard.history.models import ChatSession, ReviewStatus
from convai_dashboard.review import queues
from convai_dashboard.review.models import Flag, Note, Queue, QueueItem, QueueReview
from tests.factories import (
    make_character,
    make_flag,
    make_interaction,
    make_key,
    make_member,
    make_session,
    make_user,
)

ROOT = Path(__file__).resolve().parent.parent
APPROVED, CHANGES = ReviewStatus.APPROVED, ReviewStatus.NEEDS_CHANGES


def _studio(sessions: int = 4, reviewers: int = 2) -> dict[str, Any]:
    """A team whose admin holds a character with `sessions` sessions, a lead, `reviewers`
    reviewers, a viewer, and an outsider of another team."""
    admin = make_user("admin")
    team = Team.objects.create(name="Starfall")
    Membership.objects.create(team=team, user=admin, role=Role.ADMIN)
    character = make_character(admin, make_key(admin, team=team))
    made = []
    for n in range(sessions):
        session = make_session(
            character,
            session_id=f"s{n}",
            started_at=datetime(2026, 10, 1, 12, tzinfo=UTC) + timedelta(hours=n),
            has_trigger=n % 2 == 0,
        )
        make_interaction(session, ("User", f"Question {n}?"), ("Character", f"Answer {n}."))
        made.append(session)
    return {
        "team": team,
        "character": character,
        "sessions": made,
        "admin": admin,
        "lead": make_member(team, "lead", Role.LEAD),
        "reviewers": [make_member(team, f"rev{n}", Role.REVIEWER) for n in range(reviewers)],
        "viewer": make_member(team, "viewer", Role.VIEWER),
        "outsider": make_user("outsider"),
    }


def _queue(studio: dict[str, Any], **kwargs: Any) -> Queue:
    queue = Queue.objects.create(team=studio["team"], name="Week 40", **kwargs)
    queue.reviewers.set(studio["reviewers"])
    queues.add_matching(queue, studio["character"].sessions.all())
    return queue


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- handing out ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_start_gives_the_queue_in_the_lists_order_and_holds_it():
    studio = _studio()
    queue = _queue(studio)
    first = queues.start(queue, studio["reviewers"][0])
    # Newest first, as the list it came from was sorted.
    assert first.session.session_id == "s3"
    assert first.held_by == studio["reviewers"][0]
    # Asking again gives the session held, not another.
    assert queues.start(queue, studio["reviewers"][0]).pk == first.pk
    assert queues.start(queue, studio["reviewers"][1]).session.session_id == "s2"


@pytest.mark.django_db
def test_a_hold_runs_out_and_the_session_goes_back_to_the_queue():
    studio = _studio(sessions=1)
    queue = _queue(studio, hold_minutes=30)
    ana, ben = studio["reviewers"]
    now = timezone.now()
    held = queues.start(queue, ana, now)
    assert queues.start(queue, ben, now + timedelta(minutes=29)) is None
    later = queues.start(queue, ben, now + timedelta(minutes=31))
    assert later is not None and later.pk == held.pk and later.held_by == ben
    assert queues.held_by(queue, ana, now + timedelta(minutes=31)) is None


@pytest.mark.django_db
def test_a_reviewer_never_gets_the_same_session_twice_and_a_skip_comes_last():
    studio = _studio(sessions=2)
    queue = _queue(studio, reviews_wanted=2)
    ana = studio["reviewers"][0]
    first = queues.start(queue, ana)
    queues.skip(first, ana)
    second = queues.start(queue, ana)
    assert second.pk != first.pk
    assert queues.finish(second, ana, APPROVED)
    # Only the skipped one is left for her, and it comes back.
    assert queues.start(queue, ana).pk == first.pk
    assert queues.finish(first, ana, APPROVED)
    assert queues.start(queue, ana) is None
    # A second verdict from her on the same session is refused.
    assert not queues.finish(first, ana, CHANGES)
    assert QueueReview.objects.filter(reviewer=ana).exclude(status="").count() == 2


def _start_at_once(queue: Queue, users: list[Any]) -> list[str]:
    """Each user presses "Start" on the work page in a thread of their own, at the same moment:
    real requests through the whole stack, each on its own database connection."""
    barrier = threading.Barrier(len(users))
    got: dict[str, str] = {}
    failures: list[BaseException] = []
    url = reverse("queue_start", args=[queue.team_id, queue.pk])

    def press(user: Any) -> None:
        try:
            client = _client(user)
            barrier.wait()
            response = client.post(url)
            assert response.status_code == 302, response.status_code
            got[user.username] = queues.held_by(queue, user).session.session_id
        except BaseException as error:  # reported by the test, not lost in the thread
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=press, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    return list(got.values())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite's is the next test")
@pytest.mark.django_db(transaction=True)
def test_reviewers_who_press_start_at_once_get_different_sessions_on_postgresql():
    studio = _studio(sessions=6, reviewers=6)
    queue = _queue(studio)
    for _ in range(3):
        got = _start_at_once(queue, studio["reviewers"])
        assert len(got) == 6 and len(set(got)) == 6, got
        QueueItem.objects.update(held_by=None, held_since=None, held_until=None)


# Run by each process of the SQLite test: signs in as its reviewer, waits for the moment
# given, presses "Start" through the real view, and prints the session it was given.
START_WORKLOAD = """
import os, time
from django.contrib.auth.models import User
from django.test import Client
from convai_dashboard.review import queues
from convai_dashboard.review.models import Queue
user = User.objects.get(username=os.environ["REVIEWER"])
queue = Queue.objects.get()
client = Client()
client.force_login(user)
time.sleep(max(0.0, float(os.environ["START_AT"]) - time.time()))
assert client.post(f"/teams/{queue.team_id}/queues/{queue.pk}/start/").status_code == 302
print(queues.held_by(queue, user).session.session_id)
"""

SETUP = """
from tests.test_queues import _studio, _queue
_queue(_studio(sessions=6, reviewers=6))
"""


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL's is the test before")
def test_reviewers_who_press_start_at_once_get_different_sessions_on_sqlite(tmp_path):
    """Six processes on one SQLite file, as six gunicorn workers would be."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))},
        "DJANGO_DEBUG": "1",
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'race.sqlite3'}",
    }

    def run(*args: str, **kwargs: Any) -> Any:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
            **kwargs,
        )

    run("migrate", "-v0")
    run("shell", "-c", SETUP)
    at = __import__("time").time() + 4
    workers = [
        subprocess.Popen(
            [sys.executable, "manage.py", "shell", "-c", START_WORKLOAD],
            cwd=ROOT,
            env={**env, "REVIEWER": f"rev{n}", "START_AT": str(at)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(6)
    ]
    got = []
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
        got.append(out.strip())
    assert len(set(got)) == 6, got


# --- several reviews, one answer -----------------------------------------------------------


@pytest.mark.django_db
def test_two_reviews_keep_both_verdicts_and_a_disagreement_waits_for_the_lead():
    studio = _studio(sessions=2)
    queue = _queue(studio, reviews_wanted=2)
    ana, ben = studio["reviewers"]
    first = queues.start(queue, ana)
    queues.finish(first, ana, APPROVED)
    session = ChatSession.objects.get(pk=first.session_id)
    # One verdict of two: the session's own status is untouched.
    assert session.review_status == ReviewStatus.UNREVIEWED
    item = queues.start(queue, ben)
    assert item.pk == first.pk  # ana's is the one that wants a second review first
    queues.finish(item, ben, CHANGES)
    assert set(first.reviews.values_list("reviewer__username", "status")) == {
        ("rev0", APPROVED.value),
        ("rev1", CHANGES.value),
    }
    assert list(queues.awaiting_lead(queue)) == [first]
    assert ChatSession.objects.get(pk=first.session_id).review_status == ReviewStatus.UNREVIEWED

    lead = _client(studio["lead"])
    page = lead.get(reverse("queue_resolve", args=[queue.team_id, queue.pk, first.pk]))
    assert b"rev0" in page.content and b"rev1" in page.content
    lead.post(
        reverse("queue_resolve", args=[queue.team_id, queue.pk, first.pk]), {"status": "approved"}
    )
    settled = QueueItem.objects.get(pk=first.pk)
    assert settled.final_status == APPROVED and settled.settled_by == studio["lead"]
    session = ChatSession.objects.get(pk=first.session_id)
    assert session.review_status == APPROVED and session.reviewed_by == studio["lead"]
    assert not queues.awaiting_lead(queue).exists()


@pytest.mark.django_db
def test_verdicts_that_agree_become_the_sessions_status_without_a_lead():
    studio = _studio(sessions=1)
    queue = _queue(studio, reviews_wanted=2)
    for reviewer in studio["reviewers"]:
        queues.finish(queues.start(queue, reviewer), reviewer, CHANGES)
    assert ChatSession.objects.get().review_status == CHANGES
    assert QueueItem.objects.get().final_status == CHANGES


@pytest.mark.django_db
def test_in_a_blind_queue_a_reviewer_sees_no_other_reviewers_flags_until_the_reviews_are_in():
    studio = _studio(sessions=1)
    queue = _queue(studio, reviews_wanted=2, blind=True)
    ana, ben = studio["reviewers"]
    item = queues.start(queue, ana)
    line = item.session.lines.get(text="Answer 0.")
    make_flag(line, ana, comment="Ana thinks this is flat.")
    queues.finish(item, ana, CHANGES)
    url = reverse("session", args=[studio["character"].character_id, "s0"])
    work = reverse("queue_work", args=[queue.team_id, queue.pk])
    queues.start(queue, ben)
    for page in (url, work):
        body = _client(ben).get(page).content
        assert b"Ana thinks this is flat." not in body, page
    # Her own flags, a lead's view, and everyone's once the reviews are in, show it.
    assert b"Ana thinks this is flat." in _client(ana).get(url).content
    assert b"Ana thinks this is flat." in _client(studio["lead"]).get(url).content
    queues.finish(QueueItem.objects.get(), ben, APPROVED)
    assert b"Ana thinks this is flat." in _client(ben).get(url).content


@pytest.mark.django_db
def test_a_queue_that_is_not_blind_shows_the_flags_at_once():
    studio = _studio(sessions=1)
    queue = _queue(studio, reviews_wanted=2, blind=False)
    ana, ben = studio["reviewers"]
    item = queues.start(queue, ana)
    make_flag(item.session.lines.get(text="Answer 0."), ana, comment="Ana thinks this is flat.")
    url = reverse("session", args=[studio["character"].character_id, "s0"])
    assert b"Ana thinks this is flat." in _client(ben).get(url).content


# --- the pages: done and next, roles -------------------------------------------------------


@pytest.mark.django_db
def test_done_and_next_records_the_verdict_and_holds_the_next_session():
    studio = _studio(sessions=2, reviewers=1)
    queue = _queue(studio)
    reviewer = studio["reviewers"][0]
    client = _client(reviewer)
    client.post(reverse("queue_start", args=[queue.team_id, queue.pk]))
    first = queues.held_by(queue, reviewer)
    htmx = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "queue-work"}
    done = reverse("queue_done", args=[queue.team_id, queue.pk, first.pk])
    response = client.post(done, {"status": "needs_changes"}, **htmx)
    assert response.status_code == 200
    assert response["HX-Push-Url"] == reverse("queue_work", args=[queue.team_id, queue.pk])
    following = queues.held_by(queue, reviewer)
    assert following.pk != first.pk and b"Answer 0." in response.content
    assert ChatSession.objects.get(pk=first.session_id).review_status == CHANGES
    client.post(
        reverse("queue_done", args=[queue.team_id, queue.pk, following.pk]), {"status": "approved"}
    )
    end = client.get(reverse("queue_work", args=[queue.team_id, queue.pk]))
    assert b"The end of the queue." in end.content
    assert queues.progress(queue).done == 2


@pytest.mark.django_db
def test_a_verdict_that_is_not_one_is_refused_and_loses_the_hold_of_nothing():
    studio = _studio(sessions=1, reviewers=1)
    queue = _queue(studio)
    reviewer = studio["reviewers"][0]
    item = queues.start(queue, reviewer)
    client = _client(reviewer)
    response = client.post(
        reverse("queue_done", args=[queue.team_id, queue.pk, item.pk]), {"status": "unreviewed"}
    )
    assert response.status_code == 302
    assert not QueueReview.objects.exists()
    assert queues.held_by(queue, reviewer).pk == item.pk


@pytest.mark.django_db
def test_a_reviewer_sees_only_the_queues_assigned_to_them_and_a_viewer_sees_progress():
    studio = _studio()
    queue = _queue(studio)
    other = Queue.objects.create(team=studio["team"], name="Not yours")
    other.reviewers.set([studio["reviewers"][1]])
    rev0 = _client(studio["reviewers"][0])
    work = rev0.get(reverse("my_work")).content.decode()
    assert "Week 40" in work and "Not yours" not in work
    assert rev0.get(reverse("queue", args=[other.team_id, other.pk])).status_code == 404
    assert rev0.post(reverse("queue_start", args=[other.team_id, other.pk])).status_code == 404

    viewer = _client(studio["viewer"])
    page = viewer.get(reverse("queue", args=[queue.team_id, queue.pk]))
    assert page.status_code == 200 and b"<strong>0</strong> of 4 done" in page.content
    assert b"Not yours" in viewer.get(reverse("my_work")).content
    assert viewer.post(reverse("queue_start", args=[queue.team_id, queue.pk])).status_code == 403

    outsider = _client(studio["outsider"])
    assert outsider.get(reverse("queue", args=[queue.team_id, queue.pk])).status_code == 404
    assert b"Week 40" not in outsider.get(reverse("my_work")).content


@pytest.mark.django_db
def test_only_a_lead_makes_changes_or_deletes_a_queue():
    studio = _studio()
    queue = _queue(studio)
    edit = reverse("queue_edit", args=[queue.team_id, queue.pk])
    delete = reverse("queue_delete", args=[queue.team_id, queue.pk])
    new = reverse("queue_new", args=[studio["character"].character_id])
    for user in (studio["reviewers"][0], studio["viewer"]):
        client = _client(user)
        assert client.get(new).status_code == 403
        assert client.post(edit, {"queue-name": "Mine now"}).status_code == 403
        assert client.post(delete).status_code == 403
    assert Queue.objects.filter(name="Week 40").exists()


@pytest.mark.django_db
def test_the_header_counts_the_sessions_waiting_for_the_reader():
    studio = _studio(sessions=3)
    queue = _queue(studio)
    rev0 = studio["reviewers"][0]
    assert b'aria-label="3 sessions waiting"' in _client(rev0).get(reverse("home")).content
    queues.finish(queues.start(queue, rev0), rev0, APPROVED)
    assert b'aria-label="2 sessions waiting"' in _client(rev0).get(reverse("home")).content
    assert b"sessions waiting" not in _client(studio["viewer"]).get(reverse("home")).content


# --- making a queue ------------------------------------------------------------------------


def _fields(studio: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "queue-name": "Triggers",
        "queue-instructions": "Read for tone.",
        "queue-reviews_wanted": 1,
        "queue-hold_minutes": 30,
        "queue-reviewers": [r.pk for r in studio["reviewers"]],
        **extra,
    }


@pytest.mark.django_db
def test_a_lead_makes_a_queue_from_the_lists_filters_and_adds_later_matches_when_asked():
    studio = _studio()
    character = studio["character"]
    lead = _client(studio["lead"])
    url = reverse("queue_new", args=[character.character_id])
    form = lead.get(url, {"trigger": "yes"})
    assert form.status_code == 200 and b"2</strong> matching sessions" in form.content
    response = lead.post(url, _fields(studio, filters="trigger=yes", fill="matching"))
    queue = Queue.objects.get(name="Triggers")
    assert response.status_code == 302
    assert sorted(queue.items.values_list("session__session_id", flat=True)) == ["s0", "s2"]
    assert queue.made_from == "trigger=yes" and list(queue.characters.all()) == [character]

    # A session stored later joins only when a lead asks.
    make_session(character, session_id="s9", has_trigger=True)
    assert queue.items.count() == 2
    lead.post(reverse("queue_add", args=[queue.team_id, queue.pk]))
    assert queue.items.count() == 3
    later = queue.items.get(session__session_id="s9")
    assert later.position > max(queue.items.exclude(pk=later.pk).values_list("position", flat=True))


@pytest.mark.django_db
def test_a_lead_makes_a_queue_of_the_ticked_sessions():
    studio = _studio()
    lead = _client(studio["lead"])
    url = reverse("queue_new", args=[studio["character"].character_id])
    # The list's bulk form posts the ticked sessions here: without htmx it gets the form, and
    # through htmx the form's address, which carries them.
    ticked = {"filters": "", "session": ["s1", "s3"], "list_query": "", "tag": ""}
    form = lead.post(url, ticked)
    assert form.status_code == 200 and b"2 of them ticked" in form.content
    moved = lead.post(url, ticked, HTTP_HX_REQUEST="true")
    assert moved["HX-Redirect"] == f"{url}?filters=&session=s1&session=s3"
    assert b"2 of them ticked" in lead.get(moved["HX-Redirect"]).content
    lead.post(url, _fields(studio, fill="selected", session=["s1", "s3"]))
    queue = Queue.objects.get(name="Triggers")
    assert sorted(queue.items.values_list("session__session_id", flat=True)) == ["s1", "s3"]


@pytest.mark.django_db
def test_a_queue_wanting_more_reviews_than_reviewers_is_refused_with_the_reason():
    studio = _studio()
    lead = _client(studio["lead"])
    url = reverse("queue_new", args=[studio["character"].character_id])
    response = lead.post(url, _fields(studio, fill="matching", **{"queue-reviews_wanted": 3}))
    assert response.status_code == 400
    assert b"3 reviews per session need at least 3 reviewers; 2 chosen." in response.content
    assert not Queue.objects.exists()


@pytest.mark.django_db
def test_the_same_seed_and_filter_draw_the_same_sample():
    studio = _studio(sessions=40)
    character = studio["character"]
    with_triggers = character.sessions.filter(has_trigger=True)

    def sample(name: str, seed: int) -> list[int]:
        queue = Queue.objects.create(team=studio["team"], name=name)
        return queues.add_sample(queue, with_triggers, 25, seed)

    first, again, other = sample("first", 7), sample("again", 7), sample("other", 8)
    assert first == again and len(first) == 5
    assert first != other
    assert set(first) <= set(with_triggers.values_list("pk", flat=True))
    # The queue gives them in the order drawn.
    queue = Queue.objects.get(name="again")
    assert list(queue.items.order_by("position").values_list("session_id", flat=True)) == first


@pytest.mark.django_db
def test_the_queue_page_shows_the_seed_of_its_sample():
    studio = _studio(sessions=10)
    lead = _client(studio["lead"])
    url = reverse("queue_new", args=[studio["character"].character_id])
    lead.post(url, _fields(studio, fill="sample", percent=60, seed=1234, filters="trigger=yes"))
    queue = Queue.objects.get()
    assert queue.items.count() == 3  # 60% of the five with triggers
    page = lead.get(reverse("queue", args=[queue.team_id, queue.pk]))
    assert b"seed <strong>1234</strong>" in page.content


# --- progress and agreement ----------------------------------------------------------------


def test_agreement_matches_the_figures_worked_by_hand():
    """Two reviewers, five sessions, one disagreement. By hand: 4 of 5 pairs agree (80%). The
    coincidences are o(A,A) = 4, o(N,N) = 4, o(A,N) = o(N,A) = 1, so n = 10, D_o = 2/10 and
    D_e = 2·5·5/(10·9) = 5/9, and alpha = 1 - 0.2/(5/9) = 0.64."""
    a, n = "approved", "needs_changes"
    table = [{1: a, 2: a}, {1: a, 2: n}, {1: n, 2: n}, {1: n, 2: n}, {1: a, 2: a}]
    figures = queues.agreement_of(table)
    assert figures.sessions == 5
    assert figures.percent == pytest.approx(80.0)
    assert figures.alpha == pytest.approx(0.64)


def test_agreement_with_three_reviewers_and_a_missing_verdict_by_hand():
    """Sessions (A,A,A), (A,A,N), (N,N) and one with a single verdict, which tells nothing.
    Pairs: 3 of 3, 1 of 3 and 1 of 1 agree, 5 of 7 (71.4%). Coincidences (each pair weighed
    1/(m - 1) for m verdicts on the session): the first gives o(A,A) = 3,
    the second o(A,A) = 1, o(A,N) = o(N,A) = 1, the third o(N,N) = 2; n = 8, n_A = 5, n_N = 3;
    D_o = 2/8, D_e = 2·5·3/(8·7) = 30/56; alpha = 1 - 0.25·56/30 = 0.5333."""
    a, n = "approved", "needs_changes"
    table = [{1: a, 2: a, 3: a}, {1: a, 2: a, 3: n}, {1: n, 2: n}, {3: a}]
    figures = queues.agreement_of(table)
    assert figures.sessions == 3
    assert figures.percent == pytest.approx(500 / 7)
    assert figures.alpha == pytest.approx(1 - 0.25 * 56 / 30)


@pytest.mark.django_db
def test_progress_per_queue_and_reviewer_with_the_median_time():
    studio = _studio(sessions=4)
    queue = _queue(studio)
    ana, ben = studio["reviewers"]
    now = timezone.now()
    for seconds in (60, 180):
        item = queues.start(queue, ana, now)
        queues.finish(item, ana, APPROVED, now + timedelta(seconds=seconds))
    queues.start(queue, ben, now)
    figures = queues.progress(queue, now)
    assert (figures.total, figures.done, figures.held, figures.left) == (4, 2, 1, 2)
    assert figures.median_seconds == 120
    by_name = {row.reviewer.username: row for row in queues.reviewer_progress(queue, now)}
    assert (by_name["rev0"].done, by_name["rev0"].held, by_name["rev0"].left) == (2, 0, 2)
    assert (by_name["rev1"].done, by_name["rev1"].held, by_name["rev1"].left) == (0, 1, 2)
    assert by_name["rev0"].median_seconds == 120 and by_name["rev1"].median_seconds is None


@pytest.mark.django_db
def test_the_results_csv_has_a_row_per_session_and_reviewer_with_the_final_verdict():
    studio = _studio(sessions=2)
    queue = _queue(studio, reviews_wanted=2)
    ana, ben = studio["reviewers"]
    first = queues.start(queue, ana)
    queues.finish(first, ana, APPROVED)
    queues.finish(queues.start(queue, ben), ben, APPROVED)
    response = _client(studio["viewer"]).get(
        reverse("queue_results", args=[queue.team_id, queue.pk])
    )
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == queues.RESULT_HEADER
    by_reviewer = {(row[2], row[3]): row for row in rows[1:]}
    assert set(by_reviewer) == {("s1", "rev0"), ("s1", "rev1"), ("s0", "")}
    assert by_reviewer[("s1", "rev0")][4] == "approved"
    assert by_reviewer[("s1", "rev1")][7] == "approved"  # the final verdict
    assert by_reviewer[("s0", "")][7] == ""


# --- nothing is lost -----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_resync_and_a_session_gone_from_convai_keep_the_queue():
    studio = _studio(sessions=2, reviewers=1)
    queue = _queue(studio)
    reviewer = studio["reviewers"][0]
    item = queues.start(queue, reviewer)
    queues.finish(item, reviewer, APPROVED)
    held = queues.start(queue, reviewer)
    # Convai now lists only one of the two sessions, with a new start time.
    kept = ChatSession.objects.get(pk=item.session_id)
    store.store_session_list(
        studio["character"],
        [SessionSummary(kept.session_id, datetime(2026, 11, 1, tzinfo=UTC), in_memory=True)],
    )
    gone = ChatSession.objects.get(pk=held.session_id)
    assert not gone.on_convai
    assert queue.items.count() == 2
    assert queues.held_by(queue, reviewer).pk == held.pk
    assert QueueItem.objects.get(pk=item.pk).final_status == APPROVED
    assert QueueReview.objects.get(item=item).status == APPROVED


@pytest.mark.django_db
def test_deleting_a_queue_asks_first_and_keeps_the_reviews_done():
    studio = _studio(sessions=3)
    queue = _queue(studio, reviews_wanted=2)
    ana, ben = studio["reviewers"]
    # s2: the two agree, and it is final; s1: they differ; s0: ana alone has reviewed it.
    for reviewer, verdict in ((ana, APPROVED), (ben, APPROVED)):
        queues.finish(queues.start(queue, reviewer), reviewer, verdict)
    for reviewer, verdict in ((ana, APPROVED), (ben, CHANGES)):
        item = queues.start(queue, reviewer)
        make_flag(item.session.lines.get(text=f"Answer {item.session.session_id[1]}."), reviewer)
        queues.finish(item, reviewer, verdict)
    queues.finish(queues.start(queue, ana), ana, CHANGES)
    lead = _client(studio["lead"])
    url = reverse("queue_delete", args=[queue.team_id, queue.pk])
    assert b"Delete queue" in lead.get(url).content and Queue.objects.exists()
    lead.post(url)
    assert not Queue.objects.exists() and not QueueReview.objects.exists()
    status = dict(ChatSession.objects.values_list("session_id", "review_status"))
    assert status == {"s2": "approved", "s1": "unreviewed", "s0": "needs_changes"}
    note = Note.objects.get(session__session_id="s1")
    assert "rev0: Approved" in note.text and "rev1: Needs changes" in note.text
    assert Flag.objects.filter(session__session_id="s1").count() == 2
