"""The command line on the shared store (issue #18): `pathways db init | import | export | grant |
revoke | members`, and every reading and editing command given `postgresql://HOST/DB#SITE`,
answering as it does for the same inventory in YAML.

The reading commands run on one database per module (`loaded`: koro and tiny imported by
`pathways db import`, read as its owner); the tests that change the database or make roles take a
fresh one each (`pg_url`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from pathways.cli import main
from tests.pg_cluster import PgServer, pg_server, pg_url  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
KORO = ROOT / "data" / "sites" / "koro.yaml"
TINY = ROOT / "tests" / "data" / "tiny.yaml"
SECRET = "s3cret-Pa55"


def run(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def ok(capsys: pytest.CaptureFixture[str], *args: object) -> str:
    code, out, err = run(capsys, *args)
    assert code == 0, err
    return out


def with_login(url: str, user: str, password: str | None = None) -> str:
    """The URL with another login (the test cluster trusts every local connection)."""
    login = f"{user}:{password}" if password else user
    return url.replace("postgres@", f"{login}@", 1)


def count_sites(url: str) -> int:
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM atlas.sites").fetchone()
    assert row is not None
    return int(row[0])


@pytest.fixture(scope="module")
def loaded(pg_server: PgServer) -> Iterator[str]:  # noqa: F811
    """A database holding koro and tiny, as `pathways db import` loads them (read-only)."""
    with pg_server.fresh_database() as url:
        assert main(["db", "init", url]) == 0
        assert main(["db", "import", url, str(KORO), str(TINY)]) == 0
        yield url


@pytest.fixture
def db(pg_url: str, capsys: pytest.CaptureFixture[str]) -> str:  # noqa: F811
    """A fresh database holding tiny, with a viewer, an editor of the NGO and a coordinator."""
    ok(capsys, "db", "init", pg_url)
    ok(capsys, "db", "import", pg_url, TINY)
    ok(capsys, "db", "grant", pg_url, "coord", "coordinator", "--site", "tiny")
    ok(capsys, "db", "grant", pg_url, "vera", "viewer", "--site", "tiny")
    ok(capsys, "db", "grant", pg_url, "ed", "editor", "--site", "tiny", "--organisation", "NGO")
    return pg_url


def version(capsys: pytest.CaptureFixture[str], source: str, service: str) -> str:
    return str(json.loads(ok(capsys, "show", source, service, "--json"))["version"])


# --- db init, import ----------------------------------------------------------------------------


def test_init_twice_says_the_second_time_it_is_up_to_date(capsys, pg_url: str) -> None:  # noqa: F811
    first = ok(capsys, "db", "init", pg_url)
    assert first.strip().endswith("schema created at revision 0001")
    second = ok(capsys, "db", "init", pg_url)
    assert second.strip().endswith("schema at revision 0001 (already up to date)")


def test_import_prints_one_line_a_file_new_then_replaced(capsys, pg_url: str) -> None:  # noqa: F811
    ok(capsys, "db", "init", pg_url)
    code, out, err = run(capsys, "db", "import", pg_url, TINY, KORO)
    assert code == 0, err
    assert out.splitlines() == [
        "tiny: 5 services, 3 referrals, new (tests/data/tiny.yaml)",
        "koro: 22 services, 43 referrals, new (data/sites/koro.yaml)",
    ]
    assert "imported 2 inventory file(s) into postgresql://postgres@" in err
    out = ok(capsys, "db", "import", pg_url, KORO)
    assert out == "koro: 22 services, 43 referrals, replaced (data/sites/koro.yaml)\n"
    assert count_sites(pg_url) == 2


def test_a_bad_file_is_refused_with_its_lines_and_nothing_is_stored(
    capsys,
    pg_url: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    ok(capsys, "db", "init", pg_url)
    bad = tmp_path / "bad.yaml"
    text = TINY.read_text(encoding="utf-8").replace("id: tiny", "id: bad")
    bad.write_text(text.replace("to: ngo,", "to: ngoo,"), encoding="utf-8")
    code, out, err = run(capsys, "db", "import", pg_url, TINY, bad)
    assert code == 1 and out == ""
    lines = err.splitlines()
    assert lines and all(re.match(r"\S*bad\.yaml:\d+: \S+: ", line) for line in lines), err
    assert any("'ngoo' is not a service id (did you mean 'ngo'?)" in line for line in lines)
    assert "Traceback" not in err
    assert count_sites(pg_url) == 0  # every file is validated first: the good one waits too
    code, _, err = run(capsys, "db", "import", f"{pg_url}#koro", TINY)
    assert code == 1 and "the URL names site koro, but tests/data/tiny.yaml (tiny)" in err
    assert count_sites(pg_url) == 0


# --- reading commands: the same answers as for the YAML ---------------------------------------

ROUTE = ("--from", "koro-csref", "--need", "health.cmr,mhpss", "--day", "mon", "--hour", "10")
SAME_OUTPUT = {
    "gaps": ("gaps", "{src}"),
    "gaps-json": ("gaps", "{src}", "--json"),
    "gaps-what-if": ("gaps", "{src}", "--close", "koro-csref", "--json"),
    "route": ("route", "{src}", *ROUTE),
    "route-json": ("route", "{src}", *ROUTE, "--json"),
    "show": ("show", "{src}", "koro-csref"),
    "show-json": ("show", "{src}", "koro-csref", "--json"),
    "show-confidential": ("show", "{src}", "koro-host-family", "--json"),
    "validate": ("validate", "{src}"),
    "compare": ("compare", "{src}"),
    "compare-json": ("compare", "{src}", "--json"),
}


COVERAGE = {
    "coverage": ("coverage", "{src}"),
    "coverage-json": ("coverage", "{src}", "--json"),
}


@pytest.mark.parametrize(
    "argv",
    [
        *(pytest.param(argv, id=name) for name, argv in SAME_OUTPUT.items()),
        *(pytest.param(argv, id=name) for name, argv in COVERAGE.items()),
    ],
)
def test_a_reading_command_answers_as_for_the_yaml(
    capsys, loaded: str, argv: tuple[str, ...]
) -> None:
    from_yaml = run(capsys, *(a.format(src=KORO) for a in argv))
    from_db = run(capsys, *(a.format(src=f"{loaded}#koro") for a in argv))
    assert from_yaml[0] == 0, from_yaml[2]
    assert from_db == from_yaml


def test_several_sources_mixing_files_and_the_database(capsys, loaded: str) -> None:
    from_yaml = run(capsys, "compare", KORO, TINY, "--csv")
    from_db = run(capsys, "compare", f"{loaded}#koro", f"{loaded}#tiny", "--csv")
    assert from_db == from_yaml
    mixed = run(capsys, "gaps", KORO, f"{loaded}#tiny", "--json")
    assert mixed == run(capsys, "gaps", KORO, TINY, "--json")


def test_export_csv_is_the_same_file(capsys, loaded: str, tmp_path: Path) -> None:
    a, b = tmp_path / "yaml.csv", tmp_path / "db.csv"
    ok(capsys, "export", KORO, "--format", "csv", "--out", a, "--as-of", "2026-12-01")
    ok(capsys, "export", f"{loaded}#koro", "--format", "csv", "--out", b, "--as-of", "2026-12-01")
    assert b.read_bytes() == a.read_bytes()


def test_export_geojson_is_the_same_but_where_the_boundary_files_are(
    capsys, loaded: str, tmp_path: Path
) -> None:
    """The GeoJSON names the site's boundary and areas files relative to itself: the YAML's
    beside it, the database's in the folder the store writes them to. The files are the same."""
    a, b = tmp_path / "yaml.geojson", tmp_path / "db.geojson"
    ok(capsys, "export", KORO, "--format", "geojson", "--out", a)
    ok(capsys, "export", f"{loaded}#koro", "--format", "geojson", "--out", b)
    from_yaml, from_db = (json.loads(p.read_text(encoding="utf-8")) for p in (a, b))
    paths = []
    for data in (from_yaml, from_db):
        site = data["site"]
        paths.append((site.pop("boundary"), site["areas"].pop("path")))
    assert from_db == from_yaml
    for yaml_path, db_path in zip(*paths, strict=True):
        assert yaml_path != db_path
        assert (tmp_path / db_path).read_bytes() == (tmp_path / yaml_path).read_bytes()


def test_export_hsds_is_the_same_file(capsys, loaded: str, tmp_path: Path) -> None:
    a, b = tmp_path / "yaml.json", tmp_path / "db.json"
    ok(capsys, "export", KORO, "--format", "hsds", "--out", a, "--as-of", "2026-12-01")
    ok(capsys, "export", f"{loaded}#koro", "--format", "hsds", "--out", b, "--as-of", "2026-12-01")
    # the same file but where the boundary files are (the store's copy of them, the same bytes)
    texts = [_files_named(p.read_text(encoding="utf-8")) for p in (a, b)]
    assert texts[0] == texts[1]


def _files_named(text: str) -> str:
    """An HSDS package with the folder of the site's boundary and areas files left out."""
    return re.sub(r'"[^"]*/boundaries/', '"…/boundaries/', text)


def test_map_is_written(capsys, loaded: str, tmp_path: Path) -> None:
    out = tmp_path / "koro.html"
    code, _, err = run(capsys, "map", f"{loaded}#koro", "--out", out, "--offline")
    assert code == 0 and err == f"wrote {out}\n"
    html = out.read_text(encoding="utf-8")
    assert "CSRef de Koro" in html and "</html>" in html


def test_as_is_accepted_and_ignored_with_files(capsys) -> None:
    assert run(capsys, "gaps", TINY, "--json", "--as", "anyone") == run(
        capsys, "gaps", TINY, "--json"
    )


def test_an_unknown_site_names_the_sites_there(capsys, loaded: str) -> None:
    code, out, err = run(capsys, "gaps", f"{loaded}#kor")
    assert code == 1 and out == ""
    assert err.endswith("#kor: no site 'kor' in this database (sites: koro, tiny)\n")
    assert err.count("\n") == 1


# --- db export --------------------------------------------------------------------------------


def test_db_export_writes_a_valid_inventory_with_the_same_gaps(
    capsys, loaded: str, tmp_path: Path
) -> None:
    out = tmp_path / "sites" / "koro.yaml"
    out.parent.mkdir()
    code, _, err = run(capsys, "db", "export", f"{loaded}#koro", "--out", out)
    assert code == 0 and "wrote " in err and "22 services, 43 referrals" in err
    code, _, err = run(capsys, "validate", out)
    assert code == 0 and err == "1 inventories valid: 22 services, 43 referrals\n"
    assert ok(capsys, "gaps", out, "--json") == ok(capsys, "gaps", KORO, "--json")


def test_db_export_refuses_a_bad_out_before_writing(capsys, loaded: str, tmp_path: Path) -> None:
    code, _, err = run(capsys, "db", "export", f"{loaded}#koro", "--out", tmp_path / "x" / "k.yaml")
    assert code == 1 and "no folder" in err
    code, _, err = run(capsys, "db", "export", f"{loaded}#koro", "--out", tmp_path / "k.txt")
    assert code == 1 and "written as .yaml" in err
    assert list(tmp_path.iterdir()) == []


# --- roles ------------------------------------------------------------------------------------


def test_roles_says_what_each_role_may_do(capsys) -> None:
    lines = ok(capsys, "db", "roles").splitlines()
    assert [line.split()[0] for line in lines] == ["viewer", "editor", "coordinator", "admin"]


def test_grant_revoke_and_members(capsys, db: str) -> None:
    out = ok(capsys, "db", "members", db, "--site", "tiny")
    assert out.splitlines() == ["coord  coordinator", "ed     editor of NGO", "vera   viewer"]
    assert ok(capsys, "db", "revoke", f"{db}#tiny", "vera") == "vera has no role at tiny any more\n"
    rows = json.loads(ok(capsys, "db", "members", f"{db}#tiny", "--json"))
    assert [r["user"] for r in rows] == ["coord", "ed"]
    code, _, err = run(capsys, "db", "revoke", db, "vera", "--site", "tiny")
    assert code == 1 and "vera has no role at tiny: nothing to revoke" in err
    code, _, err = run(capsys, "db", "grant", db, "ed2", "editor", "--site", "tiny")
    assert code == 1 and "--organisation ORG" in err
    code, _, err = run(capsys, "db", "members", db, "--site", "tny")
    assert code == 1 and "no site 'tny'" in err
    code, _, err = run(capsys, "db", "members", db)
    assert code == 1 and "name the site: --site SITE" in err


def test_an_editor_of_the_organisation_edits_and_history_names_them(capsys, db: str) -> None:
    src = f"{db}#tiny"
    v = version(capsys, src, "ngo")  # the NGO runs no service yet: its coordinator says it does
    ok(capsys, "edit", src, "ngo", "--set", "organisation=NGO", "--as", "coord", "--base", v)
    v = version(capsys, src, "ngo")
    code, out, err = run(
        capsys, "edit", src, "ngo", "--set", "contact.phone=+32 2 000 00 09", "--as", "ed",
        "--base", v,
    )  # fmt: skip
    assert code == 0, err
    assert re.fullmatch(r"\S+ ed edit ngo: contact.phone: \(unset\) → \+32 2 000 00 09 .*\n", out)
    history = ok(capsys, "history", src).splitlines()
    assert [line.split()[1:3] for line in history] == [["coord", "edit"], ["ed", "edit"]]
    assert "contact.phone: (unset) → +32 2 000 00 09" in history[1]
    card = json.loads(ok(capsys, "show", src, "ngo", "--json", "--as", "vera"))
    assert card["version"] != v


def test_every_editing_command_on_the_database(capsys, db: str, tmp_path: Path) -> None:
    src = f"{db}#tiny"
    ok(capsys, "verify", src, "lawyer", "--as", "coord", "--on", "2026-11-30")
    until = ("--until", "2099-01-31", "--reason", "staff on leave")
    assert "staff on leave" in ok(capsys, "suspend", src, "lawyer", "--as", "coord", *until)
    gaps = json.loads(ok(capsys, "gaps", src, "--kind", "suspended", "--json", "--as", "vera"))
    assert [g["services"] for g in gaps] == [["lawyer"]]
    ok(capsys, "resume", src, "lawyer", "--as", "coord")
    record = tmp_path / "new.yaml"
    record.write_text(
        "id: hotline\nname: Hotline\ncategories: [mhpss]\nlocation: {lat: 50.84, lon: 4.35}\n",
        encoding="utf-8",
    )
    ok(capsys, "add", src, "--service", record, "--as", "coord")
    ok(capsys, "add", src, "--referral", "hospital", "hotline", "--needs", "mhpss", "--as", "coord")
    ok(capsys, "remove", src, "--referral", "hospital", "hotline", "--as", "coord")
    v = version(capsys, src, "hotline")
    ok(capsys, "remove", src, "hotline", "--as", "coord", "--base", v)
    history = json.loads(ok(capsys, "history", src, "--json", "--as", "vera"))
    assert [(c["user"], c["action"]) for c in history] == [
        ("coord", "verify"),
        ("coord", "suspend"),
        ("coord", "resume"),
        ("coord", "add"),
        ("coord", "add_referral"),
        ("coord", "remove_referral"),
        ("coord", "remove"),
    ]


def test_the_review_queue_on_the_database(capsys, db: str) -> None:
    src = f"{db}#tiny"
    v = version(capsys, src, "police")
    out = ok(capsys, "propose", src, "police", "--set", "notes=a", "--as", "vera", "--base", v)
    assert out == "p1: proposed by vera for police (pending review)\n"
    ok(capsys, "propose", src, "police", "--set", "notes=b", "--as", "vera", "--base", v)
    assert "p1 [pending] police, proposed by vera" in ok(capsys, "review", src, "--as", "vera")
    assert "proposal p1 by vera" in ok(capsys, "accept", src, "p1", "--as", "coord")
    code, _, err = run(capsys, "accept", src, "p2", "--as", "coord")
    assert code == 1 and "changed since version" in err and err.count("\n") == 1
    ok(capsys, "reject", src, "p2", "--as", "coord", "--note", "stale")
    review = json.loads(ok(capsys, "review", src, "--all", "--json"))
    assert [(p["id"], p["status"]) for p in review] == [("p1", "accepted"), ("p2", "rejected")]


def test_a_viewer_or_another_organisations_editor_is_refused(capsys, db: str) -> None:
    src = f"{db}#tiny"
    v = version(capsys, src, "hospital")
    for user, said in (
        ("vera", "vera is a viewer at tiny: a viewer changes nothing"),
        ("ed", "ed is an editor at tiny for NGO: hospital is run by Public hospital"),
    ):
        code, out, err = run(
            capsys, "edit", src, "hospital", "--set", "notes=x", "--as", user, "--base", v
        )
        assert code == 1 and out == "" and err.count("\n") == 1, err
        assert err.startswith("pathways: error: ") and said in err
    assert version(capsys, src, "hospital") == v
    assert ok(capsys, "history", src) == "no changes recorded\n"


def test_someone_never_granted_is_refused_reading_or_editing(capsys, db: str) -> None:
    src = f"{db}#tiny"
    for argv in (
        ("gaps", src, "--as", "nobody"),
        ("verify", src, "ngo", "--as", "nobody"),
        ("history", src, "--as", "nobody"),
    ):
        code, out, err = run(capsys, *argv)
        assert code == 1 and out == "" and err.count("\n") == 1, err
        assert "nobody is not a user of" in err or "nobody has no role at site tiny" in err


def test_a_viewer_reads_what_the_owner_reads(capsys, db: str, tmp_path: Path) -> None:
    src = f"{db}#tiny"
    as_viewer = run(capsys, "gaps", src, "--json", "--as", "vera")
    assert as_viewer == run(capsys, "gaps", TINY, "--json")
    shown = json.loads(ok(capsys, "show", src, "shelter", "--json", "--as", "vera"))
    assert shown == json.loads(ok(capsys, "show", TINY, "shelter", "--json"))

    code, _, err = run(capsys, "db", "export", src, "--out", tmp_path / "t.yaml", "--as", "vera")
    assert code == 1 and "needs the true places of its 1 confidential service(s)" in err
    assert not (tmp_path / "t.yaml").exists()


# --- passwords ----------------------------------------------------------------------------------


def test_a_password_in_the_url_is_never_shown(capsys, pg_url: str, tmp_path: Path) -> None:  # noqa: F811
    url = with_login(pg_url, "postgres", SECRET)
    in_query = f"{pg_url}&password={SECRET}"
    outputs = []
    for argv in (
        ("db", "init", url),
        ("db", "init", in_query),
        ("db", "import", url, TINY),
        ("db", "import", f"{url}#koro", TINY),
        ("db", "grant", url, "vera", "viewer", "--site", "tiny"),
        ("db", "grant", url, "vera", "viewer", "--site", "nowhere"),
        ("db", "members", url, "--site", "tiny"),
        ("db", "members", in_query, "--site", "nowhere"),
        ("gaps", f"{url}#nowhere"),
        ("gaps", f"{in_query}#tiny", "--as", "nobody"),
        ("edit", f"{url}#tiny", "ngo", "--set", "notes=x", "--as", "vera", "--base", "x"),
        ("db", "export", f"{url}#tiny", "--out", tmp_path / "tiny.yaml"),
        ("db", "revoke", url, "vera", "--site", "tiny"),
        ("gaps", with_login(pg_url.replace("/atlas_", "/missing_"), "postgres", SECRET) + "#t"),
    ):
        _, out, err = run(capsys, *argv)
        outputs.append(out + err)
        assert "Traceback" not in err
    text = "\n".join(outputs)
    assert SECRET not in text
    assert "postgresql://postgres@/" in text  # the URL is named, without its password
    assert SECRET not in (tmp_path / "tiny.yaml").read_text(encoding="utf-8")


def test_the_help_says_as_is_ignored_with_files(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["gaps", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "postgresql://HOST/DB#SITE" in out and "With files: accepted and ignored" in out
