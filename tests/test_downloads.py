"""views.viewmodels.downloads and views.viewmodels.compare: what the Export and Compare pages
offer."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from pathlib import Path

import pytest

from pathways.analysis.compare import compare_sites
from pathways.analysis.gaps import find_gaps
from pathways.i18n import STRINGS
from pathways.io.load import load_site
from pathways.model.errors import InventoryError
from pathways.model.inventory import TAXONOMY
from views.viewmodels.compare import coverage_rows, headline_table, matrix_long
from views.viewmodels.downloads import (
    EXPORT_FORMATS,
    GROUPS,
    OWN_FORMATS,
    Format,
    available,
    download_bytes,
    file_name,
    format_named,
    grouped,
    preview_text,
    size_text,
)

TINY = Path(__file__).parent / "data" / "tiny.yaml"
SHELTER = re.compile(r"(?<![\d.])(50\.820*|4\.370*)(?!\d)")
"""Either coordinate of the confidential shelter's true position in tiny.yaml, as a number."""


@pytest.fixture(scope="module")
def tiny():
    return load_site(TINY)


@pytest.fixture(scope="module")
def twin(tiny):
    site = tiny.site.model_copy(update={"id": "twin", "name": "Twin Town"})
    return tiny.model_copy(update={"site": site})


@pytest.mark.parametrize("fmt", [*OWN_FORMATS, *EXPORT_FORMATS], ids=lambda f: f.name)
def test_every_format_downloads_without_the_shelters_place(tiny, fmt) -> None:
    reason = available(fmt)
    if reason:
        pytest.skip(reason)
    data = download_bytes([tiny], fmt, gaps=find_gaps(tiny), lang="fr")
    assert data
    if fmt.suffix == ".zip":
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            data = b"".join(z.read(n) for n in z.namelist())
    if not fmt.binary or fmt.suffix == ".zip":
        assert not SHELTER.search(data.decode("utf-8"))


def test_per_site_formats_are_the_ones_that_refuse_several_sites(tiny, twin) -> None:
    for fmt in EXPORT_FORMATS:
        if available(fmt) or fmt.suffix == ".pdf":  # the PDF is slow; the HTML one is checked
            continue
        if fmt.per_site:
            with pytest.raises(InventoryError, match="one site per file"):
                download_bytes([tiny, twin], fmt)
        else:
            assert download_bytes([tiny, twin], fmt)


def test_gaps_json_is_what_the_command_line_prints(tiny) -> None:
    gaps = find_gaps(tiny)
    data = json.loads(download_bytes([tiny], format_named("gaps_json"), gaps=gaps))
    assert data == [g.to_dict() for g in gaps]


def test_gaps_csv_in_french_and_services_csv_public(tiny) -> None:
    gaps = find_gaps(tiny)
    rows = list(
        csv.DictReader(
            io.StringIO(
                download_bytes([tiny], format_named("gaps_csv"), gaps=gaps, lang="fr").decode()
            )
        )
    )
    assert [r["message"] for r in rows] == [g.text("fr") for g in gaps]
    services = download_bytes([tiny], format_named("services_csv")).decode()
    assert "Safe house" in services
    assert not SHELTER.search(services)
    assert services.splitlines()[0].startswith("key,site,service")


def test_file_names_and_words(tiny, twin) -> None:
    assert file_name(format_named("gaps_json"), [tiny]) == "tiny-gaps-json.json"
    assert file_name(format_named("protocol_pdf"), [tiny, twin]) == "tiny-twin-protocol.pdf"
    assert file_name(format_named("hsds"), [tiny] * 4) == "sites-hsds.zip"
    assert preview_text(b"a\nb\n" * 1000, limit=10).endswith("\n…")
    assert preview_text(b"short") == "short"
    assert size_text(999) == "999 B" and size_text(12_345) == "12 kB"
    assert size_text(1_400_000) == "1.4 MB"
    with pytest.raises(KeyError):
        format_named("docx")


def test_compare_tables(tiny, twin) -> None:
    summaries = compare_sites([tiny, twin])
    table = headline_table(summaries, "fr")
    assert list(table.columns) == ["Tiny Town", "Twin Town"]
    assert "lacunes critiques" in table.index
    cells = matrix_long(summaries, "en")
    assert len(cells) == 2 * len(TAXONOMY)
    legal = next(c for c in cells if c["site"] == "Tiny Town" and c["category"] == "Legal aid")
    assert (legal["services"], legal["label"]) == (2, f"2 ({legal['reaching']})")


def test_coverage_rows_skip_sites_without_coverage() -> None:
    class Category:
        def __init__(self) -> None:
            self.within = {60: 0.5, 30: 0.25}

    class Coverage:
        name = "Tiny Town"
        complete = True

        def category(self, category: str) -> Category:
            if category != "health.cmr":
                raise KeyError(category)
            return Category()

    rows = coverage_rows([Coverage(), None, "no population data"], "health.cmr", "fr")
    assert rows == [
        {"site": "Tiny Town", "within": "30 min", "share": 0.25},
        {"site": "Tiny Town", "within": "60 min", "share": 0.5},
    ]
    assert coverage_rows([Coverage()], "legal") == []
    partial = Coverage()
    partial.complete = False  # counted far below the site's total: no bar, as if complete
    assert coverage_rows([partial], "health.cmr") == []


def test_downloads_do_not_carry_the_servers_folders(tmp_path):
    """A GeoJSON or HSDS download keeps the inventory's own boundary paths: rewritten against
    the server's temporary folder they would print its layout and resolve nowhere."""
    from views.viewmodels.downloads import export_bytes, format_named

    inv = load_site(Path(__file__).parent / "data" / "secret" / "sites" / "secret.yaml")
    for name in ("geojson", "hsds"):
        blob = export_bytes([inv], format_named(name))
        if blob[:2] == b"PK":  # a zipped package: every member's text
            with zipfile.ZipFile(io.BytesIO(blob)) as z:
                blob = b"".join(z.read(n) for n in z.namelist())
        text = blob.decode("utf-8")
        assert "../boundaries/boundary.geojson" in text, name
        assert "referral-atlas-" not in text.replace("referral-atlas-secret", ""), name
        assert "/tmp" not in text and "..\\/" not in text, name


# --- the Export page's groups ----------------------------------------------------------------

MAP = Format("map_html", "fmt_map_html", ".html", "text/html")  # drawn by `mapping`


def test_groups_put_the_printable_pathway_first_and_hold_every_format_once() -> None:
    formats = [*OWN_FORMATS, MAP, *EXPORT_FORMATS]
    groups = grouped(formats)
    assert [g.name for g, _ in groups] == [g.name for g in GROUPS]
    first, members = groups[0]
    assert first.name == "pathway" and [f.name for f in members] == [
        "protocol",
        "protocol_pdf",
        "pocket",
    ]
    names = [f.name for _, fs in groups for f in fs]
    assert sorted(names) == sorted(f.name for f in formats)  # each exactly once
    for group, fs in groups:
        assert [f.name for f in fs] == [n for n in group.formats if n in names]
    for key in [f"dl_{g.name}" for g in GROUPS] + [f"dl_{g.name}_about" for g in GROUPS]:
        assert STRINGS[key]["en"] and STRINGS[key]["fr"], key
    for f in members:
        assert STRINGS[f"about_{f.name}"]["fr"], f.name  # each pathway button says what for


def test_groups_keep_a_new_format_and_drop_empty_groups() -> None:
    new = Format("shapefile", "fmt_shapefile", ".zip", "application/zip")
    groups = grouped([format_named("gaps_csv"), new, format_named("csv")])
    assert [(g.name, [f.name for f in fs]) for g, fs in groups] == [
        ("data", ["csv"]),
        ("analysis", ["gaps_csv", "shapefile"]),
    ]
