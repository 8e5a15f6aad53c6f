"""The pocket guide (`pathways export --format pocket`): two A4 pages per shipped site, in English
and French, with the decision flow, each need's phones, the gaps, and no confidential place."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pypdf
import pytest

from pathways.cli import main
from pathways.io.export import ExportOptions, export
from pathways.io.export.pocket import build_pocket, office_minutes
from pathways.io.load import load_site, read_site
from pathways.model.inventory import Hours, Inventory
from tests.leaks import Secrets, text_leaks

DATA = Path(__file__).parent / "data"
SITES = sorted((Path(__file__).parents[1] / "data" / "sites").glob("*.yaml"))
AS_OF = dt.date(2026, 11, 20)
A4 = (595.28, 841.89)  # points
FLOW = {"en": "Is there a GBV actor", "fr": "Y a-t-il un acteur VBG"}


def _text(path: Path) -> tuple[str, list[pypdf.PageObject]]:
    pages = list(pypdf.PdfReader(path).pages)
    return "\n".join(p.extract_text() for p in pages), pages


def _flat(text: str) -> str:
    """The text with its line breaks as spaces (a phone may wrap in a table cell)."""
    return " ".join(text.split())


def _secrets(inv: Inventory) -> Secrets:
    """True locations and addresses of the confidential services (`inv` as `read_site` reads)."""
    hidden = [s for s in inv.services if s.confidential]
    words = [w for s in hidden for w in (s.location.address, s.location.area) if w]
    secrets = Secrets([(s.location.lat, s.location.lon) for s in hidden], words)
    secrets.add_public((s.location.lat, s.location.lon) for s in inv.services if not s.confidential)
    return secrets


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("site", SITES, ids=lambda p: p.stem)
def test_every_site_fits_two_a4_pages(site: Path, lang: str, tmp_path: Path) -> None:
    inv = load_site(site)
    out = export(inv, tmp_path / "pocket.pdf", format="pocket", options=_opts(lang))
    text, pages = _text(out)
    assert len(pages) == 2
    for page in pages:
        assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx(A4)
    flat = _flat(text)
    assert inv.site.name in flat
    assert FLOW[lang] in flat
    assert ("ILLUSTRATIVE DATA" if lang == "en" else "DONNÉES ILLUSTRATIVES") in flat
    # the first service of each need and time of day is on every sheet, however many fit
    first = build_pocket(inv, lang=lang, as_of=AS_OF, limit=1)
    phones = {c.phone for need in first.needs for c in (*need.office, *need.night) if c.phone}
    assert phones, site.stem
    assert [phone for phone in phones if _flat(phone) not in flat] == []
    leaks = text_leaks(text, _secrets(read_site(site)))
    assert not leaks, leaks[:3]


def _opts(lang: str) -> ExportOptions:
    return ExportOptions(lang=lang, as_of=AS_OF)


def test_no_confidential_address_appears(tmp_path: Path) -> None:
    """A shelter with an address and an area: the guide may name it and give its phone, never
    its place."""
    text = (DATA / "tiny.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "location: {lat: 50.8200, lon: 4.3700}",
        'location: {lat: 50.8200, lon: 4.3700, address: "12 Rue Secrète", area: "Secret-Ville"}',
    )
    assert "Rue Secrète" in text
    site = tmp_path / "tiny.yaml"
    site.write_text(text, encoding="utf-8")
    out = tmp_path / "pocket.pdf"
    assert main(["export", str(site), "--format", "pocket", "--out", str(out)]) == 0
    flat = _flat(_text(out)[0])
    assert "Rue Secrète" not in flat and "Secret-Ville" not in flat
    assert not text_leaks(flat, _secrets(read_site(site)))


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_missing_category_is_a_gap_with_what_to_do(lang: str, tmp_path: Path) -> None:
    """The tiny site serves children and has no child protection service."""
    inv = load_site(DATA / "tiny.yaml")
    assert not any(s.has("child_protection") for s in inv.services)
    pocket = build_pocket(inv, lang=lang, as_of=AS_OF)
    assert "child protection" in pocket.gaps[0][0].casefold() or (
        "protection de l" in pocket.gaps[0][0].casefold()
    )
    out = export(inv, tmp_path / "p.pdf", format="pocket", options=_opts(lang))
    flat = _flat(_text(out)[0])
    assert _flat(pocket.gaps[0][0]) in flat
    assert pocket.text["instead"] in flat
    assert len(pypdf.PdfReader(out).pages) == 2


def test_hours_split_office_and_nights() -> None:
    """Office hours are Mon–Fri 08–18; a Saturday morning or an evening counts as outside."""
    day = ((9 * 60, 17 * 60),)
    office_only = Hours(week=(*[day] * 5, (), ()))
    assert office_minutes(office_only) == (5 * 8 * 60, 0)
    evening = Hours(week=(*[((16 * 60, 20 * 60),)] * 5, (), ()))
    assert office_minutes(evening) == (5 * 2 * 60, 5 * 2 * 60)
    saturday = Hours(week=((), (), (), (), (), ((9 * 60, 12 * 60),), ()))
    assert office_minutes(saturday) == (0, 3 * 60)
    assert office_minutes(Hours.always()) == (5 * 10 * 60, 7 * 24 * 60 - 5 * 10 * 60)
    assert office_minutes(Hours.unknown())[1] == 0  # never sent there at night on a guess


def test_a_need_lists_entry_points_first_and_counts_the_rest() -> None:
    inv = load_site(SITES[0])
    pocket = build_pocket(inv, as_of=AS_OF, limit=1)
    for need in pocket.needs:
        assert len(need.office) <= 1 and len(need.night) <= 1
    assert any(need.more_office or need.more_night for need in pocket.needs)


def test_the_cli_writes_a_pocket_guide(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "x.pdf"
    site = Path(__file__).parents[1] / "data" / "sites" / "koro.yaml"
    assert main(["export", str(site), "--format", "pocket", "--out", str(out)]) == 0
    assert len(pypdf.PdfReader(out).pages) == 2
    assert main(["export", str(site), "--format", "pocket", "--out", str(tmp_path / "x.html")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].endswith("a pocket guide is written as .pdf")


def test_a_bad_format_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        main(["export", str(SITES[0]), "--format", "pockets", "--out", "x.pdf"])
    assert e.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "invalid choice: 'pockets'" in err[0] and "'pocket'" in err[0]


@pytest.mark.parametrize("site", SITES, ids=lambda p: p.stem)
def test_the_gaps_say_whom_a_frontline_person_calls(site: Path) -> None:
    """Gaps a frontline person meets, each with a service to call at this site (its phone); the
    network's own gaps (a single point of failure, an orphan, stale data) are left out."""
    from pathways.analysis.gaps import find_gaps
    from pathways.io.export.pocket import FRONTLINE_GAPS

    inv = load_site(site)
    pocket = build_pocket(inv, as_of=AS_OF)
    texts = {g.text("en") for g in find_gaps(inv, as_of=AS_OF) if g.kind in FRONTLINE_GAPS}
    network = {g.text("en") for g in find_gaps(inv, as_of=AS_OF)} - texts
    for sentence, instead in pocket.gaps:
        assert sentence in texts and sentence not in network
        assert any(ch.isdigit() for ch in instead), instead  # a phone to call
        assert not instead.startswith("Agree")  # not the coordinator's action
