"""A live portal on a free local port and a headless Debian chromium driven by Playwright."""
import os
import threading

import pytest
from waitress.server import create_server

from tests.conftest import Org, make_app

CHROMIUM = os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium")
# The werkzeug test server now and then resets a kept-alive connection under load; chromium logs
# that as a console error although the page got its answer (seen once in CI on a self-score page).
# It is transport noise of the test server, not a page error, so it alone is not counted.
TEST_SERVER_NOISE = ("net::ERR_CONNECTION_RESET",)

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture
def live_app(tmp_path):
    app = make_app(tmp_path)
    Org(app)
    return app


@pytest.fixture
def live_server(live_app):
    # Waitress, the server the portal is deployed on (scripts/serve): werkzeug's development server
    # dropped kept-alive connections under load, leaving unclosed static files and socket errors.
    server = create_server(live_app, host="127.0.0.1", port=0, threads=8, clear_untrusted_proxy_headers=True)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Debian chromium is missing at {CHROMIUM}: run scripts/install --test")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text)
            if msg.type == "error" and not any(n in msg.text for n in TEST_SERVER_NOISE) else None)
    yield page
    context.close()
    # A CSP violation or a JavaScript error is a bug even when the test's assertions pass.
    assert not errors, errors


def login(page, base, username, password="mat-khau-thu-nghiem"):
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
