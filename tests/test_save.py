"""Saving an inventory: validated first, atomic (temporary file, fsync, rename), the previous
version kept; a crash between writing and renaming leaves the original intact. And the app writes
no inventory any other way."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from pathways.io.load import find_inventories, load_site
from pathways.io.save import history, previous_path, save_inventory
from pathways.model.errors import InventoryError, ValidationError

ROOT = Path(__file__).resolve().parent.parent
TINY = Path(__file__).parent / "data" / "tiny.yaml"
SECRET = Path(__file__).parent / "data" / "secret"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    shutil.copy(TINY, path)
    return path


def _renamed(text: str, name: str) -> str:
    return text.replace("name: Tiny Town", f"name: {name}")


def _leftovers(folder: Path) -> list[str]:
    return sorted(f.name for f in folder.iterdir() if f.name.endswith(".saving"))


def test_saves_yaml_text_and_keeps_the_previous_version(site: Path) -> None:
    old = site.read_text(encoding="utf-8")
    inv = save_inventory(_renamed(old, "New Town"), site)
    assert inv.site.name == "New Town" and inv.path == site.resolve()
    assert load_site(site).site.name == "New Town"
    assert previous_path(site).read_text(encoding="utf-8") == old
    assert previous_path(site).name == "tiny.yaml.prev"
    assert _leftovers(site.parent) == []


def test_saves_records(site: Path) -> None:
    data = yaml.safe_load(site.read_text(encoding="utf-8"))
    data["services"][0]["name"] = "Renamed hospital"
    inv = save_inventory(data, site)
    assert load_site(site) == inv
    assert inv.services[0].name == "Renamed hospital"


def test_a_new_file_has_no_previous_version(tmp_path: Path) -> None:
    path = tmp_path / "new.yaml"
    save_inventory(TINY.read_text(encoding="utf-8"), path)
    assert load_site(path).site.id == "tiny"
    assert not previous_path(path).exists()


def test_an_invalid_inventory_is_not_written(site: Path) -> None:
    old = site.read_text(encoding="utf-8")
    bad = old.replace(
        "categories: [legal]\n    location: {lat: 50.8500",
        "categories: [lawyers]\n    location: {lat: 50.8500",
    )
    with pytest.raises(ValidationError) as e:
        save_inventory(bad, site)
    assert [p.file for p in e.value.problems] == [str(site)]
    assert e.value.problems[0].line > 1 and "lawyers" in str(e.value)
    assert site.read_text(encoding="utf-8") == old
    assert not previous_path(site).exists()
    assert _leftovers(site.parent) == []


@pytest.mark.parametrize("text", ["", "{not yaml", "site: [", "\ud800"])
def test_broken_text_is_refused_with_the_files_name(site: Path, text: str) -> None:
    old = site.read_bytes()
    with pytest.raises(InventoryError) as e:
        save_inventory(text, site)
    assert str(site) in str(e.value) and ".saving" not in str(e.value)
    assert site.read_bytes() == old and _leftovers(site.parent) == []


def test_keep_zero_and_history(site: Path) -> None:
    text = site.read_text(encoding="utf-8")
    save_inventory(_renamed(text, "One"), site, keep=0)
    assert not previous_path(site).exists()
    for n in ("Two", "Three", "Four", "Five"):
        save_inventory(_renamed(text, n), site, keep=3)
    kept = history(site)
    assert len(kept) == 3
    assert [load_site_text(p) for p in kept] == ["Two", "Three", "Four"]
    assert load_site_text(previous_path(site)) == "Four"
    assert load_site(site).site.name == "Five"


def load_site_text(path: Path) -> str:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["site"]["name"]


def test_kept_versions_and_leftovers_are_never_read_as_inventories(site: Path) -> None:
    text = site.read_text(encoding="utf-8")
    save_inventory(_renamed(text, "Two"), site, keep=2)
    save_inventory(_renamed(text, "Three"), site, keep=2)
    (site.parent / ".tiny.yaml.abc123.saving").write_text(text, encoding="utf-8")  # a crash's
    assert find_inventories([site.parent]) == [site]


def test_relative_boundary_paths_resolve_beside_the_file(tmp_path: Path) -> None:
    shutil.copytree(SECRET, tmp_path / "secret")
    path = tmp_path / "secret" / "sites" / "secret.yaml"
    inv = save_inventory(path.read_text(encoding="utf-8"), path)
    assert inv.site.boundary == "../boundaries/boundary.geojson"
    elsewhere = tmp_path / "elsewhere.yaml"
    with pytest.raises(ValidationError, match="leads outside the inventory's folder"):
        save_inventory(path.read_text(encoding="utf-8"), elsewhere)
    assert not elsewhere.exists()


def test_the_data_is_fsynced_before_the_rename(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(
        os,
        "replace",
        lambda a, b: (events.append(f"replace {Path(b).name}"), real_replace(a, b))[1],
    )
    save_inventory(_renamed(site.read_text(encoding="utf-8"), "Synced"), site)
    assert events.index("fsync") < events.index("replace tiny.yaml")
    assert events[-1] == "fsync"  # the folder, after the rename


def test_a_failed_rename_leaves_the_original(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old = site.read_bytes()
    real_replace = os.replace

    def failing(a: str, b: str) -> None:
        if Path(b) == site:
            raise OSError(28, "No space left on device")
        real_replace(a, b)

    monkeypatch.setattr(os, "replace", failing)
    with pytest.raises(InventoryError, match="No space left"):
        save_inventory(_renamed(old.decode(), "Lost"), site)
    assert site.read_bytes() == old and _leftovers(site.parent) == []


def test_a_crash_between_write_and_rename_leaves_the_original(site: Path) -> None:
    """The process dies (os._exit) after the new file is written and checked, before the
    rename: the original is intact, and the leftover is never read as an inventory."""
    old = site.read_bytes()
    script = textwrap.dedent(
        f"""
        import os
        from pathlib import Path
        from pathways.io.save import save_inventory

        def crash(a, b):
            if Path(b) == Path({str(site)!r}):
                os._exit(9)
            return real(a, b)

        real, os.replace = os.replace, crash
        text = Path({str(site)!r}).read_text(encoding="utf-8")
        save_inventory(text.replace("Tiny Town", "Crashed"), {str(site)!r})
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 9, done.stderr.decode()
    assert site.read_bytes() == old
    assert len(_leftovers(site.parent)) == 1  # the new version, complete, beside it
    assert find_inventories([site.parent]) == [site]
    assert load_site(site).site.name == "Tiny Town"


def test_refuses_other_suffixes_and_missing_folders(tmp_path: Path) -> None:
    text = TINY.read_text(encoding="utf-8")
    with pytest.raises(InventoryError, match=r"saved as \.yaml"):
        save_inventory(text, tmp_path / "tiny.geojson")
    with pytest.raises(InventoryError, match="does not exist"):
        save_inventory(text, tmp_path / "missing" / "tiny.yaml")


# --- the app writes no inventory except through save_inventory ----------------------------------

WRITERS = {
    "write_text",
    "write_bytes",
    "writelines",
    "replace",
    "rename",
    "renames",
    "unlink",
    "remove",
    "rmtree",
    "copy",
    "copy2",
    "copyfile",
    "copytree",
    "move",
    "to_file",
    "to_csv",
    "to_parquet",
    "to_excel",
    "savefig",
    "dump",
    "safe_dump",
    "mkstemp",
    "NamedTemporaryFile",
    "touch",
    "write_dataframe",
    "write_graphml",
    "write_gexf",
    "to_postgis",
}
"""Calls that write or delete files (by attribute or function name)."""

ALLOWED = {
    # module: functions that may write, each for a reason
    # Leaflet into ./static; a national map's public data into ./static/data (not inventories)
    "mapping/assets.py": {"publish_static", "serve_data", "_prune"},
    "pathways/io/basemap.py": {"build_basemap", "_write_sources"},  # `pathways.io.basemap build`
    "mapping/build.py": {"save_map"},  # `pathways map --out`
    "mapping/static.py": {"save_png"},  # `pathways map --out .png`
    "pathways/io/export/_write.py": {"atomic_output", "atomic_folder"},  # every export's --out
    "pathways/io/export/geojson.py": {"write_geojson"},
    "pathways/io/export/hsds.py": {"write_hsds"},
    "pathways/io/export/protocol.py": {"write_protocol"},
    "pathways/io/export/pocket.py": {"write_pocket"},
    "pathways/io/export/sheet.py": {"_write"},
    "pathways/io/export/gpkg.py": {"write_gpkg"},
    "pathways/io/export/network.py": {"write_graphml", "write_gexf"},
    "pathways/io/imports/__init__.py": {"write_inventory"},  # `pathways import --out`
    "pathways/io/save.py": {
        "save_inventory",
        "_keep_previous",
        "_copy_atomically",
    },
    # the YAML store (issue #17): the inventory replaced atomically under its lock, the history
    # and the review queue appended; `_dump` writes YAML into a string buffer
    "pathways/io/store/files.py": {
        "write_temporary",
        "replace_atomically",
        "append_line",
        "locked",
    },
    "pathways/io/store/roundtrip.py": {"_dump"},
    # the shared store (issue #18): `pathways db export --out` writes the site's boundary files
    # beside the inventory; a site read from the database has its boundary, areas and population
    # files written to a folder of the temporary directory, where the analyses find them
    "pathways/io/store/db/admin.py": {"export_site"},
    "pathways/io/store/db/rows.py": {"site_folder"},
}


def _writes(path: Path) -> list[tuple[str, int, str]]:
    """(function, line, call) of every file-writing call in a module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[str, int, str]] = []

    def visit(node: ast.AST, function: str) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            function = node.name
        if isinstance(node, ast.Call):
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
            if (name in WRITERS and _writes_a_file(node, name)) or (
                name == "open" and _write_mode(node)
            ):
                found.append((function, node.lineno, name))
        for child in ast.iter_child_nodes(node):
            visit(child, function)

    visit(tree, "<module>")
    return found


def _on(node: ast.Call, module: str) -> bool:
    f = node.func
    return isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == module


def _writes_a_file(node: ast.Call, name: str) -> bool:
    """Tell a file-writing call from its harmless namesakes: `str.replace(a, b)`,
    `dataclasses.replace(x, ...)`, `df.rename(columns=...)`, `df.copy()`, `df.to_csv()` (a
    string), `json.dump(x, sys.stdout)`, `yaml.dump(x)` (a string)."""
    args, attribute = node.args, isinstance(node.func, ast.Attribute)
    if name in ("replace", "rename"):  # os.replace(a, b), Path.replace(b), Path.rename(b)
        return _on(node, "os") or (attribute and len(args) == 1 and not node.keywords)
    if name in ("copy", "copy2", "copyfile", "copytree", "move", "rmtree"):
        return _on(node, "shutil")
    if name in ("dump", "safe_dump"):  # to a stream other than stdout or stderr
        stream = (
            args[1]
            if len(args) > 1
            else next((k.value for k in node.keywords if k.arg == "stream"), None)
        )
        return stream is not None and not (
            isinstance(stream, ast.Attribute) and _on_name(stream, "sys")
        )
    if name.startswith("to_"):  # a path or buffer as the first argument
        return bool(args) or any(
            k.arg in ("path", "path_or_buf", "filename") for k in node.keywords
        )
    return True


def _on_name(node: ast.Attribute, module: str) -> bool:
    return isinstance(node.value, ast.Name) and node.value.id == module


def _write_mode(node: ast.Call) -> bool:
    """`open(path, "w")` or `path.open("w")` (any of w, a, x, +)."""
    at = 0 if isinstance(node.func, ast.Attribute) else 1
    modes = node.args[at : at + 1] + [k.value for k in node.keywords if k.arg == "mode"]
    return any(
        isinstance(m, ast.Constant)
        and isinstance(m.value, str)
        and bool(set(m.value) & set("wax+"))
        for m in modes
    )


def test_the_app_itself_writes_no_file() -> None:
    for path in [ROOT / "app.py", *sorted((ROOT / "views").glob("*.py"))]:
        assert _writes(path) == [], path.name


def test_every_file_writer_in_the_packages_is_a_known_output() -> None:
    """A new writer anywhere (say, a page saving an edited inventory by hand) fails here: it
    must go through `pathways.io.save.save_inventory`, or be added above with its reason."""
    unknown = []
    for package in ("pathways", "mapping"):
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            for function, line, call in _writes(path):
                if function not in ALLOWED.get(rel, set()):
                    unknown.append(f"{rel}:{line}: {function}: {call}")
    assert unknown == []


def test_using_the_app_changes_no_file_in_the_data_folder(app_data: Path) -> None:
    from streamlit.testing.v1 import AppTest

    before = {p: p.read_bytes() for p in app_data.rglob("*")}
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.run()
    for page in ("views/workshop.py", "views/gaps.py", "views/compare.py", "views/export.py"):
        at.switch_page(page).run()
        assert not at.exception, at.exception
    assert {p: p.read_bytes() for p in app_data.rglob("*")} == before
