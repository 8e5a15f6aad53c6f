"""Leaflet without the internet: local copies instead of folium's CDN links.

folium links Leaflet, jQuery, Bootstrap, Font Awesome and awesome-markers from public CDNs, so
with no internet the map is blank. Our maps use Leaflet core only (circle markers, inline-SVG
div icons, our own popup and tooltip bindings), so that is all a page needs. Leaflet 1.9.4's
dist files come from the PyPI package `django-js-lib-leaflet` (importing it needs no Django).

- `strip_cdn_assets(m)`: the map and every element in it link Leaflet only, from `base_url`.
- `standalone_html(m)`: one HTML file with Leaflet inlined (works from a USB stick).
- `publish_static(folder)` + `use_served_assets(m)`: for Streamlit, which serves `./static`
  at `/app/static/` (`--server.enableStaticServing true`); streamlit-folium loads the map
  elements' `default_js` / `default_css` URLs into its iframe, so they must be absolute.
- `serve_data(m, folder)`: a national map's data as files there too, fetched by the map.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import os
import re
import shutil
import time
from functools import lru_cache
from pathlib import Path

import folium
from folium.elements import JSCSSMixin

from mapping.layers._elements import _ServedData
from mapping.tree import walk

LEAFLET_VERSION = "1.9.4"

SERVED_BASE_URL = "/app/static/vendor/leaflet"
"""Where the Streamlit app serves the files `publish_static("static")` copies."""

_JS, _CSS = "leaflet.js", "leaflet.css"


def leaflet_dir() -> Path:
    """The folder holding leaflet.js, leaflet.css and images/ from `django-js-lib-leaflet`."""
    spec = importlib.util.find_spec("js_lib_leaflet")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            "Leaflet's files are missing: install the package `django-js-lib-leaflet`"
        )
    folder = Path(next(iter(spec.submodule_search_locations))) / "static" / "js_lib_leaflet"
    if not (folder / _JS).is_file():
        raise FileNotFoundError(f"{folder / _JS} is missing: reinstall `django-js-lib-leaflet`")
    return folder


def _linking(m: folium.Map) -> list[JSCSSMixin]:
    """The elements of `m` that link scripts or stylesheets (what streamlit-folium reads)."""
    return [e for e in walk(m) if isinstance(e, JSCSSMixin)]


def strip_cdn_assets(m: folium.Map, *, base_url: str = SERVED_BASE_URL) -> folium.Map:
    """Link Leaflet only (js and css from `base_url`) and nothing else, on `m` and its children.

    Sets instance attributes, so folium's class-level lists stay untouched. Plugins that need
    their own JavaScript will not work afterwards: the maps of this package use none.
    """
    base = base_url.rstrip("/")
    for element in _linking(m):
        element.default_js = []
        element.default_css = []
    m.default_js = [("leaflet", f"{base}/{_JS}")]
    m.default_css = [("leaflet_css", f"{base}/{_CSS}")]
    return m


def use_served_assets(m: folium.Map, base_url: str = SERVED_BASE_URL) -> folium.Map:
    """Make the map link Leaflet from `base_url` (an absolute URL path) and nothing else."""
    if not base_url.startswith(("/", "http://", "https://")):
        raise ValueError(
            f"base_url '{base_url}' must be absolute (start with '/'): streamlit-folium "
            "draws the map in an iframe, where a relative path resolves to the wrong place"
        )
    return strip_cdn_assets(m, base_url=base_url)


def publish_static(folder: Path) -> None:
    """Copy leaflet.js, leaflet.css and images/ to `folder`/vendor/leaflet/ (for serving)."""
    source = leaflet_dir()
    target = Path(folder) / "vendor" / "leaflet"
    (target / "images").mkdir(parents=True, exist_ok=True)
    for name in (_JS, _CSS):
        shutil.copyfile(source / name, target / name)
    for image in sorted((source / "images").glob("*.png")):
        shutil.copyfile(image, target / "images" / image.name)


SERVED_DATA_URL = "/app/static/data"
"""Where the Streamlit app serves the files `serve_data(m, "static")` writes."""

DATA_KEPT_S = 24 * 3600
"""A served data file not used for this long is removed when another is written."""


def serve_data(m: folium.Map, folder: Path, base_url: str = SERVED_DATA_URL) -> folium.Map:
    """Make the map fetch its large data (a national map's services and routes) from files
    written under `folder`/data/, served at `base_url`, instead of carrying it in its script.

    Twenty sessions opening a 10,000-service site each received the same 3 MB script; now
    they get a page of 0.6 MB and fetch one file the server reads from disk. A file is named
    by the digest of its content, so every session and server process shares it, and it is
    written once (atomically: a reader never sees half of it). Only what the map would carry
    anyway is written: public places, escaped texts. Files unused for a day are removed.
    """
    served = [e for e in walk(m) if isinstance(e, _ServedData)]
    if not served:  # a site's map: nothing to serve, nothing touched
        return m
    target = Path(folder) / "data"
    target.mkdir(parents=True, exist_ok=True)
    wrote = False
    for element in served:
        text = element.payload().encode("utf-8")
        name = hashlib.sha256(text).hexdigest()[:40] + ".json"
        path = target / name
        if path.exists():
            path.touch()  # still in use: not pruned
        else:
            part = path.with_suffix(f".{os.getpid()}.part")
            part.write_bytes(text)
            os.replace(part, path)
            wrote = True
        element.source = f"{base_url.rstrip('/')}/{name}"
    if wrote:
        _prune(target, time.time() - DATA_KEPT_S)
    return m


def _prune(folder: Path, before: float) -> None:
    """Remove the data files last used before `before` (another server may be writing)."""
    for path in folder.glob("*.json"):
        try:
            if path.stat().st_mtime < before:
                path.unlink()
        except FileNotFoundError:
            pass


@lru_cache(maxsize=1)
def leaflet_js() -> str:
    """Leaflet's JavaScript, without the source-map comment (nothing to fetch)."""
    code = (leaflet_dir() / _JS).read_text(encoding="utf-8")
    return re.sub(r"\n//# sourceMappingURL=\S+\s*$", "\n", code)


@lru_cache(maxsize=1)
def leaflet_css() -> str:
    """Leaflet's stylesheet with its images/*.png inlined as data: URIs."""
    folder = leaflet_dir()

    def inline(match: re.Match[str]) -> str:
        data = base64.b64encode((folder / "images" / match[1]).read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{data})"

    css = (folder / _CSS).read_text(encoding="utf-8")
    return re.sub(r"url\(\s*['\"]?images/([\w.-]+\.png)['\"]?\s*\)", inline, css)


_LINKED_SCRIPT = re.compile(r"<script\b[^>]*\bsrc=\"([^\"]*)\"[^>]*>\s*</script>", re.IGNORECASE)
_LINKED_CSS = re.compile(r"<link\b[^>]*\brel=\"stylesheet\"[^>]*>", re.IGNORECASE)


def standalone_html(m: folium.Map) -> str:
    """The whole page as one HTML string, with Leaflet inlined: it draws with no internet.

    Tiles, if the map has a tile layer, still come from their server; build the map with
    `tiles=None` for a page that fetches nothing.
    """
    saved = [(e, e.default_js, e.default_css) for e in _linking(m)]
    served = [(e, e.source) for e in walk(m) if isinstance(e, _ServedData)]
    strip_cdn_assets(m)
    for data, _ in served:  # the data in the page: there is no server to fetch it from
        data.source = None
    try:
        html = m.get_root().render()
    finally:  # leave the map linking what it linked before (e.g. served assets)
        for element, js, css in saved:
            element.default_js, element.default_css = js, css
        for data, source in served:
            data.source = source
    leaflet = f"{SERVED_BASE_URL}/{_JS}"
    inline_parts: list[str] = []

    def drop_script(match: re.Match[str]) -> str:
        if match[1] != leaflet:
            raise ValueError(f"the map links a script Leaflet-only maps cannot use: {match[1]}")
        return ""

    def drop_css(match: re.Match[str]) -> str:
        if f"{SERVED_BASE_URL}/{_CSS}" not in match[0]:
            raise ValueError(f"the map links a stylesheet it cannot inline: {match[0]}")
        return ""

    html = _LINKED_SCRIPT.sub(drop_script, html)
    html = _LINKED_CSS.sub(drop_css, html)
    inline_parts.append("<script>\n" + leaflet_js().replace("</script", "<\\/script") + "</script>")
    inline_parts.append("<style>\n" + leaflet_css() + "</style>")
    head = html.index("<head>") + len("<head>")
    return html[:head] + "\n" + "\n".join(inline_parts) + html[head:]
