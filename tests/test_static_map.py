"""The static PNG map: it is written, it shows what it should, and never a true shelter place."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

from mapping import static
from pathways.analysis.coverage import site_coverage
from pathways.analysis.gaps import find_gaps
from pathways.io.basemap import credits, load_basemap
from pathways.io.load import load_site, read_site
from pathways.public.privacy import MIN_DISTANCE_M, distance_m
from tests.test_build import tiny_coverage, tiny_route
from tests.test_privacy import public_pairs, secrets_of

TINY = Path(__file__).parent / "data" / "tiny.yaml"
SITES = Path(__file__).parent.parent / "data" / "sites"


@pytest.fixture(scope="module")
def tiny():
    return load_site(TINY)


def test_save_png_writes_a_picture(tiny, tmp_path):
    out = static.save_png(
        tiny,
        tmp_path / "tiny.png",
        gaps=find_gaps(tiny),
        route=tiny_route(tiny),
        coverage=tiny_coverage(tiny),
        dpi=60,
    )
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = imread(out)
    assert pixels.shape[0] > 300 and pixels.shape[1] > 500
    assert len(np.unique(pixels.reshape(-1, pixels.shape[-1])[::7], axis=0)) > 50  # not blank


def test_figure_has_legend_scale_and_french_labels(tiny):
    fig = static.site_figure(tiny, gaps=find_gaps(tiny), route=tiny_route(tiny), lang="fr")
    texts = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "Prise en charge clinique du viol" in texts
    assert any("Étape numérotée" in t for t in texts)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.texts]
    assert any(t.endswith(" km") or t.endswith(" m") for t in labels)  # scale bar
    assert {"1", "2"} <= set(labels)  # numbered hand-offs
    assert "illustrative" in fig._suptitle.get_text()


def test_png_of_a_real_site_with_coverage(tmp_path):
    inv = load_site(SITES / "harmanli.yaml")
    out = static.save_png(inv, tmp_path / "h.png", coverage=site_coverage(inv), dpi=50)
    assert out.stat().st_size > 10_000


def test_nothing_is_drawn_from_a_true_confidential_location(tiny, monkeypatch):
    """Every coordinate the static map projects is a public place or a boundary vertex."""
    projected: list[tuple[float, float]] = []
    real = static.project

    def spy(lats, lons, crs):
        projected.extend(
            zip(np.atleast_1d(lats).tolist(), np.atleast_1d(lons).tolist(), strict=True)
        )
        return real(lats, lons, crs)

    monkeypatch.setattr(static, "project", spy)
    static.site_figure(tiny, gaps=find_gaps(tiny), route=tiny_route(tiny))
    public = public_pairs(tiny)
    assert projected
    for lat, lon in projected:
        for s_lat, s_lon in secrets_of(read_site(tiny.path)):
            if (lat, lon) not in public:
                assert distance_m(lat, lon, s_lat, s_lon) >= MIN_DISTANCE_M, (lat, lon)


def test_static_map_draws_the_base_map_and_credits_it():
    inv = load_site(Path(__file__).parent.parent / "data" / "sites" / "koro.yaml")
    fig = static.site_figure(inv)
    texts = [t.get_text() for t in fig.axes[0].texts] + [t.get_text() for t in fig.texts]
    bm = load_basemap(inv)
    assert bm is not None
    drawn = [t for t in texts if t in {p.name for p in bm.places()}]
    assert "Koro" in drawn and "Bankass" in drawn
    assert len(drawn) == len(set(drawn))  # each place named once
    foot = fig.texts[-1].get_text()
    for text, _url in credits(bm.sources):
        assert text in foot
