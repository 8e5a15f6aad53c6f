"""views.viewmodels.explore: the Explore page's filters, cards and selection, without Streamlit."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pathways.i18n import clock_text
from pathways.io.load import load_site
from pathways.model.clock import OpenAt, site_now
from pathways.public.card import hours_text, service_card
from pathways.public.privacy import public_places
from views.viewmodels.explore import (
    Selection,
    filter_services,
    languages_present,
    match_click,
    round_time,
    select,
    subset,
    subsets,
    time_options,
    tooltip_text,
)
from views.viewmodels.table import FOUND_COLUMNS, found_table, localize_columns

TINY = Path(__file__).parent / "data" / "tiny.yaml"
ALL = {"hospital", "police", "ngo", "shelter", "lawyer"}


@pytest.fixture(scope="module")
def tiny():
    return load_site(TINY)


def ids(found) -> set[str]:
    return {s.id for _, s in found}


def test_no_filter_keeps_every_service_in_file_order(tiny) -> None:
    found = filter_services([tiny])
    assert [s.id for _, s in found] == ["hospital", "police", "ngo", "shelter", "lawyer"]
    assert all(inv is tiny for inv, _ in found)


def test_categories_include_sub_categories_and_empty_keeps_nothing(tiny) -> None:
    assert ids(filter_services([tiny], categories=["legal"])) == {"ngo", "lawyer"}
    assert ids(filter_services([tiny], categories=["health"])) == {"hospital"}  # health.*
    assert filter_services([tiny], categories=[]) == []


def test_language_counts_interpretation_unless_told_not_to(tiny) -> None:
    assert ids(filter_services([tiny], language="ar")) == {"hospital", "ngo"}  # hospital: interp.
    assert ids(filter_services([tiny], language="ar", interpretation=False)) == {"ngo"}


@pytest.mark.parametrize(
    ("group", "expected"),
    [
        ("women", ALL),
        ("girls", ALL),
        ("men", {"hospital", "police", "lawyer"}),
        ("boys", {"hospital", "police", "lawyer"}),
        ("lgbtiq", {"hospital", "police", "lawyer"}),  # services open to non-binary people
        ("undocumented", ALL),
    ],
)
def test_groups(tiny, group: str, expected: set[str]) -> None:
    assert ids(filter_services([tiny], group=group)) == expected


def test_girls_need_a_service_that_takes_children(tiny) -> None:
    adults = tiny.model_copy(
        update={"services": tuple(s.model_copy(update={"age_min": 18}) for s in tiny.services)}
    )
    assert filter_services([adults], group="girls") == []
    assert ids(filter_services([adults], group="women")) == ALL


def test_age_and_legal_status() -> None:
    inv = load_site(TINY)
    ngo = inv.by_id["ngo"].model_copy(update={"age_min": 16, "legal_status": "documented-only"})
    lawyer = inv.by_id["lawyer"].model_copy(update={"age_max": 14})
    inv = inv.model_copy(update={"services": (ngo, lawyer)})
    assert ids(filter_services([inv], age=14)) == {"lawyer"}
    assert ids(filter_services([inv], age=15)) == set()
    assert ids(filter_services([inv], age=16)) == {"ngo"}
    assert ids(filter_services([inv], group="undocumented")) == {"lawyer"}


def test_entry_points_only(tiny) -> None:
    assert ids(filter_services([tiny], entry_only=True)) == {"hospital", "police"}


def test_open_at_leaves_out_closed_and_unknown_hours(tiny) -> None:
    saturday_night = OpenAt(5, 22 * 60)
    assert ids(filter_services([tiny], open_at=saturday_night)) == {"hospital", "police"}
    monday_2pm = OpenAt(0, 14 * 60)  # the shelter's hours are unknown: never promised open
    assert ids(filter_services([tiny], open_at=monday_2pm)) == {
        "hospital",
        "police",
        "ngo",
        "lawyer",
    }
    assert ids(filter_services([tiny], open_at=OpenAt(4, 14 * 60))) == {"hospital", "police"}


def test_query_ignores_case_and_accents_and_reads_the_organisation(tiny) -> None:
    assert ids(filter_services([tiny], query="  legal CLINIC ")) == {"lawyer"}
    assert ids(filter_services([tiny], query="public hospital")) == {"hospital"}
    accented = tiny.model_copy(
        update={"services": (tiny.by_id["ngo"].model_copy(update={"name": "Centre d'Écoute"}),)}
    )
    assert ids(filter_services([accented], query="ecoute")) == {"ngo"}


def test_filters_combine(tiny) -> None:
    found = filter_services(
        [tiny], language="ar", group="girls", age=15, open_at=OpenAt(5, 22 * 60), query="hosp"
    )
    assert ids(found) == {"hospital"}


def test_site_now_is_local_time() -> None:
    inv = load_site(TINY)  # Europe/Brussels: UTC+1 in November
    now = dt.datetime(2026, 11, 21, 22, 30, tzinfo=dt.UTC)  # a Saturday
    assert site_now(inv, now) == OpenAt(5, 23 * 60 + 30)
    assert clock_text(5, 23 * 60 + 30, "fr") == "sam. 23:30"
    assert round_time(23 * 60 + 59) == 23 * 60 + 30
    assert time_options()[:3] == [0, 30, 60] and len(time_options()) == 48


def test_languages_present_lists_site_languages_first(tiny) -> None:
    assert languages_present([tiny]) == ["fr", "nl", "ar", "en"]


def test_subset_keeps_routes_between_kept_services_and_public_places(tiny) -> None:
    part = subset(tiny, ["ngo", "shelter", "lawyer"])
    assert [s.id for s in part.services] == ["ngo", "shelter", "lawyer"]
    assert set(part.by_id) == {"ngo", "shelter", "lawyer"}
    assert [(r.source_id, r.target_id) for r in part.referrals] == [("ngo", "shelter")]
    assert public_places(part)["shelter"] == public_places(tiny)["shelter"]
    parts = subsets([tiny], filter_services([tiny], entry_only=True))
    assert [s.id for s in parts[0].services] == ["hospital", "police"]


def test_hours_in_words(tiny) -> None:
    assert hours_text(tiny.by_id["ngo"].hours) == "Mon–Thu 09:00–17:00; Fri 09:00–13:00"
    assert hours_text(tiny.by_id["ngo"].hours, "fr") == "lun.–jeu. 09:00–17:00 ; ven. 09:00–13:00"
    assert hours_text(tiny.by_id["hospital"].hours, "fr") == "24 h sur 24, 7 jours sur 7"
    assert hours_text(tiny.by_id["shelter"].hours) == "hours unknown"


def test_card_has_routes_and_words(tiny) -> None:
    card = service_card(tiny, "hospital", "en")
    assert card.name == "Hospital care centre"
    fields = {f.label: f.value for f in card.fields}
    assert fields["Hours"] == "24 hours a day, 7 days a week"
    assert fields["Languages"] == "French, Dutch, English; interpretation"
    assert fields["Serves"] == "everyone"
    assert fields["Contact"] == "+32 2 000 00 01"
    assert fields["Last verified"] == "2026-10-15"
    assert [r.name for r in card.routes_in] == ["Police station"]
    assert [r.name for r in card.routes_out] == ["Women's NGO"]
    assert card.routes_out[0].labelled("en")["mode"] == "accompanied call"
    fr = {f.label: f.value for f in service_card(tiny, "ngo", "fr").fields}
    assert fr["Public"] == "Femmes, Filles (moins de 18 ans)"
    assert fr["Langues"] == "français, arabe"


def test_card_json_has_stable_keys_and_a_version(tiny) -> None:
    data = service_card(tiny, "hospital", "fr").to_dict()
    assert data["fields"]["hours"] == "24 h sur 24, 7 jours sur 7"
    assert data["labels"]["hours"] == "Horaires"
    assert data["routes_out"][0]["service"] == "ngo" and data["routes_out"][0]["mode"]
    assert data["version"] == service_card(tiny, "hospital", "en").version  # not the language
    changed = tiny.model_copy(
        update={
            "services": tuple(
                s.model_copy(update={"name": "Renamed"}) if s.id == "hospital" else s
                for s in tiny.services
            )
        }
    )
    assert service_card(changed, "hospital").version != data["version"]


def test_card_of_a_confidential_service_never_gives_its_place(tiny) -> None:
    card = service_card(tiny, "shelter", "en")
    text = repr(card) + card.text() + repr(card.to_dict())
    assert "50.82" not in text and "4.37" not in text
    assert "withheld" in card.to_dict()["fields"]["place"]


def test_found_table_is_public_and_in_words(tiny) -> None:
    df = found_table(filter_services([tiny]), lang="fr")
    assert tuple(df.columns) == FOUND_COLUMNS
    assert list(df.index) == [
        f"tiny/{s}" for s in ("hospital", "police", "ngo", "shelter", "lawyer")
    ]
    assert "50.82" not in df.to_csv() and "4.37" not in df.to_csv()
    assert df.loc["tiny/ngo", "hours"] == "lun.–jeu. 09:00–17:00 ; ven. 09:00–13:00"
    assert "service" in localize_columns(df, "en").columns
    assert "horaires" in localize_columns(df, "fr").columns


def test_a_click_on_a_marker_picks_its_service(tiny) -> None:
    found = filter_services([tiny])
    # what streamlit-folium returns: the tooltip's text content (<br> gives no character)
    text = tooltip_text(tiny.by_id["hospital"]) + "Entry point"
    assert match_click(found, text) == "tiny/hospital"
    assert match_click(found, tooltip_text(tiny.by_id["ngo"], "fr"), "fr") == "tiny/ngo"
    assert match_click(found, "Police station → Hospital care centre: for health.cmr") is None
    assert match_click(found, "3 — services here") is None
    assert match_click(found, None) is None
    assert match_click(found[:1], tooltip_text(tiny.by_id["ngo"])) is None  # filtered out


def test_a_name_that_starts_another_picks_the_longer() -> None:
    inv = load_site(TINY)
    clinic = inv.by_id["lawyer"]
    longer = clinic.model_copy(update={"id": "lawyer2", "name": "Legal clinic annex"})
    inv = inv.model_copy(update={"services": (clinic, longer)})
    found = filter_services([inv])
    assert match_click(found, tooltip_text(longer)) == "tiny/lawyer2"
    assert match_click(found, tooltip_text(clinic)) == "tiny/lawyer"


def test_selection_follows_the_latest_choice() -> None:
    keys = ["s/a", "s/b", "s/c"]
    state = select(Selection(), click=None, row=None, keys=keys)
    assert state.current is None
    state = select(state, click="s/a", row=None, keys=keys)
    assert state.current == "s/a"
    state = select(state, click="s/a", row="s/b", keys=keys)  # the old click does not count
    assert state.current == "s/b"
    state = select(state, click="s/c", row="s/b", keys=keys)
    assert state.current == "s/c"
    state = select(state, click="s/c", row=None, keys=keys)  # the row is unselected: no change
    assert state.current == "s/c"
    state = select(state, click="s/c", row="s/a", keys=keys)
    assert select(state, click="s/c", row=None, keys=keys).current is None  # its row let go
    assert select(state, click="s/c", row="s/a", keys=["s/b"]).current is None  # filtered out


def test_map_focus_is_the_selected_row_while_it_is_among_the_services() -> None:
    from views.viewmodels.explore import map_focus

    found = ["koro/koro-csref", "koro/koro-host-family"]
    assert map_focus("koro/koro-host-family", found) == ("koro", "koro-host-family")
    assert map_focus(None, found) is None
    assert map_focus("koro/koro-gone", found) is None  # filtered out since: no focus
    assert map_focus("brussels/x/y", ["brussels/x/y"]) == ("brussels", "x/y")  # ids may hold '/'
