"""Headless Chromium for the browser tests: the fixtures (a page signed in as nobody yet,
with every console error recorded) and the helpers they share. Loaded by conftest.py.

Chromium comes from the system (/usr/bin/chromium); Playwright cannot download its own here.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "a-long-browser-test-password"
SESSION_ID = "9fc15ee9-5f69-4f4b-916b-9c71a9a8786f"
HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=1">'


@pytest.fixture(scope="module")
def _async_unsafe_allowed() -> Iterator[None]:
    # Playwright's sync API keeps an event loop running in the test thread; Django would
    # otherwise refuse every ORM call made there (fixtures, factories, the database flush).
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(scope="module")
def browser(_async_unsafe_allowed: None) -> Iterator[Browser]:
    # CI installs Chromium: a missing browser is a failure, never a skip.
    assert CHROMIUM.exists(), f"Chromium not found at {CHROMIUM}; install the chromium package"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def console_errors() -> list[str]:
    return []


@pytest.fixture
def page(
    browser: Browser, live_server: Any, transactional_db: None, console_errors: list[str]
) -> Iterator[Page]:
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1400, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()

    def record(message: ConsoleMessage) -> None:
        if message.type == "error":
            console_errors.append(f"{message.text} [{message.location['url']}]")

    page.on("console", record)
    page.on("pageerror", lambda error: console_errors.append(f"uncaught: {error}"))
    yield page
    context.close()


def csp_violations(errors: list[str]) -> list[str]:
    return [text for text in errors if "Content Security Policy" in text]


def sign_in(page: Page, username: str = "tester") -> None:
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".site-header .who")).to_have_text(username)
