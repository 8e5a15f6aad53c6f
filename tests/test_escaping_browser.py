"""Hostile text in every field of an inventory renders as text: in the standalone map, the
printable protocol and the app, loaded in headless Chromium.

Every string an inventory can hold (site name and description; service name, organisation,
description, address, area, hours note, notes, contact phone, email and website; referral source
and notes; the intake's address) carries a payload: a `<script>`, an attribute break-out with an
`onerror`, `javascript:` URLs, a `${...}` template literal, a `</script>` inside JSON, Markdown
links, an SVG `onload`, a template expression and Unicode direction overrides. Every payload
would set `document.title` to 'pwned', call `alert`, or fetch `x`. The browser records title
changes in every frame, dialogs and requests; the test opens every popup and tooltip of the
maps and every page of the app, then checks that nothing ran, no `javascript:` link exists,
and the payloads are shown as text. Screenshots go to tests/artifacts/escaping_*.png.

Two checks need no browser and always run: template syntax (`{{ ... }}`, `{% ... %}`) in any
field is never evaluated when a map is rendered (folium renders every element's output again as
a Jinja template: unescaped, it ran Python on the server), and `$...$` in a site name is not
read as mathtext by the static PNG (it crashed it).

The browser tests need Debian's chromium at /usr/bin/chromium (skipped without it); one
`streamlit run` server for the module.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import pytest
import yaml

from tests.test_app_browser import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    streamlit_app,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Frame, Page

browser_test = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
TINY = Path(__file__).parent / "data" / "tiny.yaml"

PAYLOADS = {
    "script": "<script>document.title='pwned'</script>",
    "attribute": '"><img src=x onerror="document.title=\'pwned\'">',
    "single-quote": "'><img src=x onerror='document.title=\"pwned\"'>",
    "template": "${alert(1)}`${document.title='pwned'}`",
    "json-close": "</script><script>document.title='pwned'</script>",
    "svg": "<svg onload=alert(1)><svg/onload=alert(1)>",
    "iframe": '<iframe src="javascript:alert(1)"></iframe>',
    "markdown": "[click me](javascript:alert(1)) ![x](x) <b>bold</b> **strong**",
    "jinja": "{{ 7*7 }}{% raw %}{{ config }}",
    "rtl": "\u202etxt.exe\u202c \u2066isolate\u2069 \u200fRLM",
    "entity": "&lt;script&gt;document.title='pwned'&lt;/script&gt;",
}
JS_URL = "javascript:document.title='pwned'"
"""The website field's payload: a link must never point at it."""


def evil_inventory(site_id: str = "evil") -> dict[str, Any]:
    """tests/data/tiny.yaml with a payload in every string field (one per field, rotating)."""
    data = yaml.safe_load(TINY.read_text(encoding="utf-8"))
    kinds = list(PAYLOADS)
    k = iter(range(10_000))

    def p(label: str) -> str:
        kind = kinds[next(k) % len(kinds)]
        return f"{label} {PAYLOADS[kind]}"

    data["site"]["id"] = site_id
    data["site"]["name"] = f"Site {PAYLOADS['markdown']} {PAYLOADS['script']}"
    data["site"]["description"] = p("About")
    for s in data["services"]:
        s["name"] = p(s["id"])
        s["organisation"] = p("Org")
        s["description"] = p("Desc")
        s["hours_note"] = p("Hours")
        s["notes"] = p("Notes")
        s["contact"] = {"phone": p("Tel"), "email": p("Mail"), "website": JS_URL}
        s["location"]["address"] = p("Addr")
        s["location"]["area"] = p("Area")
        if s["id"] == "shelter":
            s["intake"] = {"lat": 50.8466, "lon": 4.3600, "address": p("Intake")}
    data["services"][0]["contact"]["website"] = 'https://example.org/?q="><script>alert(1)</script>'
    for r in data["referrals"]:
        r["source"] = p("Source")
        r["notes"] = p("Ref")
    return data


def write_evil(folder: Path, site_id: str = "evil") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{site_id}.yaml"
    path.write_text(
        yaml.safe_dump(evil_inventory(site_id), allow_unicode=True, sort_keys=False),
        encoding="utf-8",
    )
    return path


def test_the_hostile_inventory_is_valid(tmp_path: Path) -> None:
    from pathways.io.load import load_site

    inv = load_site(write_evil(tmp_path))
    assert "<script>" in inv.site.name or "<script>" in inv.services[0].name + str(inv)
    assert inv.services[0].contact.website.startswith("https://")
    assert sum((s.contact.website if s.contact else None) == JS_URL for s in inv.services) == 4


# --- no browser needed: template syntax and mathtext are text ----------------------------------

SSTI = (
    "{{ 7*7 }} {{ cycler.__init__.__globals__.os.mkdir(dict(ssti_proof=1)|first) }} "
    "{% raw %} {# comment"
)


def test_template_syntax_in_any_field_is_never_evaluated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Jinja in an inventory would run on the server when a map is drawn (branca renders each
    element's output again as a template). It must draw, show the braces, and run nothing."""
    from mapping.assets import standalone_html
    from mapping.build import build_map
    from pathways.analysis.coverage import site_coverage
    from pathways.analysis.gaps import find_gaps
    from pathways.analysis.graph import build_referral_graph
    from pathways.analysis.routes import Profile, route
    from pathways.io.export import ExportOptions, export
    from pathways.io.load import load_site

    data = evil_inventory()
    text_fields = ("name", "organisation", "description", "hours_note", "notes")
    for sv in data["services"]:
        for key in text_fields:
            sv[key] = f"{sv['id']} {SSTI}"
        sv["location"]["address"] = sv["location"]["area"] = SSTI
        sv["contact"] = {"phone": SSTI, "email": SSTI, "website": "https://x.example/{{7*7}}"}
    data["site"]["name"] = data["site"]["description"] = f"Site {SSTI}"
    for r in data["referrals"]:
        r["source"] = r["notes"] = SSTI
    shutil.copytree(Path(__file__).parent / "data" / "secret" / "boundaries", tmp_path / "b")
    areas = (tmp_path / "b" / "areas.geojson").read_text(encoding="utf-8")
    (tmp_path / "b" / "areas.geojson").write_text(
        areas.replace('"West Commune"', json.dumps(SSTI)), encoding="utf-8"
    )
    data["site"]["areas"] = {"path": "b/areas.geojson", "name_field": "name"}
    data["site"]["boundary"] = "b/boundary.geojson"
    path = tmp_path / "ssti.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    inv = load_site(path)
    G = build_referral_graph(inv)
    r = route(G, Profile(entry="police"), need=["health.cmr", "legal", "safety.shelter"])
    for kw in ({}, {"cluster": False}, {"route": r}, {"coverage": site_coverage(inv)}):
        html = standalone_html(build_map(inv, gaps=find_gaps(inv), tiles=None, **kw))
        assert not (tmp_path / "ssti_proof").exists(), "template code ran on the server"
        assert "#123; 7*7 " in html, kw  # the braces are entities (in JSON, & as \u0026)
        assert "{{ 7*7" not in html and "{%" not in html, kw
    protocol = export(inv, tmp_path / "p.html", format="protocol", options=ExportOptions())
    assert "{{ 7*7 }}" in protocol.read_text(encoding="utf-8")
    assert not (tmp_path / "ssti_proof").exists()


def test_dollar_signs_in_names_are_not_mathtext(tmp_path: Path) -> None:
    """matplotlib reads "$...$" as mathtext: a site name "$\\frac{ x$" crashed the PNG."""
    from mapping.static import save_png, site_figure
    from pathways.io.load import load_site

    data = yaml.safe_load(TINY.read_text(encoding="utf-8"))
    data["site"]["name"] = "Site ${alert(1)} $\\frac{ x$ 100$"
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    inv = load_site(path)
    fig = site_figure(inv)
    title = fig._suptitle
    assert title is not None and title.get_text().startswith("Site ${alert(1)}")
    assert not title.get_parse_math()
    assert save_png(inv, tmp_path / "t.png").stat().st_size > 1000


# --- the browser ---------------------------------------------------------------------------------

WATCH = """
(() => {
  window.__pwned = [];
  const note = (what) => { try { window.__pwned.push(String(what)); } catch (e) {} };
  const d = Object.getOwnPropertyDescriptor(Document.prototype, 'title');
  Object.defineProperty(Document.prototype, 'title', {
    get() { return d.get.call(this); },
    set(v) { if (String(v).includes('pwned')) note('title=' + v); d.set.call(this, v); },
    configurable: true,
  });
  for (const f of ['alert', 'confirm', 'prompt']) {
    const real = window[f];
    window[f] = function (...args) { note(f + '(' + args.join(',') + ')'); };
  }
})();
"""
"""Installed in every frame before any script: records title changes and dialogs."""


class Watched:
    """A browser page with every frame watched: dialogs, requests, page errors."""

    def __init__(self, browser: Browser, base: str) -> None:
        self.context = browser.new_context(viewport={"width": 1400, "height": 1600})
        self.context.add_init_script(WATCH)
        self.page: Page = self.context.new_page()
        self.base = base
        self.dialogs: list[str] = []
        self.requests: list[str] = []
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.context.route("**/*", self._route)

    def _route(self, route: Any) -> None:
        """Nothing leaves the machine (tiles included): recorded, then refused."""
        host = urlparse(route.request.url).hostname or ""
        if route.request.url.startswith(("data:", "blob:", "about:")) or host in (
            "localhost",
            "127.0.0.1",
            "",
        ):
            route.continue_()
        else:
            route.abort()

    def frames(self) -> list[Frame]:
        return [f for f in self.page.frames if not f.is_detached()]

    def open_every_popup(self) -> int:
        """Open every popup and tooltip of every Leaflet map in every frame; count them."""
        n = 0
        for frame in self.frames():
            with contextlib.suppress(Exception):  # a frame navigating away
                n += frame.evaluate(OPEN_ALL)
        return n

    def check(self, label: str) -> None:
        """Nothing ran, no javascript: link, no request for x; a screenshot first."""
        problems = self.problems(label)
        assert problems == [], problems

    def problems(self, label: str) -> list[str]:
        """What went wrong on the page so far (a screenshot is taken either way)."""
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"escaping_{label}.png"), full_page=True)
        found: list[str] = []
        for frame in self.frames():
            with contextlib.suppress(Exception):  # a frame navigating away
                found += [f"{label}: ran {x}" for x in frame.evaluate("window.__pwned || []")]
                if "pwned" in frame.evaluate("document.title"):
                    found.append(f"{label}: title {frame.evaluate('document.title')}")
                n = frame.evaluate(
                    'document.querySelectorAll(\'a[href^="javascript:" i], '
                    'iframe[src^="javascript:" i], [onerror], [onload]\').length'
                )
                if n:
                    found.append(f"{label}: {n} javascript: links or event handler attributes")
        found += [f"{label}: dialog {d}" for d in self.dialogs]
        found += [f"{label}: request {u}" for u in self.requests if _fetches_x(u)]
        self.dialogs.clear()
        self.requests.clear()
        return found

    def text(self) -> str:
        """The visible text of every frame."""
        out = []
        for frame in self.frames():
            with contextlib.suppress(Exception):
                out.append(frame.evaluate("document.body ? document.body.innerText : ''"))
        return "\n".join(out)

    def close(self) -> None:
        self.context.close()


def _fetches_x(url: str) -> bool:
    parsed = urlparse(url)
    return parsed.hostname == "x" or parsed.path.rstrip("/").endswith("/x")


OPEN_ALL = """
() => {
  let n = 0;
  const maps = Object.values(window).filter((v) => v && window.L && v instanceof L.Map);
  for (const map of maps) {
    map.eachLayer((layer) => {
      if (layer.getTooltip && layer.getTooltip()) {
        layer.openTooltip(); n++;
      }
      if (layer.getPopup && layer.getPopup()) {
        layer.getPopup().options.autoClose = false;
        layer.openPopup(); n++;
      }
    });
  }
  return n;
}
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def evil_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("evil") / "sites"
    write_evil(folder)
    return folder


def _shown(text: str) -> list[str]:
    """The payloads (beyond the first few characters) that appear in `text` as typed."""
    return [k for k, v in PAYLOADS.items() if v.replace("\u202e", "")[:18] in text]


@browser_test
def test_standalone_map(browser: Browser, evil_folder: Path, tmp_path: Path) -> None:
    from mapping.build import build_map, save_map
    from pathways.analysis.gaps import find_gaps
    from pathways.analysis.routes import Profile, route
    from pathways.io.load import load_site

    inv = load_site(evil_folder / "evil.yaml")
    from pathways.analysis.graph import build_referral_graph

    r = route(build_referral_graph(inv), Profile(entry="police"), need=["health.cmr", "legal"])
    m = build_map(inv, gaps=find_gaps(inv), route=r, tiles=None, cluster=False)
    path = save_map(m, tmp_path / "evil.html")
    w = Watched(browser, "")
    try:
        w.page.goto(path.as_uri())
        w.page.wait_for_selector(".leaflet-container", timeout=30_000)
        assert w.open_every_popup() > 10
        w.page.wait_for_timeout(300)
        w.check("standalone_map")
        shown = _shown(w.text())
        assert {"script", "attribute", "template", "json-close", "markdown"} <= set(shown), shown
    finally:
        w.close()
    # and as the command line writes it (clustered, online tiles refused)
    out = tmp_path / "cli.html"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pathways",
            "map",
            str(evil_folder / "evil.yaml"),
            "--out",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr
    w = Watched(browser, "")
    try:
        w.page.goto(out.as_uri())
        w.page.wait_for_selector(".leaflet-container", timeout=30_000)
        w.open_every_popup()
        w.check("cli_map")
    finally:
        w.close()


@browser_test
def test_protocol_html(browser: Browser, evil_folder: Path, tmp_path: Path) -> None:
    from pathways.io.export import ExportOptions, export
    from pathways.io.load import load_site

    inv = load_site(evil_folder / "evil.yaml")
    for lang in ("en", "fr"):
        path = export(
            inv,
            tmp_path / f"protocol-{lang}.html",
            format="protocol",
            options=ExportOptions(lang=lang),
        )
        w = Watched(browser, "")
        try:
            w.page.goto(path.as_uri())
            w.page.wait_for_load_state("load")
            w.check(f"protocol_{lang}")
            text = w.text()
            assert "49" not in text.replace("2026", "")  # {{ 7*7 }} is text, not evaluated
            assert {"script", "attribute", "jinja"} <= set(_shown(text))
        finally:
            w.close()


# --- the app -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def app_url(evil_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`streamlit run app.py` on a folder holding the hostile inventory."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing")
    log = tmp_path_factory.mktemp("streamlit") / "streamlit.log"
    env = {**os.environ, "REFERRAL_ATLAS_DATA": str(evil_folder)}
    with streamlit_app(log, env, "--server.headless", "true") as (url, _):
        yield url


def _settle(page: Page) -> None:
    page.wait_for_selector('[data-testid="stApp"]', timeout=60_000)
    page.wait_for_selector(
        '[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=60_000
    )
    page.wait_for_function(
        "!document.querySelector('[data-testid=\"stSkeleton\"]')", timeout=30_000
    )
    page.wait_for_timeout(500)


@browser_test
def test_every_page_of_the_app(browser: Browser, app_url: str) -> None:
    """Every page of the sidebar's navigation, in order; on the map pages every popup and
    tooltip opened, on Explore a service's card opened from the table."""
    w = Watched(browser, app_url)
    try:
        w.page.goto(app_url, wait_until="domcontentloaded")
        _settle(w.page)
        problems: list[str] = []
        nav = w.page.locator('[data-testid="stSidebarNav"] a')
        n_pages = nav.count()
        assert n_pages >= 5
        for i in range(n_pages):
            link = w.page.locator('[data-testid="stSidebarNav"] a').nth(i)
            label = (link.get_attribute("href") or str(i)).rstrip("/").rsplit("/", 1)[-1] or "home"
            link.click()
            w.page.wait_for_timeout(300)
            _settle(w.page)
            maps = w.page.locator('iframe[title="streamlit_folium.st_folium"]')
            if maps.count():
                w.page.frame_locator('iframe[title="streamlit_folium.st_folium"]').locator(
                    ".leaflet-container"
                ).wait_for(timeout=30_000)
                w.page.wait_for_timeout(500)
                assert w.open_every_popup() > 0, label
            if i == 0:  # Explore: open a card from the table's first row
                grid = w.page.locator('[data-testid="stDataFrame"]').last
                box = grid.bounding_box()
                assert box is not None
                w.page.mouse.click(box["x"] + 18, box["y"] + 35 + 17)
                w.page.wait_for_timeout(300)
                _settle(w.page)
                w.page.locator(".st-key-service_card").wait_for(timeout=30_000)
            assert w.page.locator('[data-testid="stException"]').count() == 0, label
            problems += w.problems(f"app_{i}_{label}")
        assert "Site" in w.text()
        assert problems == [], problems
    finally:
        w.close()
