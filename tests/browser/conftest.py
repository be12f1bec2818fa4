"""A real `make run` stack (services, gateway, portal, demo data) and a headless Chromium.

The session starts ``python -m deploy.local.launch`` -- the very launcher of ``make run`` -- in a
temporary folder (deploy/local/sandbox.py: its own RabbitMQ vhost, free ports, a CLOCK_FILE,
ready once the demo data is loaded and the portal answers) and drives Debian's
/usr/bin/chromium with Playwright. Playwright's sync API cannot run under eventlet's
monkey-patching (its event loop fiber is re-parented to eventlet's hub and never returns), so
these tests run in a pytest of their own: ``pytest -p no:pytest_eventlet tests/browser``
(``make test`` does).
"""

from __future__ import annotations

import os
import sys
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from deploy.local.sandbox import Sandbox, sandbox

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PASSWORD = "Weihai-Demo-2026"
SCREENSHOTS = ROOT / "docs" / "screenshots"
# Pages without JavaScript: axe-core is a script, so it cannot run there (the same pages are
# checked in the JavaScript journey).
NO_SCRIPT_PAGES: weakref.WeakSet[Any] = weakref.WeakSet()
WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


def _eventlet_patched() -> bool:
    if "eventlet" not in sys.modules:
        return False
    from eventlet import patcher
    return bool(patcher.is_monkey_patched("socket"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    reasons = []
    if _eventlet_patched():
        reasons.append("browser tests run in their own pytest without eventlet: "
                       "pytest -p no:pytest_eventlet tests/browser (make test does)")
    elif not CHROMIUM.exists():
        reasons.append("no /usr/bin/chromium: as root, apt-get install -y chromium "
                       "fonts-noto-cjk (deploy/local/setup.sh browser)")
    else:
        try:
            import axe_playwright_python  # noqa: F401
            import playwright  # noqa: F401
        except ImportError:
            reasons.append("playwright / axe-playwright-python missing: pip install -e '.[test]'")
    if not reasons:
        return
    skip = pytest.mark.skip(reason=reasons[0])
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    with sandbox(tmp_path_factory.mktemp("stack"), prefix="browser") as running:
        yield running


@pytest.fixture
def clock(stack: Sandbox) -> Iterator[Sandbox]:
    """The stack for a test that moves its clock (``clock.set_clock``): back to real time
    afterwards, so the tests after it see the demo's notice open again."""
    yield stack
    stack.clock_file.unlink(missing_ok=True)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.failed_call = report.failed  # type: ignore[attr-defined]


@pytest.fixture
def new_page(browser: Any, stack: Sandbox, request: pytest.FixtureRequest,
             tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """``new_page(javascript=True)``: a page in a fresh context (own cookies) on the portal.
    When the test fails, each page's HTML and a screenshot are kept under its tmp_path."""
    contexts: list[Any] = []

    def make(javascript: bool = True) -> Any:
        context = browser.new_context(base_url=stack.portal_url, locale="zh-CN",
                                      java_script_enabled=javascript,
                                      viewport=WIDTHS["desktop"])
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        if not javascript:
            NO_SCRIPT_PAGES.add(page)
        return page

    yield make
    if getattr(request.node, "failed_call", False):
        for i, page in enumerate(p for c in contexts for p in c.pages):
            (tmp_path / f"page-{i}.html").write_text(f"<!-- {page.url} -->\n" + page.content())
            page.screenshot(path=str(tmp_path / f"page-{i}.png"), full_page=True)
        print(f"pages of the failed test kept in {tmp_path}")
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: Callable[..., Any]) -> Any:
    return new_page()


def log_in(page: Any, username: str) -> None:
    """Log in through the login form as a person does."""
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


@pytest.fixture
def login(new_page: Callable[..., Any]) -> Callable[..., Any]:
    """``login("wendeng-hr", javascript=True)``: a new page logged in as that demo user."""

    def make(username: str, javascript: bool = True) -> Any:
        page = new_page(javascript)
        log_in(page, username)
        return page

    return make


def axe_check(page: Any) -> None:
    """axe-core (shipped inside axe-playwright-python, so offline) on the page: 0 serious or
    critical violations."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    bad = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    summary = [f"{v['id']} ({v['impact']}): {v['help']} at "
               f"{[n['target'] for n in v['nodes']][:3]}" for v in bad]
    assert not bad, f"accessibility violations on {page.url}:\n" + "\n".join(summary)


def shot(page: Any, name: str) -> None:
    """PNG of the page at desktop and phone width under docs/screenshots/ when SCREENSHOTS=1."""
    if os.environ.get("SCREENSHOTS") != "1":
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    before = page.viewport_size
    for label, size in WIDTHS.items():
        page.set_viewport_size(size)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size(before)


def visit(page: Any, name: str) -> None:
    """What every journey does on every page it reaches: axe, then the screenshots (the pages
    without JavaScript look the same, so they are not shot twice)."""
    page.wait_for_load_state()
    if page not in NO_SCRIPT_PAGES:
        axe_check(page)
        shot(page, name)
