"""Real chromium against a real server (documented in docs/web.md, "Test fixtures").

* ``browser_world`` — a prepared home (the data of :mod:`web.prepared`) for the whole run.
* ``live_server`` — ``uvicorn keyguard.web.app:create_app`` in a subprocess on 127.0.0.1
  with a free port, serving that home; its value is the base URL.
* ``chromium`` — Debian's ``/usr/bin/chromium`` driven by Playwright (sync API). A missing
  browser skips the tests locally and fails them under CI (``CI`` set).
* ``open_as(key, language="en")`` — a new page logged in as account ``key`` through the form,
  in a browser context whose language is ``language`` (``"zh"`` for Simplified Chinese).
* ``run_axe(page)`` — axe-core (the vendored copy) over the page; returns the violations.

Mark browser tests ``@pytest.mark.browser`` and ``@pytest.mark.xdist_group("browser")`` so
that they share one worker, one server and one browser.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from keyguard import config
from keyguard.db.engine import make_engine
from keyguard.db.migrate import upgrade
from keyguard.db.session import session_scope
from keyguard.identity.bootstrap import mark_home, prepare_home
from keyguard.privacy import pseudonyms
from web.prepared import World, build_world

CHROMIUM = os.environ.get("KEYGUARD_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
CHEAP_ARGON2 = {"KEYGUARD_ARGON2_TIME_COST": "1", "KEYGUARD_ARGON2_MEMORY_COST": "1024"}


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: browser tests cannot run under CI")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser_world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, World]:
    home = tmp_path_factory.mktemp("browser") / "home"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KEYGUARD_HOME", str(home))
        mp.delenv("KEYGUARD_DATABASE_URL", raising=False)
        mp.delenv("KEYGUARD_NOW", raising=False)
        for key, value in CHEAP_ARGON2.items():
            mp.setenv(key, value)
        config.reset_settings()
        pseudonyms.clear_key_cache()
        prepare_home(home)
        engine = make_engine(f"sqlite:///{home / 'keyguard.db'}")
        upgrade(engine)
        with session_scope(engine) as s:
            world = build_world(s, home=home)
        engine.dispose()
        mark_home(home)
    config.reset_settings()
    pseudonyms.clear_key_cache()
    return home, world


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serving(home: Path) -> Iterator[str]:
    """``keyguard``'s web app served from ``home`` on a free port of 127.0.0.1 (a real
    uvicorn process with nothing of the test's KEYGUARD_* environment); yields the base URL."""
    port = _free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("KEYGUARD_") or k == "KEYGUARD_CHROMIUM"
    }
    env.update(KEYGUARD_HOME=str(home), **CHEAP_ARGON2)
    log = (home / "server.log").open("w", encoding="utf-8")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "keyguard.web.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    try:
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    "the server did not start:\n"
                    + (home / "server.log").read_text(encoding="utf-8")
                )
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="session")
def live_server(browser_world: tuple[Path, World]) -> Iterator[str]:
    home, _world = browser_world
    with serving(home) as base:
        yield base


def sign_in(page: Any, email: str, password: str) -> Any:
    """Log in on ``page`` (English) and wait until the login page is left."""
    page.goto("/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login" not in url)
    return page


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        _missing(f"no chromium at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed")
    pw = sync_playwright().start()
    try:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    except Exception as exc:
        pw.stop()
        _missing(f"chromium does not start: {exc}")
    yield browser
    browser.close()
    pw.stop()


@pytest.fixture
def open_as(
    chromium: Any, live_server: str, browser_world: tuple[Path, World]
) -> Iterator[Callable[..., Any]]:
    _home, world = browser_world
    contexts: list[Any] = []

    def make(key: str, language: str = "en") -> Any:
        locale = "zh-CN" if language == "zh" else "en-GB"
        context = chromium.new_context(base_url=live_server, locale=locale)
        context.set_default_timeout(15000)
        contexts.append(context)
        page = context.new_page()
        page.goto("/login")
        # The language switch of the login page; the choice becomes the account's.
        page.locator("#language-switch").select_option("zh_Hans_CN" if language == "zh" else "en")
        page.locator("form.language-switch button").click()
        page.wait_for_load_state()
        page.get_by_label("电子邮件地址" if language == "zh" else "E-mail address").fill(
            world.email(key)
        )
        page.get_by_label("密码" if language == "zh" else "Password", exact=True).fill(
            world.password
        )
        page.get_by_role("button", name="登录" if language == "zh" else "Log in").click()
        page.wait_for_url(lambda url: "/login" not in url)
        return page

    yield make
    for context in contexts:
        context.close()


def run_axe(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations on the current page (the vendored copy, served by the app)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(url="/static/vendor/axe.min.js")
    result = page.evaluate(
        "async () => await window.axe.run(document, {resultTypes: ['violations']})"
    )
    return list(result["violations"])
