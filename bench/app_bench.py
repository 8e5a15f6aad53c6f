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
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
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
    page.frame_locator(MAP_FRAME).locator(".leaflet-container").wait_for(timeout=timeout)


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
    browser: Any, url: str, n: int, path: str = "?site=brussels"
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
        interactive(page, timeout=600_000, polling=250)
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
    server that has served it once (as a facilitator's room would find it)."""
    from playwright.sync_api import sync_playwright

    from bench.run import default_data, ensure_files

    source, _ = ensure_files(size, 1, default_data())
    with tempfile.TemporaryDirectory() as folder:
        sites = Path(folder)
        for f in source.parent.glob(f"{source.stem}.yaml"):
            (sites / f.name).symlink_to(f)
        for f in source.parent.glob("synthetic-country.geojson"):
            (sites / f.name).symlink_to(f)
        site = f"synthetic-{size}"
        with serve(sites) as url, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            path = f"what-if?site={site}"
            first, _ = sessions(browser, url, 1, path)
            total, each = sessions(browser, url, n, path)
            browser.close()
    print(
        f"Workshop of {size:,} services: one session {first:.1f} s (first on the server); "
        f"{n} at once: all interactive after {total:.1f} s (median {statistics.median(each):.1f} "
        f"s, first {min(each):.1f} s)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
