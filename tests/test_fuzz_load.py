"""Bad input never crashes the loader: it loads, or it raises InventoryError with file and line.

Hypothesis drives random structures and mutations of a real inventory; pathological files
(alias bombs, deep nesting, huge, binary, not UTF-8) are tried one by one. The default profile
is quick; `HYPOTHESIS_PROFILE=long pytest tests/test_fuzz_load.py` runs the long one.
"""

from __future__ import annotations

import copy
import json
import os
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pathways.cli import main
from pathways.io.load import load_site, read_site
from pathways.model.errors import InventoryError, ValidationError

settings.register_profile("long", max_examples=3000, deadline=None)
settings.register_profile(
    "default", max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

TINY = Path(__file__).parent / "data" / "tiny.yaml"
BASE = yaml.safe_load(TINY.read_text(encoding="utf-8"))
LINE = re.compile(r"^.+?:\d+: |^.+?: ")


def check(path: Path) -> None:
    """Load; any failure must be an InventoryError whose lines name the file."""
    try:
        load_site(path)
    except ValidationError as e:
        assert e.problems, "a ValidationError lists its problems"
        for p in e.problems:
            assert p.file and Path(p.file).name == path.name
            assert "\n" not in str(p)
    except InventoryError:
        pass


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.sampled_from(["24/7", "health.cmr", "2026-01-01", "fr", "mon"]),
)
structures = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.sampled_from(
                [
                    "id",
                    "name",
                    "site",
                    "services",
                    "referrals",
                    "location",
                    "lat",
                    "lon",
                    "hours",
                    "from",
                    "to",
                    "categories",
                    "x",
                ]
            ),
            children,
            max_size=5,
        ),
    ),
    max_leaves=25,
)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(structures)
def test_random_structures(tmp_path, data):
    path = tmp_path / "random.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    check(path)


def _mutate(data: dict, choice: int, value: object, index: int) -> dict:
    doc = copy.deepcopy(data)
    services = doc["services"]
    s = services[index % len(services)]
    r = doc["referrals"][index % len(doc["referrals"])]
    key = sorted(s)[index % len(s)]
    ops = [
        lambda: s.pop(key),  # delete a key
        lambda: s.__setitem__(key, value),  # wrong type
        lambda: s.__setitem__(
            "location", {"lat": s["location"]["lon"], "lon": s["location"]["lat"]}
        ),  # swapped
        lambda: services.append(copy.deepcopy(s)),  # duplicate id
        lambda: r.__setitem__("to", str(value)),  # broken reference
        lambda: s.__setitem__("name", "\u202e\u0000\ufeff" + str(value) + "\U0001f600"),
        lambda: doc.__setitem__("site", value),
        lambda: doc.__setitem__("services", value),
        lambda: r.__setitem__("delay_hours", value),
        lambda: s.__setitem__("hours", {"mon": value}),
    ]
    ops[choice % len(ops)]()
    return doc


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.integers(0, 9),
    scalars | structures,
    st.integers(0, 50),
    st.sampled_from(["yaml", "crlf", "bom", "tabs", "json"]),
)
def test_mutated_real_inventory(tmp_path, choice, value, index, form):
    doc = _mutate(BASE, choice, value, index)
    if form == "json":
        path = tmp_path / "mutated.geojson"
        feats = []
        for s in doc.get("services") if isinstance(doc.get("services"), list) else []:
            if isinstance(s, dict):
                loc = s.pop("location", None)
                coords = [loc.get("lon"), loc.get("lat")] if isinstance(loc, dict) else loc
                feats.append(
                    {
                        "type": "Feature",
                        "properties": s,
                        "geometry": {"type": "Point", "coordinates": coords},
                    }
                )
        fc = {
            "type": "FeatureCollection",
            "site": doc.get("site"),
            "features": feats,
            "referrals": doc.get("referrals"),
        }
        path.write_text(json.dumps(fc, default=str), encoding="utf-8")
    else:
        text = yaml.safe_dump(doc, allow_unicode=True)
        path = tmp_path / "mutated.yaml"
        if form == "crlf":
            text = text.replace("\n", "\r\n")
        if form == "tabs":
            text = text.replace("  ", "\t", 1)
        data = text.encode("utf-8")
        path.write_bytes(b"\xef\xbb\xbf" + data if form == "bom" else data)
    check(path)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=400))
def test_binary_garbage(tmp_path, blob):
    path = tmp_path / "garbage.yaml"
    path.write_bytes(blob)
    check(path)


PATHOLOGICAL = {
    "alias_bomb": "\n".join(
        ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
        + [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 12)]
    ),
    "deep_flow": "site: " + "[" * 10_000 + "]" * 10_000,
    "deeper_flow": "site: " + "{a: " * 50_000 + "1" + "}" * 50_000,
    "deep_block": "".join(" " * i + "a:\n" for i in range(10_000)),
    "python_tag": "site: !!python/object/apply:os.system ['true']",
    "latin1": "site:\n  name: Caf\xe9\n",
    "nul": "site:\n  name: a\x00b\n",
    "only_comment": "# nothing here\n",
    "scalar": "42\n",
    "impossible_date": TINY.read_text(encoding="utf-8").replace("2026-11-01", "2026-02-30"),
    "year_zero": TINY.read_text(encoding="utf-8").replace("2026-10-15", "0000-01-01"),
    "month_99": TINY.read_text(encoding="utf-8").replace("2026-10-15", "9999-99-99"),
    "timestamp_tag": "site: {updated: !!timestamp 2026-02-30}\n",
    "binary_tag": "site: {name: !!binary aGVsbG8=}\n",
    "anchored_python_tag": "a: &x 1\nsite: !!python/object/apply:os.system ['true']\n",
    "huge_int": TINY.read_text(encoding="utf-8").replace(
        "delay_hours: 24", "delay_hours: " + "9" * 5000
    ),
    "bool_tag": "site: {name: !!bool maybe, id: !!int x, country: !!float y}\n",
}


@pytest.mark.parametrize("name", sorted(PATHOLOGICAL))
def test_pathological_files_fail_cleanly_on_the_command_line(tmp_path, capsys, name):
    path = tmp_path / f"{name}.yaml"
    text = PATHOLOGICAL[name]
    path.write_bytes(text.encode("latin-1" if name == "latin1" else "utf-8"))
    with pytest.raises(InventoryError):
        load_site(path)
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err and all(line.startswith(str(path)) for line in err), err
    assert not any("Traceback" in line for line in err)


def test_huge_file_is_refused_before_reading(tmp_path):
    path = tmp_path / "huge.yaml"
    with path.open("wb") as f:  # sparse: 300 MiB on paper, nothing on disk
        f.truncate(300 * 2**20)
    with pytest.raises(ValidationError, match="300 MiB; the limit is 256 MiB"):
        load_site(path)


# --- dates and confidential values -------------------------------------------------------------

TINY_TEXT = TINY.read_text(encoding="utf-8")


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.from_regex(r"\A-?[0-9]{1,5}-[0-9]{1,3}-[0-9]{1,3}\Z"))
def test_date_like_texts_load_as_dates_or_fail_cleanly(tmp_path, text):
    import datetime as dt

    path = tmp_path / "dates.yaml"
    path.write_text(
        TINY_TEXT.replace("2026-11-01", text).replace("2026-10-15", text), encoding="utf-8"
    )
    try:
        inv = read_site(path)
    except ValidationError as e:
        assert all("not a real date (YYYY-MM-DD)" in p.message for p in e.problems), e
        return
    assert type(inv.site.updated) is dt.date and inv.site.updated.isoformat()[:4] == text[:4]


SECRET = (50.8200, 4.3700)
"""The tiny site's shelter (confidential): its true place."""

_FORMS = [
    "50.8200, 4.3700",
    "50.82 4.37",
    "50,8200 4,3700",
    "508200000, 43700000",
    "[50.82, 4.37]",
    "4.37,50.82",
]
planted = st.one_of(
    st.sampled_from(_FORMS),
    st.sampled_from(_FORMS).map(lambda t: {t: "x"}),
    st.sampled_from(_FORMS).map(lambda t: [t]),
    st.sampled_from(_FORMS).map(lambda t: {"mon": t}),
    st.just([50.82, 4.37]),
    st.just({"lat": "50.82 4.37", "lon": 4.37}),
)
SHELTER_KEYS = [
    "id",
    "name_as_key",
    "categories",
    "hours",
    "languages",
    "serves",
    "age_min",
    "age_max",
    "cost",
    "legal_status",
    "entry_point",
    "interpretation",
    "requires",
    "last_verified",
    "contact",
    "location_precision",
    "intake",
    "confidential",
]


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(SHELTER_KEYS), planted), min_size=1, max_size=3))
def test_a_confidential_place_typed_anywhere_is_never_repeated(tmp_path, plants):
    from tests.leaks import Secrets, text_leaks

    doc = copy.deepcopy(BASE)
    shelter = next(s for s in doc["services"] if s["id"] == "shelter")
    for key, value in plants:
        if key == "name_as_key":
            shelter[value if isinstance(value, str) else str(value)] = "x"
        elif key == "confidential":
            shelter[key] = value if isinstance(value, str) else True
        else:
            shelter[key] = value
    path = tmp_path / "planted.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    try:
        read_site(path)
    except ValidationError as e:
        text = "\n".join(str(p) for p in e.problems)
        assert not text_leaks(text, Secrets([SECRET])), text
        for p in e.problems:
            assert not re.search(r"50[.,]82|4[.,]37|508200|43700", p.field + p.message), p
    except InventoryError:
        pass
