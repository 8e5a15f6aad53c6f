"""Scenario cards for workshops (issue #20): short stories per site, data validated like an
inventory; the room decides, then `pathways orient` (and the Workshop) reveals the answer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pathways.analysis.orient import orient, scenario_question
from pathways.io.load import load_site
from pathways.io.orientation import SCENARIOS_DIR, load_grid, load_scenarios
from pathways.model.errors import ValidationError
from tests.test_app import keys
from tests.test_orient import run

ROOT = Path(__file__).resolve().parents[1]
SITES = sorted((ROOT / "data" / "sites").glob("*.yaml"))


@pytest.mark.parametrize("site", SITES, ids=lambda p: p.stem)
def test_every_shipped_site_has_cards_that_are_answered(site: Path) -> None:
    inv, grid = load_site(site), load_grid()
    cards = {c.id: c for c in load_scenarios(inv, grid)}
    assert set(cards) == {"night-after-assault", "girl-with-bruises", "threat-after-leaving"}
    answers = {}
    for card in cards.values():
        profile, situation = scenario_question(card)
        answers[card.id] = orient(inv, profile, situation, grid)
        assert card.story.en and card.story.fr
    night = answers["night-after-assault"]
    assert night.urgency == "immediate"  # ten hours after a rape: the 72 h window is running
    cmr = next(a for a in night.actions if a.category == "health.cmr")
    assert {d.window: d.hours_left for d in cmr.deadlines} == {"pep": 62, "ec": 110}
    # a child at risk: child protection first; a threat to kill: safety first
    assert answers["girl-with-bruises"].actions[0].category == "child_protection"
    assert answers["threat-after-leaving"].actions[0].category.startswith("safety.")


def _deck(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cards.yaml"
    path.write_text(text, encoding="utf-8")
    return path


CARD = """site: koro
scenarios:
  - id: one
    title: {en: One, fr: Une}
    story: {en: A story., fr: Une histoire.}
    entry: koro-cscom-pel
    signs: [weapon]
"""


def test_a_card_is_checked_against_the_site_and_the_grid(tmp_path: Path) -> None:
    inv, grid = load_site(ROOT / "data" / "sites" / "koro.yaml"), load_grid()
    assert [c.id for c in load_scenarios(inv, grid, _deck(tmp_path, CARD))] == ["one"]
    bad = CARD.replace("koro-cscom-pel", "koro-nowhere").replace("[weapon]", "[weapon, curse]")
    with pytest.raises(ValidationError) as e:
        load_scenarios(inv, grid, _deck(tmp_path, bad))
    lines = [str(p) for p in e.value.problems]
    assert lines[0].endswith(
        "cards.yaml:6: scenarios[0].entry: 'koro-nowhere' is not an entry point of the site "
        "(" + ", ".join(s.id for s in inv.services if s.entry_point) + ")"
    )
    assert "cards.yaml:7: scenarios[0].signs[1]: 'curse' is not a sign of the grid" in lines[1]
    with pytest.raises(ValidationError) as e:
        load_scenarios(inv, grid, _deck(tmp_path, CARD.replace("site: koro", "site: rome")))
    assert str(e.value.problems[0]).endswith("cards.yaml:1: site: 'rome' is not this site ('koro')")
    with pytest.raises(ValidationError) as e:
        load_scenarios(inv, grid, _deck(tmp_path, CARD.replace("    entry: koro-cscom-pel\n", "")))
    assert str(e.value.problems[0]).endswith("cards.yaml:3: scenarios[0]: 'entry' is required")


def test_the_command_line_tells_the_story_then_the_answer(
    capsys: pytest.CaptureFixture[str],
) -> None:
    koro = str(ROOT / "data" / "sites" / "koro.yaml")
    code, out, _ = run(capsys, "orient", koro, "--scenario", "girl-with-bruises")
    assert code == 0
    assert out.startswith("A girl with bruises: A 14-year-old girl")
    code, out, _ = run(capsys, "orient", koro, "--scenario", "night-after-assault", "--json")
    data = json.loads(out)
    assert code == 0 and data["scenario"]["id"] == "night-after-assault"
    assert data["urgency"] == "immediate"
    code, _, err = run(capsys, "orient", koro, "--scenario", "nope")
    assert code == 1
    assert err.strip().endswith(
        "--scenario: 'nope' is not a card of this site "
        "(night-after-assault, girl-with-bruises, threat-after-leaving)"
    )
    assert len(err.strip().splitlines()) == 1


def test_the_workshop_reveals_a_cards_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFERRAL_ATLAS_DATA", str(ROOT / "data" / "sites"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.query_params["site"] = "koro"
    at.run()
    at.switch_page("views/workshop.py").run()
    assert not at.exception, at.exception
    at.selectbox(key=keys.WS_CARD).set_value("threat-after-leaving").run()
    story = "A woman in her thirties left her husband last week."
    assert any(story in m.value for m in at.markdown)
    assert not any(m.value.startswith("**1\\. ") for m in at.markdown)  # not yet revealed
    at.toggle(key=keys.WS_REVEAL).set_value(True).run()
    assert not at.exception, at.exception
    first = next(m.value for m in at.markdown if m.value.startswith("**1\\. "))
    assert "Police" in first or "police" in first


def test_the_shipped_cards_are_one_file_per_site() -> None:
    assert sorted(p.stem for p in SCENARIOS_DIR.glob("*.yaml")) == [p.stem for p in SITES]
