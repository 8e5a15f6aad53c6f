"""The Streamlit app, run headless with AppTest: every page, the sidebar, filters, bad files.

No JavaScript runs here: the map is checked through the st_folium component's arguments (the map
script), the browser test (test_app_browser.py) proves it draws.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pathways.load import load_site
from pathways.table import SERVICE_COLUMNS, categories_present, services_table

ROOT = Path(__file__).resolve().parent.parent
TINY = Path(__file__).parent / "data" / "tiny.yaml"
PAGES = ["pages/map.py", "pages/gaps.py", "pages/sites.py"]
NOTICE = "Illustrative data: not field-verified; do not use for real referrals"
SHELTER_TRUE = re.compile(r"50\.82(0*)\b\D{1,8}4\.37(0*)\b")
"""The confidential shelter's true position in tiny.yaml, as it would appear in map script."""


def _keys():
    spec = importlib.util.spec_from_file_location("app_keys", ROOT / "pages" / "keys.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


keys = _keys()


def run_app(page: str | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def sites(at: AppTest):
    """The sidebar's site picker (shared by every page)."""
    return at.sidebar.multiselect(key=keys.SITES)


def site_of(expander) -> str:
    """The site name of a Gaps page expander, labelled `**Name**: 0 critical · ...`."""
    return expander.label.split("**")[1]


def table_services(at: AppTest) -> set[str]:
    return set(at.dataframe[0].value["service"])


def map_script(at: AppTest) -> str:
    components = at.get("component_instance")
    assert len(components) == 1
    return components[0].proto.json_args


# --- every page ------------------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs(app_data: Path, page: str) -> None:
    at = run_app(page)
    assert at.title, f"{page} shows no title"
    assert sites(at).value == ["tiny", "twin"]


def test_map_page_shows_map_and_services(app_data: Path) -> None:
    at = run_app()
    assert "L.map" in map_script(at)
    assert table_services(at) == {
        "Hospital care centre",
        "Police station",
        "Women's NGO",
        "Safe house",
        "Legal clinic",
    }
    assert len(at.dataframe[0].value) == 10  # five services at each of two sites


def test_sites_page_lists_every_site(app_data: Path) -> None:
    at = run_app("pages/sites.py")
    df = at.dataframe[0].value
    assert list(df["site"]) == ["tiny", "twin"]
    assert list(df["data_status"]) == ["illustrative", "field-verified"]
    assert list(df["services"]) == [5, 5]
    assert df["minor"].iloc[0] == df["minor"].iloc[1] > 0  # the same gaps at both sites


def test_map_toggles_gaps_and_offline_basemap(app_data: Path) -> None:
    at = run_app()
    assert "tile.openstreetmap.org" in map_script(at)
    at.toggle(key=keys.OFFLINE).set_value(True).run()
    assert not at.exception
    assert "tile.openstreetmap.org" not in map_script(at)
    without_gaps = map_script(at)
    at.toggle(key=keys.MAP_GAPS).set_value(True).run()
    assert not at.exception
    assert "Legal clinic is not an entry point" in map_script(at)
    assert "Legal clinic is not an entry point" not in without_gaps


def test_gaps_page_lists_gaps_per_site(app_data: Path) -> None:
    at = run_app("pages/gaps.py")
    assert [site_of(e) for e in at.expander] == ["Tiny Town", "Twin Town"]
    messages = " ".join(str(v) for t in at.table for v in t.value["message"])
    assert "Legal clinic" in messages  # the lawyer is an orphan: nothing refers to it
    at.multiselect(key=keys.SEVERITIES).set_value(["critical"]).run()
    assert not at.exception
    assert all(set(t.value.index) <= {"critical"} for t in at.table)


def test_gaps_page_speaks_french(app_data: Path) -> None:
    at = run_app("pages/gaps.py")
    at.sidebar.radio(key=keys.LANG).set_value("fr").run()
    messages = " ".join(str(v) for t in at.table for v in t.value["message"])
    assert "voie de référencement" in messages


# --- interaction -----------------------------------------------------------------------------


def test_choosing_a_site_changes_the_table(app_data: Path) -> None:
    at = run_app()
    sites(at).set_value(["twin"]).run()
    assert not at.exception
    assert set(at.dataframe[0].value["site"]) == {"Twin Town"}


def test_category_filter_changes_the_table(app_data: Path) -> None:
    at = run_app()
    assert "Legal aid" in at.multiselect(key=keys.CATEGORIES).options  # shown as labels
    at.multiselect(key=keys.CATEGORIES).set_value(["legal"]).run()
    assert not at.exception
    assert table_services(at) == {"Women's NGO", "Legal clinic"}


def test_no_site_chosen_says_so(app_data: Path) -> None:
    for page in PAGES[:2]:
        at = run_app(page)
        sites(at).set_value([]).run()
        assert not at.exception
        assert any("Choose at least one site" in i.value for i in at.info)


def test_site_choice_survives_switching_pages(app_data: Path) -> None:
    at = run_app()
    sites(at).set_value(["twin"]).run()
    at.switch_page("pages/gaps.py").run()
    assert not at.exception
    assert sites(at).value == ["twin"]
    assert [site_of(e) for e in at.expander] == ["Twin Town"]


# --- notices and errors ----------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
def test_illustrative_notice_while_an_illustrative_site_is_chosen(
    app_data: Path, page: str
) -> None:
    at = run_app(page)
    assert any(NOTICE in w.value for w in at.warning)
    sites(at).set_value(["twin"]).run()  # twin is field-verified
    assert not any(NOTICE in w.value for w in at.warning)


def test_broken_inventory_is_reported_and_others_still_load(app_data: Path) -> None:
    text = TINY.read_text(encoding="utf-8").replace("id: tiny", "id: broken")
    bad = text.replace("categories: [safety.police]", "categories: [safety.polise]")
    line = 1 + text.splitlines().index("    categories: [safety.police]")
    (app_data / "broken.yaml").write_text(bad, encoding="utf-8")
    for page in PAGES:
        at = run_app(page)
        errors = " ".join(e.value for e in at.error)
        assert f"broken.yaml:{line}:" in errors
        assert "safety.polise" in errors
        assert sites(at).options == ["Tiny Town", "Twin Town"]  # labels of tiny, twin


def test_duplicate_site_id_is_reported(app_data: Path) -> None:
    (app_data / "zz-copy.yaml").write_text(TINY.read_text(encoding="utf-8"), encoding="utf-8")
    at = run_app()
    assert any("'tiny' is also the id of" in e.value for e in at.error)
    assert sites(at).options == ["Tiny Town", "Twin Town"]  # labels of tiny, twin


def test_missing_data_folder_is_an_error_not_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REFERRAL_ATLAS_DATA", str(tmp_path / "nowhere"))
    for page in PAGES:
        at = run_app(page)
        assert any("no such file or folder" in e.value for e in at.error)


# --- confidentiality -------------------------------------------------------------------------


def test_map_never_carries_the_shelters_true_location(app_data: Path) -> None:
    at = run_app()
    script = map_script(at)
    assert re.search(r"50\.835\D{1,8}4\.348", script), "the hospital's marker should be there"
    assert not SHELTER_TRUE.search(script)
    at.multiselect(key=keys.CATEGORIES).set_value(["safety.shelter"]).run()
    assert not SHELTER_TRUE.search(map_script(at))


def test_services_table_is_public_information_only() -> None:
    inv = load_site(TINY)
    df = services_table([inv])
    assert tuple(df.columns) == SERVICE_COLUMNS
    assert not {"lat", "lon", "location", "address", "contact"} & set(df.columns)
    assert "50.82" not in df.to_csv() and "4.37" not in df.to_csv()
    assert df.loc["tiny/shelter", "confidential"]


def test_services_table_filters_by_category_and_sub_category() -> None:
    inv = load_site(TINY)
    assert list(services_table([inv], categories=["legal"])["service"]) == [
        "Women's NGO",
        "Legal clinic",
    ]
    assert services_table([inv], categories=[]).empty
    assert categories_present([inv])[:2] == ["case_management", "health.cmr"]


def test_a_chosen_site_that_breaks_is_dropped_not_a_crash(app_data: Path) -> None:
    at = run_app()
    at.multiselect(key=keys.CATEGORIES).set_value(["legal"]).run()
    twin = app_data / "twin.yaml"
    twin.write_text(twin.read_text(encoding="utf-8").replace("lat: 50.8350", "lat: 95"), "utf-8")
    at.run()
    assert not at.exception
    assert sites(at).value == ["tiny"]
    assert any("twin.yaml:" in e.value for e in at.error)
    assert table_services(at) == {"Women's NGO", "Legal clinic"}
