"""The Streamlit app, run headless with AppTest: every page, the sidebar, filters, bad files.

No JavaScript runs here: the map is checked through the st_folium component's arguments (the map
script); a map click cannot be simulated, so the card is opened through the session state the
page reads (the click itself is tested in test_app_browser.py, the selection logic in
test_explore.py).
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pathways.analysis.gaps import FINDERS, SEVERITY_ORDER, find_gaps, what_if
from pathways.i18n import t
from pathways.io.load import load_site
from views.viewmodels.downloads import GROUPS
from views.viewmodels.explore import Selection
from views.viewmodels.table import SERVICE_COLUMNS, categories_present, services_table

ROOT = Path(__file__).resolve().parent.parent
TINY = Path(__file__).parent / "data" / "tiny.yaml"
PAGES = [
    "views/explore.py",
    "views/workshop.py",
    "views/orientation.py",
    "views/gaps.py",
    "views/compare.py",
    "views/export.py",
    "views/sites.py",
    "views/review.py",
]
NOTICE = "Illustrative data: not field-verified; do not use for real referrals"
SHELTER_TRUE = re.compile(r"50\.82(0*)\b\D{1,8}4\.37(0*)\b")
"""The confidential shelter's true position in tiny.yaml, as it would appear in map script."""
EVERY_SERVICE = {"Hospital care centre", "Police station", "Women's NGO", "Safe house"}
EVERY_SERVICE |= {"Legal clinic"}


def _keys():
    spec = importlib.util.spec_from_file_location("app_keys", ROOT / "views" / "keys.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


keys = _keys()


@pytest.fixture(autouse=True)
def _folium_as_shipped(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app speeds up branca's template rendering for its process (`mapping.rendering`); undo
    that after each test, so the other test modules see folium as it ships."""
    import branca.element

    monkeypatch.setattr(branca.element, "Template", branca.element.Template)


def run_app(page: str | None = None, **query: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for name, value in query.items():
        at.query_params[name] = value
    at.run()
    if page and page != PAGES[0]:
        at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def sites(at: AppTest):
    """The sidebar's site picker (shared by every page)."""
    return at.sidebar.multiselect(key=keys.SITES)


def site_of(expander) -> str:
    """The site name of a Gaps page expander, labelled `**Name**: 0 critical · ...`."""
    return expander.label.split("**")[1].replace("\\", "")


def services_df(at: AppTest):
    """The Explore page's services table (the card's route tables come before it)."""
    return next(d.value for d in at.dataframe if "organisation" in d.value.columns)


def card_routes(at: AppTest) -> list:
    """The card's two route tables: referred here by, refers on to."""
    return [d.value for d in at.dataframe if "with" in d.value.columns]


def table_services(at: AppTest) -> set[str]:
    return set(services_df(at)["service"])


def map_script(at: AppTest) -> str:
    components = at.get("component_instance")
    assert len(components) == 1
    return components[0].proto.json_args


def texts(elements) -> str:
    return " ".join(str(e.value) for e in elements)


def plain(markdown: str) -> str:
    """Escaped Markdown (as the app writes inventory text into st.table) back to the text."""
    return re.sub(r"\\(.)", r"\1", markdown)


# --- every page ------------------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs(app_data: Path, page: str) -> None:
    at = run_app(page)
    assert at.title, f"{page} shows no title"
    assert sites(at).value == ["tiny", "twin"]


def test_sites_page_lists_every_site(app_data: Path) -> None:
    at = run_app("views/sites.py")
    df = at.dataframe[0].value
    assert list(df["site"]) == ["tiny", "twin"]
    assert list(df["data_status"]) == ["illustrative", "field-verified"]
    assert list(df["services"]) == [5, 5]
    assert df["minor"].iloc[0] == df["minor"].iloc[1] > 0  # the same gaps at both sites


def test_the_root_opens_explore_at_its_own_address_keeping_the_query(app_data: Path) -> None:
    at = run_app(site="twin", lang="fr")
    assert at.title[0].value == t("explore_title", "fr")
    assert at.query_params["site"] == "twin" and at.query_params["lang"] == "fr"
    assert sites(at).value == ["twin"]


# --- Explore ---------------------------------------------------------------------------------


def test_explore_shows_map_and_services(app_data: Path) -> None:
    at = run_app()
    assert "L.map" in map_script(at)
    assert table_services(at) == EVERY_SERVICE
    assert len(services_df(at)) == 10  # five services at each of two sites
    assert "10 of 10 services match." in texts(at.caption)


def test_explore_filters_change_map_and_table_together(app_data: Path) -> None:
    at = run_app()
    sites(at).set_value(["tiny"]).run()
    at.selectbox(key=keys.LANGUAGE).set_value("ar").run()
    assert table_services(at) == {"Hospital care centre", "Women's NGO"}  # hospital: interpreter
    at.checkbox(key=keys.INTERPRETATION).uncheck().run()
    assert table_services(at) == {"Women's NGO"}
    script = map_script(at)
    assert "Women" in script and "Hospital care centre" not in script
    at.checkbox(key=keys.INTERPRETATION).check().run()
    at.selectbox(key=keys.GROUP).set_value("girls").run()
    at.number_input(key=keys.AGE).set_value(15).run()
    at.toggle(key=keys.OPEN).set_value(True).run()
    at.selectbox(key=keys.DAY).set_value(5).run()
    at.selectbox(key=keys.TIME).set_value(22 * 60).run()
    assert not at.exception
    assert table_services(at) == {"Hospital care centre"}  # open Saturday 22:00, speaks via interp.
    assert "Open Sat 22:00" in texts(at.caption)
    at.text_input(key=keys.QUERY).input("nothing like this").run()
    assert services_df(at).empty
    assert any("No service matches" in i.value for i in at.info)


def test_explore_entry_points_and_groups(app_data: Path) -> None:
    at = run_app()
    at.toggle(key=keys.ENTRY_ONLY).set_value(True).run()
    assert table_services(at) == {"Hospital care centre", "Police station"}
    at.toggle(key=keys.ENTRY_ONLY).set_value(False).run()
    at.selectbox(key=keys.GROUP).set_value("men").run()
    assert table_services(at) == {"Hospital care centre", "Police station", "Legal clinic"}


def test_category_filter_changes_the_table(app_data: Path) -> None:
    at = run_app()
    assert "Legal aid" in at.multiselect(key=keys.CATEGORIES).options  # shown as labels
    at.multiselect(key=keys.CATEGORIES).set_value(["legal"]).run()
    assert not at.exception
    assert table_services(at) == {"Women's NGO", "Legal clinic"}


def test_explore_card_opens_and_closes_when_filtered_out(app_data: Path) -> None:
    at = run_app()
    assert any("to open its card" in i.value for i in at.info)
    at.session_state[keys.PICKED] = Selection("tiny/hospital")
    at.run()
    assert [s.value for s in at.subheader][:1] == ["Hospital care centre"]
    card = texts(at.markdown)
    assert "**Hours**: 24 hours a day, 7 days a week" in card
    assert "Referred here by" in card and "Refers on to" in card
    routes = card_routes(at)
    assert list(routes[0]["with"]) == ["Police station"]
    assert list(routes[1]["with"]) == ["Women's NGO"]
    at.multiselect(key=keys.CATEGORIES).set_value(["legal"]).run()  # the hospital is filtered out
    assert "Hospital care centre" not in [s.value for s in at.subheader]


def test_explore_map_toggles_gaps_and_offline_basemap(app_data: Path) -> None:
    at = run_app()
    assert "tile.openstreetmap.org" in map_script(at)
    at.toggle(key=keys.OFFLINE).set_value(True).run()
    assert not at.exception
    assert "tile.openstreetmap.org" not in map_script(at)
    without_gaps = map_script(at)
    at.toggle(key=keys.MAP_GAPS).set_value(True).run()
    assert not at.exception
    assert "Legal clinic: not an entry point" in map_script(at)
    assert "Legal clinic: not an entry point" not in without_gaps


def test_choosing_a_site_changes_the_table(app_data: Path) -> None:
    at = run_app()
    sites(at).set_value(["twin"]).run()
    assert not at.exception
    assert set(services_df(at)["site"]) == {"Twin Town"}


def test_sites_and_language_from_the_address(app_data: Path) -> None:
    at = run_app(site="twin", lang="fr")
    assert sites(at).value == ["twin"]
    assert at.title[0].value == "Explorer les services"
    assert at.query_params["lang"] == "fr"
    assert "horaires" in at.dataframe[0].value.columns  # no card open: the services table


def test_no_site_chosen_says_so(app_data: Path) -> None:
    for page in PAGES[:5]:
        at = run_app(page)
        sites(at).set_value([]).run()
        assert not at.exception
        assert any("Choose at least one site" in i.value for i in at.info)


def test_filters_and_sites_survive_switching_pages(app_data: Path) -> None:
    at = run_app()
    sites(at).set_value(["twin"]).run()
    at.selectbox(key=keys.LANGUAGE).set_value("ar").run()
    at.switch_page("views/gaps.py").run()
    assert not at.exception
    assert sites(at).value == ["twin"]
    assert [site_of(e) for e in at.expander] == ["Twin Town"]
    at.switch_page("views/explore.py").run()
    assert at.selectbox(key=keys.LANGUAGE).value == "ar"


def test_the_workshop_scenario_survives_switching_pages(app_data: Path) -> None:
    at = run_app("views/workshop.py")
    at.selectbox(key=keys.WS_DAY).set_value(5).run()
    at.multiselect(key=keys.WS_CLOSED).select("hospital").run()
    at.toggle(key=keys.WS_INTERP).set_value(False).run()
    for page in ("views/gaps.py", "views/explore.py", "views/workshop.py"):
        at.switch_page(page).run()
        assert not at.exception
    assert at.multiselect(key=keys.WS_CLOSED).value == ["hospital"]
    assert at.selectbox(key=keys.WS_DAY).value == 5
    assert at.toggle(key=keys.WS_INTERP).value is False


# --- Workshop --------------------------------------------------------------------------------


def test_workshop_route_verdict_and_steps(app_data: Path) -> None:
    at = run_app("views/workshop.py")
    assert at.selectbox(key=keys.WS_ENTRY).options == ["Hospital care centre", "Police station"]
    assert at.multiselect(key=keys.WS_NEEDS).value == ["health.cmr"]
    at.selectbox(key=keys.WS_ENTRY).set_value("police").run()
    assert "in time for post-exposure prophylaxis" in texts(at.success)
    steps = at.dataframe[0].value
    assert list(steps["service"]) == ["Police station", "Hospital care centre"]
    assert list(steps["what"]) == ["arrival", "Clinical management of rape"]
    assert "ra-step" in map_script(at)  # the numbered hand-offs of the route


def test_workshop_what_if_closing_the_hospital(app_data: Path) -> None:
    at = run_app("views/workshop.py")
    sites(at).set_value(["tiny"]).run()
    at.selectbox(key=keys.WS_ENTRY).set_value("police").run()
    at.multiselect(key=keys.WS_CLOSED).set_value(["hospital"]).run()
    assert not at.exception
    assert "cannot be reached at all" in texts(at.error)
    assert any(e.icon == ":material/trending_down:" for e in at.error)  # worse, in red
    excluded = at.table[0].value
    assert excluded.index.name == "service"
    assert dict(zip(excluded.index, excluded["why not"], strict=True)) == {
        "Hospital care centre": "closed"
    }


def test_workshop_profile_excludes_and_translates(app_data: Path) -> None:
    at = run_app("views/workshop.py")
    at.sidebar.radio(key=keys.LANG).set_value("fr").run()
    at.multiselect(key=keys.WS_NEEDS).set_value(["case_management"]).run()
    at.selectbox(key=keys.WS_GENDER).set_value("male").run()
    assert not at.exception
    assert "Aucun parcours" in texts(at.markdown)
    excluded = at.table[0].value
    assert "ne reçoit que : Femmes, Filles (moins de 18 ans) ; pas : Hommes" in {
        plain(why) for why in excluded["pourquoi pas"]
    }


def test_workshop_presentation_steps_through_gap_sentences(app_data: Path) -> None:
    at = run_app("views/workshop.py")
    at.multiselect(key=keys.WS_CLOSED).set_value(["hospital"]).run()
    at.toggle(key=keys.WS_PRESENT).set_value(True).run()
    assert not at.exception
    first = [c.value for c in at.caption if c.value.startswith("Gap 1 of")]
    assert first and first[0].endswith("· new")
    assert at.button(key=keys.WS_PREV).disabled
    at.button(key=keys.WS_NEXT).click().run()
    assert any(c.value.startswith("Gap 2 of") for c in at.caption)
    assert at.session_state[keys.WS_INDEX] == 1


def test_workshop_survivor_does_not_start_at_the_service_she_needs(app_data: Path) -> None:
    at = run_app("views/workshop.py")
    entry = at.selectbox(key=keys.WS_ENTRY).value
    assert at.multiselect(key=keys.WS_NEEDS).value == ["health.cmr"]
    tiny = load_site(app_data / "tiny.yaml")
    assert entry in {s.id for s in tiny.services if s.entry_point}
    assert "health.cmr" not in tiny.by_id[entry].categories
    steps = at.dataframe[0].value
    assert len(steps) >= 2 and float(steps["seen after (h)"].iloc[-1]) > 0  # a real hand-off


def test_workshop_presentation_hides_the_sidebar_and_reads_the_worst_first(
    app_data: Path,
) -> None:
    at = run_app("views/workshop.py")
    hidden = [h for h in at.get("html") if "stSidebar" in h.proto.body]
    assert not hidden  # the sidebar shows while the facilitator prepares
    at.multiselect(key=keys.WS_CLOSED).set_value(["hospital"]).run()
    at.toggle(key=keys.WS_PRESENT).set_value(True).run()
    assert not at.exception
    hidden = [h for h in at.get("html") if "stSidebar" in h.proto.body]
    assert hidden and "display: none" in hidden[0].proto.body
    assert not at.sidebar.radio  # the language switch moves onto the page, for the room
    at.main.radio(key=keys.LANG).set_value("fr").run()
    assert any(c.value.startswith("Lacune 1 sur") for c in at.caption)
    at.main.radio(key=keys.LANG).set_value("en").run()
    diff = what_if(load_site(app_data / "tiny.yaml"), closed=["hospital"])
    changes = getattr(diff, "changes", None)  # with `effect`, once pathways.analysis.gaps gives it
    worse = [c.gap for c in changes if c.effect == "worse"] if changes else diff.appeared
    gravest = min(SEVERITY_ORDER[g.severity] for g in worse)
    first = next(c.value for c in at.caption if c.value.startswith("Gap 1 of"))
    n = len(changes or diff.appeared + diff.disappeared) + len(diff.unchanged)
    assert first.startswith(f"Gap 1 of {n}")
    severity = next(s for s, rank in SEVERITY_ORDER.items() if rank == gravest)
    assert f"· {severity} ·" in first
    at.toggle(key=keys.WS_PRESENT).set_value(False).run()
    assert not [h for h in at.get("html") if "stSidebar" in h.proto.body]
    assert at.sidebar.radio(key=keys.LANG).value == "en"


def test_workshop_plays_an_access_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """The rainy season in the Workshop: its services are cut off, and what gets worse shows."""
    monkeypatch.setenv("REFERRAL_ATLAS_DATA", str(ROOT / "data" / "sites"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.query_params["site"] = "koro"
    at.run()
    at.switch_page("views/workshop.py").run()
    assert not at.exception
    at.multiselect(key=keys.WS_LIMITS).set_value(["rainy-season"]).run()
    assert not at.exception
    worse = [m.value for m in at.markdown if m.value.startswith("**Worse (")]
    from pathways.analysis.gaps import what_if

    expected = len(what_if(load_site(ROOT / "data/sites/koro.yaml"), limits=["rainy-season"]).worse)
    assert expected and worse == [f"**Worse ({expected})**"]


# --- Gaps ------------------------------------------------------------------------------------


def gap_rows(at: AppTest) -> list[str]:
    """The text of each gap shown on the Gaps page (sentence, what to do, who)."""
    return [m.value for m in at.markdown if "-badge[" in m.value]


def test_gaps_page_lists_gaps_per_site(app_data: Path) -> None:
    at = run_app("views/gaps.py")
    assert [site_of(e) for e in at.expander] == ["Tiny Town", "Twin Town"]
    shown = " ".join(m.value for m in at.markdown)
    assert "Legal clinic" in shown  # the lawyer is an orphan: nothing refers to it
    assert "**What to do**" in shown and "**Who**" in shown
    n = len(gap_rows(at))
    assert n == sum(len(find_gaps(load_site(p))) for p in sorted(app_data.glob("*.yaml")))
    at.multiselect(key=keys.SEVERITIES).set_value(["critical"]).run()
    assert not at.exception
    assert all(row.startswith(":red-badge[critical]") for row in gap_rows(at))


def test_gaps_page_speaks_french(app_data: Path) -> None:
    at = run_app("views/gaps.py")
    at.sidebar.radio(key=keys.LANG).set_value("fr").run()
    assert at.title[0].value == "Lacunes du référencement"
    shown = " ".join(m.value for m in at.markdown)
    assert "voie de référencement" in shown and "**Que faire**" in shown
    assert "inatteignable" in shown or "service isolé" in shown
    assert not any(f"**{kind}**" in shown for kind in FINDERS)


def test_a_gap_opens_in_the_workshop(app_data: Path) -> None:
    at = run_app("views/gaps.py")
    gaps = find_gaps(load_site(sorted(app_data.glob("*.yaml"))[0]))
    spof = next(i for i, g in enumerate(gaps) if g.kind == "single_point_of_failure")
    site = gaps[spof].site
    at.button(key=f"gap_open_{site}_{spof}").click().run()
    assert not at.exception
    assert at.session_state[keys.WS_SITE] == site
    assert at.session_state[keys.WS_CLOSED] == list(gaps[spof].services)


# --- Compare ---------------------------------------------------------------------------------


def test_compare_headlines_matrix_and_coverage(app_data: Path) -> None:
    at = run_app("views/compare.py")
    headlines = at.table[0].value
    assert list(headlines.columns) == ["Tiny Town", "Twin Town"]
    assert headlines.loc["services"].tolist() == ["5", "5"]
    assert len(at.get("vega_lite_chart")) >= 1  # the heatmap
    # tiny.yaml has no population data: coverage says so, per site
    notes = texts(at.caption) + texts(at.info)
    assert "No coverage for Tiny Town" in notes or "not available" in notes


# --- Export ----------------------------------------------------------------------------------


def downloads(at: AppTest) -> dict[str, str]:
    return {b.proto.id.rsplit("-", 1)[-1]: b.proto.label for b in at.get("download_button")}


def test_export_offers_every_format(app_data: Path) -> None:
    at = run_app("views/export.py")
    buttons = downloads(at)
    for name in ("gaps_json", "gaps_csv", "services_csv", "map_html", "csv", "protocol"):
        assert keys.DOWNLOAD_PREFIX + name in buttons, sorted(buttons)
    # one-site formats: one button per site
    assert buttons[keys.DOWNLOAD_PREFIX + "geojson_twin"] == "GeoJSON (QGIS) · Twin Town"
    preview = at.code[0].value  # the start of the gaps JSON
    assert preview.startswith("[") and '"site": "tiny"' in preview


def test_export_puts_the_printable_pathway_first_and_groups_the_rest(app_data: Path) -> None:
    at = run_app("views/export.py")
    buttons = at.get("download_button")
    names = [b.proto.id.rsplit("-", 1)[-1].removeprefix(keys.DOWNLOAD_PREFIX) for b in buttons]
    group_of = {f: i for i, g in enumerate(GROUPS) for f in g.formats}
    pathway = [n for n in names if group_of[re.sub(r"_(tiny|twin)$", "", n)] == 0]
    assert pathway == ["protocol", "protocol_pdf", "pocket_tiny", "pocket_twin"]  # one per site
    k = len(pathway)
    assert {b.proto.type for b in buttons[:k]} == {"primary"}
    assert {b.proto.type for b in buttons[k:]} == {"secondary"}
    ranks = [group_of[re.sub(r"_(tiny|twin)$", "", n)] for n in names]
    assert ranks == sorted(ranks) and set(ranks) == set(range(len(GROUPS)))
    shown = texts(at.caption)
    for group in GROUPS:
        assert t(f"dl_{group.name}_about", "en") in shown
    assert t("about_protocol", "en") in shown and t("about_protocol_pdf", "en") in shown
    assert t("about_pocket", "en") in shown


def test_export_preview_and_severity(app_data: Path) -> None:
    at = run_app("views/export.py")
    at.multiselect(key=keys.SEVERITIES).set_value(["minor"]).run()
    assert set(re.findall(r'"severity": "(\w+)"', at.code[0].value)) == {"minor"}
    at.selectbox(key=keys.PREVIEW).select_index(2).run()  # the services table
    assert set(at.dataframe[0].value["service"]) <= EVERY_SERVICE
    at.sidebar.radio(key=keys.LANG).set_value("fr").run()
    assert "Aperçu" in [s.value for s in at.subheader]


def test_export_applies_the_explore_filters(app_data: Path) -> None:
    at = run_app()
    at.toggle(key=keys.ENTRY_ONLY).set_value(True).run()
    at.switch_page("views/export.py").run()
    assert not at.exception
    assert at.toggle(key=keys.EXPORT_FILTERS).value
    assert "4 services" in texts(at.caption)
    at.selectbox(key=keys.PREVIEW).select_index(2).run()
    assert set(at.dataframe[0].value["service"]) == {"Hospital care centre", "Police station"}
    at.toggle(key=keys.EXPORT_FILTERS).set_value(False).run()
    assert "10 services" in texts(at.caption)


@pytest.mark.parametrize("page", PAGES)
def test_every_picker_speaks_french(app_data: Path, page: str) -> None:
    """No multiselect, nor select box left empty, shows Streamlit's English placeholder."""
    at = run_app(page, lang="fr")
    pickers = [*at.multiselect, *(w for w in at.selectbox if w.value is None)]
    assert pickers
    for w in pickers:
        assert w.placeholder and not w.placeholder.startswith("Choose"), (w.key, w.placeholder)


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


# --- confidentiality -------------------------------------------------------------------------


def test_map_never_carries_the_shelters_true_location(app_data: Path) -> None:
    at = run_app()
    script = map_script(at)
    assert re.search(r"50\.835\D{1,8}4\.348", script), "the hospital's marker should be there"
    assert not SHELTER_TRUE.search(script)
    at.multiselect(key=keys.CATEGORIES).set_value(["safety.shelter"]).run()
    assert not SHELTER_TRUE.search(map_script(at))
    at.session_state[keys.PICKED] = Selection("tiny/shelter")
    at.run()
    card = texts(at.markdown)
    assert "Safe house" in [s.value for s in at.subheader]
    assert "withheld" in card and "50.82" not in card and "4.37" not in card


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


def test_inventory_text_is_escaped_in_markdown(app_data: Path) -> None:
    text = (app_data / "tiny.yaml").read_text(encoding="utf-8")
    hostile = "[click](https://example.org) *bold* <b>x</b>"
    (app_data / "tiny.yaml").write_text(
        text.replace("name: Hospital care centre", f'name: "{hostile}"'), encoding="utf-8"
    )
    at = run_app()
    at.session_state[keys.PICKED] = Selection("tiny/hospital")
    at.run()
    shown = at.subheader[0].value  # Markdown that shows the name as written
    assert shown.startswith(r"\[click\]\(https\://example\.org\) \*bold\* \<b\>x\</b\>")


# --- speed ------------------------------------------------------------------------------------


def test_faster_map_rendering_draws_the_same_map(monkeypatch: pytest.MonkeyPatch) -> None:
    import branca.element
    from streamlit_folium import _get_map_string

    from mapping.build import build_map
    from mapping.rendering import speed_up_map_rendering
    from pathways.analysis.gaps import find_gaps

    inv = load_site(TINY)

    def script() -> str:
        m = build_map([inv], gaps=find_gaps(inv))
        m.render()
        return re.sub(r"_[0-9a-f]{32}", "_ID", _get_map_string(m))

    before = script()
    jinja = branca.element.Template
    monkeypatch.setattr(branca.element, "Template", jinja)  # restored after the test
    speed_up_map_rendering()
    patched = branca.element.Template
    speed_up_map_rendering()  # twice is once
    assert patched is not jinja and branca.element.Template is patched
    assert script() == before
