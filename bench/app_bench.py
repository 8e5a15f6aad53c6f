"""Time the Streamlit app in headless Chromium: first page, a filter change, concurrent sessions.

    python -m bench.app_bench                  # starts `streamlit run app.py` on a free port
    python -m bench.app_bench --url http://localhost:8501/ --sessions 20
    python -m bench.app_bench --workshop 10000 --sessions 20   # issue #19: the Workshop
                                               # (what-if page) of a 10,000-service site

Prints timings; asserts nothing (the app tests check behaviour, this measures it). Needs
Debian's chromium at /usr/bin/chromium and the playwright package (the `test` extra).

- first page: from `goto` until the Explore page of Brussels is interactive (script finished,
  no skeleton, the map's Leaflet container drawn), on a server that has just started (cold:
  includes imports and loading every inventory) and then again (warm: cached).
- script runs: the Explore script alone (streamlit's AppTest, no browser), first run and
  reruns after filter changes, best of three.
- filter change: from the click or key press until the rerun has finished and the page is
  drawn again, for a few Explore filters.
- concurrent sessions: N browser contexts open Brussels at once; the time until all are
  interactive, and each one's own time.
- `--workshop N` (issue #19): sessions opening the Workshop of an N-service site at once, three
  ways. (1) The server alone: N clients that speak Streamlit's websocket protocol (no browser)
  ask for the page; the time until each has received the whole page (script finished). (2) A
  facilitator among many: one Chromium page opens the Workshop while N-1 protocol clients open
  it too; the time until that page is interactive. Each facilitator's browser runs on their
  own computer; here it shares the two cores with the server serving all N. (3) N Chromium
  pages at once on this machine: N browsers and the server on two cores.

"Interactive": the script has finished, no skeleton is left, and the map has drawn its
markers (a national map: its count badges, after fetching its data).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'
RUNNING = '[data-testid="stApp"][data-test-script-state="running"]'
DONE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


@contextlib.contextmanager
def serve(data: Path | None = None) -> Iterator[str]:
    """`streamlit run app.py` on a free port (the shipped inventories, or the folder `data`);
    stopped afterwards."""
    from tests.test_app_browser import streamlit_app  # the browser tests' server, as they run it

    env = {k: v for k, v in os.environ.items() if k != "REFERRAL_ATLAS_DATA"}
    if data is not None:
        env["REFERRAL_ATLAS_DATA"] = str(data)
    with (
        tempfile.TemporaryDirectory() as folder,
        streamlit_app(Path(folder) / "streamlit.log", env, "--server.headless", "true") as (url, _),
    ):
        yield url


def interactive(page: Any, *, timeout: float = 120_000, polling: str | int = "raf") -> None:
    """Wait until the page has a title, the script is done, no skeleton, and the map is drawn.

    `polling` every animation frame times one page closely; many pages at once poll every
    250 ms instead (twenty pages repainting to poll would slow each other down)."""
    page.wait_for_selector('[data-testid="stMainBlockContainer"] h1', timeout=timeout)
    page.wait_for_selector(DONE, timeout=timeout)
    page.wait_for_function(
        "!document.querySelector('[data-testid=\"stSkeleton\"]')",
        timeout=timeout,
        polling=polling,
    )
    frame = page.frame_locator(MAP_FRAME)
    frame.locator(".leaflet-container").wait_for(timeout=timeout)
    frame.locator(".leaflet-marker-icon").first.wait_for(timeout=timeout)


def timed_rerun(page: Any, action: Callable[[], object]) -> float:
    """Seconds from an action to the end of the rerun it starts."""
    start = time.perf_counter()
    action()
    with contextlib.suppress(Exception):
        page.wait_for_selector(RUNNING, timeout=1_000)
    page.wait_for_selector(DONE, timeout=60_000)
    return time.perf_counter() - start


def first_page(browser: Any, url: str) -> float:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    start = time.perf_counter()
    page.goto(url + "?site=brussels")
    interactive(page)
    elapsed = time.perf_counter() - start
    context.close()
    return elapsed


def filter_changes(browser: Any, url: str) -> dict[str, float]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(url + "?site=brussels")
    interactive(page)

    def choose(key: str, text: str) -> Callable[[], None]:
        def act() -> None:
            page.locator(f".st-key-{key}").click()
            page.keyboard.type(text)
            page.keyboard.press("Enter")

        return act

    def flip(key: str) -> Callable[[], None]:
        return lambda: page.locator(f".st-key-{key} label").first.click()

    steps = {
        "language: Arabic": choose("explore_language", "Arabic"),
        "entry points only": flip("explore_entry_only"),
        "open at: on": flip("explore_open"),
        "day: Saturday": choose("explore_day", "Saturday"),
        "entry points: all": flip("explore_entry_only"),
    }
    out = {}
    for name, action in steps.items():
        out[name] = timed_rerun(page, action)
        page.keyboard.press("Escape")
    context.close()
    return out


def server_reruns(repeat: int = 3) -> dict[str, float]:
    """Seconds the script itself takes (no browser: streamlit's AppTest, in this process) for
    the first run and for each filter change, best of `repeat`."""
    from streamlit.testing.v1 import AppTest

    os.environ.pop("REFERRAL_ATLAS_DATA", None)
    steps: dict[str, Callable[[Any], Any]] = {
        "language: Arabic": lambda at: at.selectbox(key="explore_language").set_value("ar"),
        "age: 15": lambda at: at.number_input(key="explore_age").set_value(15),
        "open at: on": lambda at: at.toggle(key="explore_open").set_value(True),
        "day: Saturday": lambda at: at.selectbox(key="explore_day").set_value(5),
        "entry points only": lambda at: at.toggle(key="explore_entry_only").set_value(True),
        "everything again": lambda at: [
            at.selectbox(key="explore_language").set_value(None),
            at.number_input(key="explore_age").set_value(None),
            at.toggle(key="explore_open").set_value(False),
            at.toggle(key="explore_entry_only").set_value(False),
        ],
    }
    best: dict[str, float] = {}
    for _ in range(repeat):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.query_params["site"] = "brussels"
        start = time.perf_counter()
        at.run()
        best["first run"] = min(best.get("first run", 1e9), time.perf_counter() - start)
        for name, step in steps.items():
            step(at)
            start = time.perf_counter()
            at.run()
            best[name] = min(best.get(name, 1e9), time.perf_counter() - start)
            assert not at.exception, at.exception
    return best


def sessions(
    browser: Any,
    url: str,
    n: int,
    path: str = "?site=brussels",
    ready: Callable[..., None] = interactive,
) -> tuple[float, list[float]]:
    from tests.test_app_browser import STILL  # animations off: see there

    contexts = [
        browser.new_context(viewport={"width": 1200, "height": 900}, reduced_motion="reduce")
        for _ in range(n)
    ]
    for c in contexts:
        c.add_init_script(STILL)
    pages = [c.new_page() for c in contexts]
    start = time.perf_counter()
    for page in pages:
        page.goto(url + path, wait_until="commit")
    each = []
    for page in pages:
        ready(page, timeout=600_000, polling=250)
        each.append(time.perf_counter() - start)
    total = time.perf_counter() - start
    for c in contexts:
        c.close()
    return total, each


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", help="a running app (default: start one)")
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument(
        "--workshop",
        type=int,
        metavar="N",
        help="only the concurrent sessions, on the Workshop of an N-service synthetic site",
    )
    args = parser.parse_args(argv)
    if args.workshop:
        return workshop(args.workshop, args.sessions)
    for name, seconds in server_reruns().items():
        print(f"script run (server only), {name}: {seconds:.2f} s")
    from playwright.sync_api import sync_playwright

    with contextlib.ExitStack() as stack:
        url = args.url or stack.enter_context(serve())
        p = stack.enter_context(sync_playwright())
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        cold = first_page(browser, url)
        warm = [first_page(browser, url) for _ in range(3)]
        print(
            f"first page, Brussels: {cold:.2f} s on a fresh server; warm: "
            + ", ".join(f"{w:.2f}" for w in warm)
            + " s"
        )
        for name, seconds in filter_changes(browser, url).items():
            print(f"filter change, {name}: {seconds:.2f} s")
        total, each = sessions(browser, url, args.sessions)
        print(
            f"{args.sessions} concurrent sessions, Brussels: all interactive after {total:.1f} s "
            f"(median {statistics.median(each):.1f} s, first {min(each):.1f} s)"
        )
        browser.close()
    return 0


def workshop(size: int, n: int) -> int:
    """`n` sessions opening the Workshop of a `size`-service synthetic site at once, on a
    server that has served it once (as a facilitator's room would find it): the server alone,
    one browser among `n` sessions, and `n` browsers (see the module's help)."""
    from playwright.sync_api import sync_playwright

    from bench.run import default_data, ensure_files

    source, _ = ensure_files(size, 1, default_data())
    with tempfile.TemporaryDirectory() as folder:
        sites = workshop_folder(source, Path(folder))
        site = f"synthetic-{size}"
        path = f"what-if?site={site}"
        with serve(sites) as url, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            first, _ = sessions(browser, url, 1, path)
            warm, _ = sessions(browser, url, 1, path)
            alone = _in_thread(lambda: protocol_sessions(url, "what-if", f"site={site}", n))
            mixed = mixed_sessions(browser, url, path, site, n)
            total, each = sessions(browser, url, n, path)
            floor, _ = one_line_app(browser, n)
            browser.close()
    print(f"Workshop of {size:,} services")
    print(f"one browser session: {first:.1f} s (first on the server), then {warm:.1f} s")
    print(
        f"{n} sessions, server alone (no browser): every page received after "
        f"{max(alone):.2f} s (median {statistics.median(alone):.2f} s, first {min(alone):.2f} s)"
    )
    print(
        f"one browser among {n} sessions: interactive after {mixed[0]:.2f} s; the other "
        f"{n - 1} pages received after {max(mixed[1]):.2f} s"
    )
    print(
        f"{n} browsers at once on this machine: all interactive after {total:.1f} s (median "
        f"{statistics.median(each):.1f} s, first {min(each):.1f} s)"
    )
    print(f"the floor: {n} browsers at once opening a one-line Streamlit page: {floor:.1f} s")
    return 0


ONE_LINE_APP = 'import streamlit as st\n\nst.title("Referral Atlas")\n'


def one_line_app(browser: Any, n: int) -> tuple[float, list[float]]:
    """`n` browser sessions at once opening a Streamlit page of one title, on a server of its
    own: what `n` browsers on this machine cost before the app does anything."""
    from tests.test_app_browser import _free_port, _wait_healthy  # as the app's server starts

    def titled(page: Any, *, timeout: float, polling: str | int) -> None:
        page.wait_for_selector('[data-testid="stMainBlockContainer"] h1', timeout=timeout)
        page.wait_for_selector(DONE, timeout=timeout)

    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "one_line.py"
        script.write_text(ONE_LINE_APP, encoding="utf-8")
        port = _free_port()
        command = [sys.executable, "-m", "streamlit", "run", str(script)]
        command += ["--server.port", str(port), "--server.headless", "true"]
        command += ["--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"]
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait_healthy(f"http://localhost:{port}/_stcore/health", proc, script)
            url = f"http://localhost:{port}/"
            sessions(browser, url, 1, "", titled)  # the server's first run
            return sessions(browser, url, n, "", titled)
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def workshop_folder(source: Path, folder: Path) -> Path:
    """A data folder holding the synthetic inventory only, its boundary in a subfolder: next to
    it, the app would take the boundary for an inventory that does not load, and draw the error
    on every page."""
    (folder / "boundaries").mkdir()
    boundary = source.parent / "synthetic-country.geojson"
    shutil.copyfile(boundary, folder / "boundaries" / boundary.name)  # a link leads outside
    text = source.read_text(encoding="utf-8")
    line = f"boundary: {boundary.name}"
    if line not in text:
        raise SystemExit(f"{source}: no '{line}' line to point at the boundary's new place")
    (folder / source.name).write_text(
        text.replace(line, f"boundary: boundaries/{boundary.name}", 1), encoding="utf-8"
    )
    return folder


async def protocol_session(url: str, page: str, query: str, start: float) -> float:
    """One session as the browser's script would open it (Streamlit's websocket protocol,
    `BackMsg.rerun_script`), without drawing anything: seconds from `start` until the
    server has sent the whole page (its `script_finished` message)."""
    import websockets
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    stream = url.replace("http", "ws", 1).rstrip("/") + "/_stcore/stream"
    async with websockets.connect(stream, subprotocols=["streamlit"], max_size=None) as ws:
        ask = BackMsg()
        ask.rerun_script.query_string = query
        ask.rerun_script.page_name = page
        await ws.send(ask.SerializeToString())
        while True:
            message = ForwardMsg.FromString(await ws.recv())
            if message.WhichOneof("type") == "script_finished":
                return time.perf_counter() - start


async def protocol_sessions(url: str, page: str, query: str, n: int) -> list[float]:
    """`n` protocol sessions at once: each one's seconds until its page was sent."""
    start = time.perf_counter()
    return list(
        await asyncio.gather(*(protocol_session(url, page, query, start) for _ in range(n)))
    )


def _in_thread(run: Callable[[], Coroutine[Any, Any, list[float]]]) -> list[float]:
    """Run a coroutine to its end in a thread of its own (Playwright's sync API keeps an event
    loop running in this one)."""
    out: list[float] = []
    thread = threading.Thread(target=lambda: out.extend(asyncio.run(run())))
    thread.start()
    thread.join()
    return out


def mixed_sessions(
    browser: Any, url: str, path: str, site: str, n: int
) -> tuple[float, list[float]]:
    """One browser page and `n - 1` protocol sessions opening the same page at once: the
    page's seconds until interactive, and the others' until sent."""
    others: list[float] = []

    def run_others() -> None:
        others.extend(asyncio.run(protocol_sessions(url, "what-if", f"site={site}", n - 1)))

    thread = threading.Thread(target=run_others)
    thread.start()
    page_time, _ = sessions(browser, url, 1, path)
    thread.join()
    return page_time, others


if __name__ == "__main__":
    raise SystemExit(main())
