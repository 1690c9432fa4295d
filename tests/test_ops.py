"""Running it: /healthz (the database and the task worker's heartbeat, without sign-in or
secrets), the heartbeat a real `db_worker` writes, JSON-lines logs, and gunicorn with the
project's gunicorn.conf.py."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import OperationalError, connection
from django.utils import timezone

from convai_dashboard.ops import heartbeat
from convai_dashboard.ops.models import WorkerHeartbeat
from convai_dashboard.sandbox.process import free_port

ROOT = Path(__file__).resolve().parent.parent
# A deployment's environment, on a database file of the test's own.
PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_HTTPS": "0",
    "DJANGO_SECRET_KEY": "ops-test-" + "s" * 60,
    "CONVAI_KEY_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1,testserver",
}


def healthz(client):
    response = client.get("/healthz")
    return response.status_code, response.json()


def beat(seconds_ago: float = 0, worker_id: str = "w1") -> None:
    now = timezone.now()
    WorkerHeartbeat.objects.create(
        worker_id=worker_id,
        host="worker-host.internal",
        pid=4242,
        started_at=now - timedelta(hours=1),
        beat_at=now - timedelta(seconds=seconds_ago),
    )


@pytest.mark.django_db
def test_healthz_is_200_with_the_database_up_and_a_worker_beating_and_needs_no_sign_in(client):
    beat(seconds_ago=2)
    status, report = healthz(client)
    assert status == 200
    assert report["ok"] is True
    assert report["database"] == {"ok": True, "engine": connection.vendor}
    assert report["worker"]["ok"] is True and report["worker"]["alive"] == 1
    assert 1 < report["worker"]["seconds_since"] < 30
    assert client.get("/healthz")["Cache-Control"].startswith("max-age=0, no-cache, no-store")


@pytest.mark.django_db
@pytest.mark.parametrize("last_beat", [None, 31], ids=["never", "stale"])
def test_healthz_is_503_when_no_worker_beat_lately(client, last_beat):
    if last_beat is not None:
        beat(seconds_ago=last_beat)
    status, report = healthz(client)
    assert status == 503
    assert report["ok"] is False and report["database"]["ok"] is True
    assert report["worker"]["ok"] is False and report["worker"]["alive"] == 0
    assert (report["worker"]["last_heartbeat"] is None) == (last_beat is None)


@pytest.mark.django_db
def test_healthz_is_503_when_the_database_does_not_answer_and_says_no_more_than_that(client):
    beat()
    # A database that went away cannot be had mid-test: its connection is made to fail.
    refused = OperationalError('connection to server at "db.internal" failed: password for "ops"')
    with mock.patch.object(connection, "cursor", side_effect=refused):
        status, report = healthz(client)
    assert status == 503
    assert report["database"] == {
        "ok": False,
        "engine": connection.vendor,
        "error": "OperationalError",
    }
    assert report["worker"]["ok"] is False
    assert "db.internal" not in json.dumps(report)


@pytest.mark.django_db
def test_healthz_shows_no_secrets(client, settings):
    beat()
    body = client.get("/healthz").content.decode()
    database = settings.DATABASES["default"]
    for secret in [settings.SECRET_KEY, *settings.CONVAI_KEY_ENCRYPTION_KEYS, database["NAME"]]:
        assert str(secret) not in body
    assert "worker-host.internal" not in body and "4242" not in body


@pytest.mark.django_db
def test_healthz_answers_over_plain_http_where_pages_redirect_to_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    beat()
    assert client.get("/healthz").status_code == 200
    assert client.get("/").status_code == 301


@pytest.mark.django_db
def test_healthz_takes_no_posts(client):
    assert client.post("/healthz").status_code == 405


# Outside a test transaction, as a worker runs: its loop closes connections found in one.
@pytest.mark.django_db(transaction=True)
def test_the_worker_command_beats_when_it_starts(client):
    call_command("db_worker", "--batch", "--no-reload", "--no-startup-delay", verbosity=0)
    assert WorkerHeartbeat.objects.count() == 1
    assert healthz(client)[0] == 200


@pytest.mark.django_db(transaction=True)
def test_a_worker_keeps_beating_from_its_own_thread_and_forgets_long_silent_ones(settings):
    settings.WORKER_HEARTBEAT_SECONDS = 0.05
    beat(seconds_ago=2 * 24 * 3600, worker_id="gone")
    with heartbeat.beating("w2"):
        first = WorkerHeartbeat.objects.get(worker_id="w2").beat_at
        time.sleep(0.5)
        later = WorkerHeartbeat.objects.get(worker_id="w2").beat_at
    assert later > first
    assert list(WorkerHeartbeat.objects.values_list("worker_id", flat=True)) == ["w2"]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    return {
        **base,
        **PRODUCTION,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'ops.sqlite3'}",
        **extra,
    }


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


ASK_HEALTHZ = (
    "from django.test import Client; r = Client().get('/healthz'); "
    "print(r.status_code, r.content.decode())"
)


def test_a_real_worker_process_beats_and_healthz_sees_it_stop(tmp_path):
    env = _env(tmp_path, WORKER_HEARTBEAT_SECONDS="1")
    _manage(env, "migrate", "-v0")
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            status, body = _manage(env, "shell", "--no-imports", "-c", ASK_HEALTHZ).stdout.split(
                " ", 1
            )
            if status == "200" or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert status == "200", body
        assert json.loads(body)["worker"]["alive"] == 1
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    # Three beats missed, and it counts as gone.
    time.sleep(3.5)
    status, body = _manage(env, "shell", "--no-imports", "-c", ASK_HEALTHZ).stdout.split(" ", 1)
    assert status == "503"
    assert json.loads(body)["worker"]["last_heartbeat"] is not None


def test_logs_are_json_lines_on_stdout_when_asked(tmp_path):
    env = _env(tmp_path, DJANGO_LOG_JSON="1")
    said = _manage(
        env,
        "shell",
        "--no-imports",
        "-c",
        "import logging; log = logging.getLogger('convai_dashboard.ops');"
        "log.warning('a %s line', 'structured', extra={'character': 'abc'});"
        "\ntry:\n    1 / 0\nexcept ZeroDivisionError:\n    log.exception('it broke')",
    )
    lines = [json.loads(line) for line in said.stdout.splitlines()]
    assert lines[0]["level"] == "WARNING" and lines[0]["logger"] == "convai_dashboard.ops"
    assert lines[0]["message"] == "a structured line" and lines[0]["character"] == "abc"
    assert lines[0]["time"].endswith("+00:00")
    assert lines[1]["message"] == "it broke" and "ZeroDivisionError" in lines[1]["exc_info"]
    assert said.stderr == ""


def test_gunicorn_serves_the_dashboard_with_the_projects_settings_and_json_logs(tmp_path):
    env = _env(tmp_path, DJANGO_LOG_JSON="1")
    _manage(env, "migrate", "-v0")
    port = free_port()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                    sock.sendall(b"GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
                    # HTTP/1.0: the server closes the connection after its answer.
                    answer = b"".join(iter(lambda: sock.recv(65536), b"")).decode()
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, (
                    "gunicorn did not start"
                )
                time.sleep(0.3)
        # No worker runs here, so the answer is 503; what matters is who gave it, and how.
        assert answer.startswith("HTTP/1.0 503") and '"worker": {"ok": false' in answer
    finally:
        server.terminate()
        out, _ = server.communicate(timeout=60)
    lines = [json.loads(line) for line in out.splitlines()]
    assert {"gunicorn.error", "gunicorn.access"} <= {line["logger"] for line in lines}
    assert any(
        '"GET /healthz HTTP/1.0" 503' in line["message"]
        for line in lines
        if line["logger"] == "gunicorn.access"
    )
    assert any("Using worker: gthread" in line["message"] for line in lines)


def test_gunicorn_will_not_start_on_a_setting_a_system_check_refuses(tmp_path):
    env = _env(tmp_path, CONVAI_KEY_ENCRYPTION_KEYS="not-a-key")
    started = subprocess.run(
        [str(Path(sys.executable).parent / "gunicorn"), "--bind", f"127.0.0.1:{free_port()}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert started.returncode != 0
    assert "accounts.E001" in started.stdout + started.stderr
    assert "Booting worker" not in started.stdout + started.stderr
