"""The shared store keeps places in PostGIS: geography points with GiST indexes, a site
boundary as a multipolygon, and distances measured on the spheroid that agree with the YAML
store's geodesic ones."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pathways.io.store import YamlStore, open_store
from tests.pg_cluster import pg_url  # noqa: F401

psycopg = pytest.importorskip("psycopg", reason="the [db] extra (psycopg) is missing")

ROOT = Path(__file__).resolve().parent.parent
BRUSSELS = ROOT / "data" / "sites" / "brussels.yaml"


def _loaded(url: str) -> str:
    from pathways.io.store.db.admin import import_inventories
    from pathways.io.store.db.schema import upgrade

    upgrade(url)
    import_inventories(url, [BRUSSELS])
    return url


def test_distances_agree_with_the_geodesic_ones_of_the_yaml_store(
    pg_url: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    url = _loaded(pg_url)
    copy = tmp_path / "sites" / "brussels.yaml"
    copy.parent.mkdir()
    shutil.copy(BRUSSELS, copy)
    shutil.copytree(ROOT / "data" / "boundaries", tmp_path / "boundaries")
    db = open_store(url + "#brussels")
    yaml_store = YamlStore(copy)
    for lat, lon, metres in ((50.8466, 4.3528, 2_500), (50.80, 4.30, 6_000), (50.9, 4.4, 500)):
        near_db = db.within(lat, lon, metres)
        near_yaml = yaml_store.within(lat, lon, metres)
        assert [sid for sid, _ in near_db] == [sid for sid, _ in near_yaml]
        for (_, a), (_, b) in zip(near_db, near_yaml, strict=True):
            assert a == pytest.approx(b, rel=1e-6)
    assert db.within(50.8466, 4.3528, 2_500)  # the centre of Brussels has services nearby


def test_places_are_geography_with_gist_indexes_and_the_query_uses_one(
    pg_url: str,  # noqa: F811
) -> None:
    url = _loaded(pg_url)
    with psycopg.connect(url) as conn:
        kinds = dict(
            conn.execute(
                "SELECT f_table_name || '.' || f_geography_column, type "
                "FROM geography_columns WHERE f_table_schema = 'atlas'"
            ).fetchall()
        )
        assert kinds == {"services.place": "Point", "exact_places.place": "Point"}
        (boundary,) = conn.execute(
            "SELECT GeometryType(boundary) FROM atlas.sites WHERE id = 'brussels'"
        ).fetchone()
        assert boundary == "MULTIPOLYGON"
        indexes = {
            row[0]
            for row in conn.execute(
                "SELECT indexname FROM pg_indexes WHERE schemaname = 'atlas' "
                "AND indexdef LIKE '%USING gist%'"
            )
        }
        assert {"services_place_gist", "exact_places_place_gist", "sites_boundary_gist"} <= indexes
        conn.execute("SET enable_seqscan = off")  # 38 rows: the planner would rather scan
        plan = "\n".join(
            r[0]
            for r in conn.execute(
                "EXPLAIN SELECT id FROM atlas.services WHERE ST_DWithin(place, "
                "ST_SetSRID(ST_MakePoint(4.35, 50.85), 4326)::geography, 1000)"
            )
        )
        assert "services_place_gist" in plan
        # every public service stands inside the site's boundary, as validation checked
        (outside,) = conn.execute(
            "SELECT count(*) FROM atlas.services s JOIN atlas.sites b ON b.id = s.site "
            "WHERE NOT s.confidential AND NOT ST_DWithin(b.boundary::geography, s.place, 5000)"
        ).fetchone()
        assert outside == 0
