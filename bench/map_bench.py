"""A map of 10,000 services: build time, HTML size, and time to draw in headless Chromium.

Services are one canvas GeoJSON layer of dots per category (`mapping.layers.LARGE_MAP`), with
our grid clustering; referrals are one thin canvas layer. Run on demand (not a test; needs
Debian's chromium and the playwright package):

    python -m bench.map_bench [--services 10000] [--gaps] [--keep FILE.html]
    python -m bench.map_bench --services 100000 --country IT   # a national map (issue #19)

From `mapping.layers.NATIONAL_MAP` services a map is national: counts by area at low zoom,
each service only where the view is (`NationalPoints`, `NationalRoutes`).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench.generate import generate, write

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


def draw_seconds(page_file: Path) -> tuple[float, int, list[str]]:
    """Seconds from navigation to the map drawn (dots on the canvas, clusters placed)."""
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 800})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            t = time.perf_counter()
            page.goto(page_file.as_uri())
            page.wait_for_selector(".leaflet-container canvas")
            page.wait_for_selector(".ra-cluster")
            page.evaluate("() => new Promise(r => requestAnimationFrame(() => r()))")
            seconds = time.perf_counter() - t
            clusters = page.locator(".ra-cluster").count()
            page.screenshot(path=str(page_file.with_suffix(".png")))
        finally:
            browser.close()
    return seconds, clusters, errors


def main(argv: list[str] | None = None) -> int:
    from mapping.build import build_map, save_map
    from pathways.io.load import load_site

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--services", type=int, default=10_000)
    p.add_argument("--gaps", action="store_true", help="also find and draw the gaps")
    p.add_argument("--keep", type=Path, help="write the HTML here (and a PNG beside it)")
    p.add_argument(
        "--country", help="services around this country's real towns (bench.towns), e.g. IT"
    )
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        if args.country:
            inv_data = generate(args.services, country=args.country, towns=True)
        else:
            inv_data = generate(args.services)
        source = write(inv_data, Path(tmp) / "synthetic.yaml", boundary=bool(args.country))
        t = time.perf_counter()
        inv = load_site(source)
        print(f"load {len(inv.services):,} services: {time.perf_counter() - t:.2f} s")
        gaps = None
        if args.gaps:
            from pathways.analysis.gaps import find_gaps

            t = time.perf_counter()
            gaps = find_gaps(inv)
            print(f"find_gaps: {len(gaps)} gaps in {time.perf_counter() - t:.2f} s")
        t = time.perf_counter()
        m = build_map(inv, gaps=gaps, tiles=None)
        out = args.keep or Path(tmp) / "map.html"
        save_map(m, out)
        print(
            f"build_map + save_map: {time.perf_counter() - t:.2f} s, "
            f"{out.stat().st_size / 1e6:.1f} MB of HTML"
        )
        seconds, clusters, errors = draw_seconds(out)
        print(f"drawn in Chromium: {seconds:.2f} s ({clusters} cluster badges at the first zoom)")
        if errors:
            print("console errors:", *errors[:5], sep="\n  ")
        return 1 if errors or seconds > 5 else 0


if __name__ == "__main__":
    raise SystemExit(main())
