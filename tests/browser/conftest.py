"""Browser journeys: one headless Chromium per run, a fresh context per test, at phone and desktop widths.

Every page a test lands on is audited with axe-core, without the test asking for it. An init script runs
axe in each document of the portal once it has loaded (or as soon as the browser starts to leave it) and
reports through the console; the ``page`` fixture holds every navigation of the main frame until the page
being left has reported. So no page escapes the audit, however fast a test clicks, follows a link or submits
a form, and future tests get it by asking for ``page``. Failures surface:

- at ``visit(path)`` and ``shot(name)``, which wait for the audit of the page they land on;
- when the test body returns, for everything audited since (the last page included);
- at ``audit()``, which audits the current state again (an open menu, content swapped in by HTMX).

An audit fails the test on any axe violation of impact "serious" or "critical" (rule, help, target nodes),
on text exactly the colour of its background (axe only flags it "to review"), and on anything that makes the
page scroll sideways (nothing may overflow 390 px). Screenshots land in ``test-artifacts/browser/<test>/``
(gitignored); look at them.
"""

import copy
import functools
import json
import mimetypes
import os
import signal
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from playwright.sync_api import sync_playwright

from tests.reference_data import ensure_reference_data

BROWSER_TESTS_DIR = Path(__file__).resolve().parent
ARTIFACTS_DIR = Path(settings.BASE_DIR) / "test-artifacts" / "browser"
AXE_PATH = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_PATH = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--lang=fr-FR",  # the browser's own widgets (date fields) in French, as on a French professional's phone
]
VIEWPORTS = {
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": {"width": 1280, "height": 900}},
}
BLOCKING_IMPACTS = ("serious", "critical")

# Added to every document of the context, before the page's own scripts. In the top frame of a page of the
# portal, it loads axe-core, announces the document, and audits it once: when it has loaded, or when the
# browser is about to leave it (a quick click may come before "load"). Reports go out through the console:
# the page can still talk to the test while its next navigation is held, but not be asked anything.
_AUDIT_INIT_JS = """
(() => {
  if (window !== window.top || !/^https?:$/.test(location.protocol)) return;
  /* axe-core */
  %(axe_source)s
  const impacts = %(impacts)s;
  const send = (message) => console.debug("%(marker)s" + JSON.stringify(message));
  const audit = async () => {
    // Transitions first (Pico fades the menu in): axe takes a transparent element for a hidden one.
    const finite = document.getAnimations().filter((a) => a.effect?.getComputedTiming().endTime !== Infinity);
    await Promise.all(finite.map((a) => a.finished.catch(() => null)));
    const results = await axe.run(document, { resultTypes: ["violations", "incomplete"] });
    // axe only asks for a review of text exactly the colour of its background: here that is invisible text.
    const invisible = results.incomplete
      .filter((v) => v.id === "color-contrast")
      .map((v) => ({
        ...v,
        help: "Text is the same colour as its background (invisible)",
        impact: "serious",
        nodes: v.nodes.filter((n) => n.any.some((check) => check.data && check.data.messageKey === "equalRatio")),
      }))
      .filter((v) => v.nodes.length);
    const violations = [...results.violations, ...invisible]
      .filter((v) => impacts.includes(v.impact))
      .map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        helpUrl: v.helpUrl,
        nodes: v.nodes.slice(0, 10).map((n) => ({
          target: n.target.join(" "),
          html: n.html.slice(0, 300),
          summary: n.failureSummary,
        })),
      }));
    // Anything wider than the viewport makes the page scroll sideways: name what reaches the far edge.
    const width = document.documentElement.clientWidth;
    const scrollWidth = document.documentElement.scrollWidth;
    const overflowing = [];
    if (scrollWidth > width) {
      const name = (el) =>
        el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + [...el.classList].map((c) => "." + c).join("");
      // A scrolling box (a wide table in .table-scroll) clips what it holds, unless that is positioned.
      const clipped = (el) => {
        if (["absolute", "fixed"].includes(getComputedStyle(el).position)) return false;
        for (let node = el.parentElement; node && node !== document.body; node = node.parentElement) {
          if (getComputedStyle(node).overflowX !== "visible") return true;
        }
        return false;
      };
      const reaching = [...document.body.querySelectorAll("*")].filter((el) => {
        const box = el.getBoundingClientRect();
        return box.width > 0 && box.right + window.scrollX >= scrollWidth - 1 && !clipped(el);
      });
      const deepest = reaching.filter((el) => !reaching.some((other) => other !== el && el.contains(other)));
      for (const el of deepest.slice(0, 5)) {
        const path = [];
        for (let node = el; node && node !== document.body && path.length < 6; node = node.parentElement) {
          path.unshift(name(node));
        }
        overflowing.push(path.join(" > "));
      }
    }
    return {
      url: location.href,
      title: document.title,
      violations,
      overflowing,
      scrollWidth,
      width,
    };
  };
  const docId = Math.random().toString(36).slice(2) + Date.now().toString(36);
  let started = false;
  const auditOnce = async () => {
    if (started) return;
    started = true;
    try {
      send({ event: "report", docId, ...(await audit()) });
    } catch (error) {
      send({ event: "error", docId, url: location.href, error: String(error) });
    }
  };
  window.__a11yAudit = audit;  // audit() in a test: again, after HTMX changed the page
  send({ event: "begin", docId, url: location.href });
  window.addEventListener("load", () => requestAnimationFrame(() => setTimeout(auditOnce, 0)));
  window.addEventListener("beforeunload", () => { auditOnce(); });
})();
"""
_CONSOLE_MARKER = "__a11y_audit__"
AUDIT_WAIT_SECONDS = 8  # under the 10 s of the actions, so that a stuck audit says so itself


def pytest_collection_modifyitems(config, items):
    # Every test under tests/browser/ is a browser test: `pytest -m "not browser"` leaves them all out.
    for item in items:
        if Path(item.path).is_relative_to(BROWSER_TESTS_DIR):
            item.add_marker(pytest.mark.browser)


# A wait Playwright does not bound itself (a DevTools call, opening or closing a context) must not hang the run
# forever: each phase of a browser test (setup, body, teardown) fails past this many seconds, naming the phase.
BROWSER_PHASE_SECONDS = 240


class _PhaseDeadline:
    def __init__(self, item, phase):
        self.message = f"{item.nodeid}: {phase} still running after {BROWSER_PHASE_SECONDS} s: stuck, stopped."

    def _expired(self, signum, frame):
        pytest.fail(self.message, pytrace=True)

    def __enter__(self):
        self.previous = signal.signal(signal.SIGALRM, self._expired)
        signal.alarm(BROWSER_PHASE_SECONDS)

    def __exit__(self, *exc):
        signal.alarm(0)
        signal.signal(signal.SIGALRM, self.previous)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    with _PhaseDeadline(item, "setup"):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item):
    with _PhaseDeadline(item, "teardown"):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    with _PhaseDeadline(item, "test body"):
        outcome = yield  # when the test itself fails, that failure is the news: it propagates from here
        auditor = getattr(item, "_a11y_auditor", None)
        if auditor is not None:
            auditor.wait()  # the page the test ended on
            auditor.raise_problems()
        return outcome


@pytest.fixture(autouse=True)
def _cache_keys_of_this_run(settings):
    # The sign-in limits count in Redis under the tests' key prefix, which every test of every run on this
    # machine empties when it starts (tests/conftest.py): a run alongside would reset the lock-out counters
    # in the middle of a journey. The journeys count under a prefix of their own process instead.
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["KEY_PREFIX"] = f"{caches['default'].get('KEY_PREFIX', 'cpts')}-browser-{os.getpid()}"
    settings.CACHES = caches  # Django reconnects its caches when CACHES changes
    _delete_cache_keys()
    yield
    _delete_cache_keys()


def _delete_cache_keys():
    from django.core.cache import cache

    client = cache._cache.get_client(write=True)
    keys = list(client.scan_iter(match=f"{cache.key_prefix}:*", count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture(autouse=True)
def _reference_data(transactional_db):
    # An earlier browser test's flush emptied the communes, professions and tools the directory needs.
    ensure_reference_data()
    yield
    _wait_for_the_live_servers_requests()


LIVE_SERVER_DRAIN_SECONDS = 15


def _wait_for_the_live_servers_requests():
    # The page closes before the live server has answered its last request (an HTMX redraw, a beacon): the
    # flush that empties the database after the test would then meet that request's locks and be chosen as
    # the victim of a deadlock. Wait until no other session of this database is inside a statement or a
    # transaction.
    from django.db import connection

    deadline = time.monotonic() + LIVE_SERVER_DRAIN_SECONDS
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid() AND state IS NOT NULL AND state <> 'idle'"
            )
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(0.05)


@pytest.fixture(scope="package")
def browser():
    # Playwright's sync API keeps an asyncio loop running in this thread, so Django would take every ORM call
    # of the test (fixtures, assertions) for async code. The live server answers from its own thread.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="package")
def audit_init_script():
    if not AXE_PATH.exists():
        pytest.fail(f"{AXE_PATH} is missing: run `npm ci` (or `make assets`).", pytrace=False)
    return _AUDIT_INIT_JS % {
        "axe_source": AXE_PATH.read_text(encoding="utf-8"),
        "impacts": json.dumps(BLOCKING_IMPACTS),
        "marker": _CONSOLE_MARKER,
    }


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request):
    """The width the test runs at: "phone" (390 x 844, touch) or "desktop" (1280 x 900)."""
    return request.param


@pytest.fixture
def artifacts_dir(request, viewport):
    directory = ARTIFACTS_DIR / request.node.originalname
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob(f"{viewport}-*.png"):
        stale.unlink()
    return directory


@pytest.fixture
def context(browser, live_server, viewport, audit_init_script):
    context = browser.new_context(
        base_url=live_server.url, locale="fr-FR", timezone_id="Europe/Paris", **VIEWPORTS[viewport]
    )
    context.set_default_timeout(10_000)
    context.add_init_script(audit_init_script)
    yield context
    context.close()


@pytest.fixture
def page(request, context, viewport):
    """A Playwright page whose every document is audited (see the module docstring)."""
    page = context.new_page()
    request.node._a11y_auditor = PageAuditor(page, viewport)
    yield page
    del request.node._a11y_auditor


@pytest.fixture
def audit(request, page):
    """``audit()`` audits the current page again now (after HTMX changed it without a navigation)."""

    def run():
        auditor = request.node._a11y_auditor
        auditor.audit_again()
        auditor.raise_problems()

    return run


@pytest.fixture
def visit(request, page):
    """``visit("/path/")`` opens a page of the live server and fails at once if its audit does."""

    def go(path):
        # A document still loading (just after a form's redirect) has its files held behind the navigation
        # that waits for its audit: let it load first.
        if page.url.startswith(("http://", "https://")):
            page.wait_for_load_state("load")
        response = page.goto(path)
        auditor = request.node._a11y_auditor
        auditor.wait()
        auditor.raise_problems()
        return response

    return go


@pytest.fixture
def shot(request, page, artifacts_dir, viewport):
    """``shot("name")`` saves a full-page screenshot of the current page, once it has loaded and been audited."""
    numbers = iter(range(1, 100))

    def take(name):
        page.wait_for_load_state("load")
        auditor = request.node._a11y_auditor
        auditor.wait()
        path = artifacts_dir / f"{viewport}-{next(numbers):02d}-{name}.png"
        page.screenshot(path=path, full_page=True, animations="disabled")
        auditor.raise_problems()
        return path

    return take


@functools.cache
def _static_file(path: str) -> tuple[bytes, str] | None:
    found = finders.find(path)
    if not found:
        return None
    return Path(found).read_bytes(), mimetypes.guess_type(found)[0] or "application/octet-stream"


def _static_asset(url: str) -> tuple[bytes, str] | None:
    path = urlsplit(url).path
    if not path.startswith(settings.STATIC_URL):
        return None
    return _static_file(path.removeprefix(settings.STATIC_URL))


class PageAuditor:
    """Collects the audit of each document shown in one page (see the module docstring)."""

    def __init__(self, page, viewport):
        self.page = page
        self.viewport = viewport
        self.reports: dict[str, dict | None] = {}  # document id -> its report, None while it runs
        self.current: str | None = None  # the document the page shows
        self.problems: list[str] = []
        page.on("console", self._on_console)
        page.route("**/*", self._on_request)

    @property
    def audited_urls(self) -> list[str]:
        return [report["url"] for report in self.reports.values() if report and "violations" in report]

    def _on_console(self, message):
        text = message.text
        if not text.startswith(_CONSOLE_MARKER):
            return
        event = json.loads(text[len(_CONSOLE_MARKER) :])
        if event["event"] == "begin":
            self.reports[event["docId"]] = None
            self.current = event["docId"]
        elif event["event"] == "error":
            self.reports[event["docId"]] = event
            self.problems.append(f"axe-core failed on {event['url']}: {event['error']}")
        else:
            self.reports[event["docId"]] = event
            self._record(event)

    def _on_request(self, route):
        request = route.request
        if request.is_navigation_request() and request.frame == self.page.main_frame:
            # The browser keeps the current document until this request is answered: let its audit finish.
            self.wait()
        elif request.method == "GET" and (asset := _static_asset(request.url)):
            # Routing turns the browser's HTTP cache off: static files come from memory, not the live server.
            route.fulfill(status=200, body=asset[0], headers={"Content-Type": asset[1]})
            return
        route.fallback()

    def wait(self):
        """Waits for the audit of the document the page shows."""
        document = self.current
        if document is None:
            return
        deadline = time.monotonic() + AUDIT_WAIT_SECONDS
        while self.reports.get(document) is None:
            if time.monotonic() > deadline:
                self.problems.append(f"No accessibility audit of {self.page.url} after {AUDIT_WAIT_SECONDS} s.")
                self.reports[document] = {"url": self.page.url, "timed_out": True}
                return
            self.page.wait_for_timeout(15)  # lets Playwright deliver the page's messages meanwhile

    def audit_again(self):
        self.wait()
        if self.page.url.startswith(("http://", "https://")):
            self._record(self.page.evaluate("() => window.__a11yAudit()"))

    def _record(self, report):
        found = []
        for violation in report["violations"]:
            found.append(f"[{violation['impact']}] {violation['id']}: {violation['help']} ({violation['helpUrl']})")
            for node in violation["nodes"]:
                summary = (node["summary"] or "").replace("\n", " / ")
                found.append(f"    at {node['target']}: {node['html']}\n      {summary}")
        if report["overflowing"]:
            found.append(
                f"[layout] the page scrolls sideways: {report['scrollWidth']} px wide in a {report['width']} px "
                f"viewport; overflowing: {'; '.join(report['overflowing'])}"
            )
        if found:
            self.problems.append(
                f"Audit of {report['url']} (« {report['title']} ») at {self.viewport} width:\n" + "\n".join(found)
            )

    def raise_problems(self):
        if self.problems:
            problems, self.problems = self.problems, []
            pytest.fail("\n\n".join(problems), pytrace=False)
