"""Fixtures for the app tests: a data folder of two small sites, pointed at by the app's env var."""

from pathlib import Path

import pytest

TINY = Path(__file__).parent / "data" / "tiny.yaml"


@pytest.fixture
def app_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with tests/data/tiny.yaml (illustrative) and a field-verified twin of it.

    `REFERRAL_ATLAS_DATA` points at it for the test, so the app never reads data/sites.
    """
    folder = tmp_path / "sites"
    folder.mkdir()
    text = TINY.read_text(encoding="utf-8")
    (folder / "tiny.yaml").write_text(text, encoding="utf-8")
    twin = (
        text.replace("id: tiny", "id: twin")
        .replace("name: Tiny Town", "name: Twin Town")
        .replace("data_status: illustrative", "data_status: field-verified")
    )
    (folder / "twin.yaml").write_text(twin, encoding="utf-8")
    monkeypatch.setenv("REFERRAL_ATLAS_DATA", str(folder))
    return folder
