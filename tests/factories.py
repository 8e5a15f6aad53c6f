"""Small hand-built inventories for tests: services in a 5 km patch of Brussels."""

from __future__ import annotations

from typing import Any

from pathways.model.inventory import Inventory


def service(
    sid: str, categories: list[str], *, entry: bool = False, i: int = 0, **extra: Any
) -> dict:
    """A service record; `i` spreads services ~300 m apart."""
    return {
        "id": sid,
        "name": extra.pop("name", sid.replace("-", " ").title()),
        "categories": categories,
        "entry_point": entry,
        "location": {"lat": 50.84 + 0.003 * i, "lon": 4.35 + 0.002 * i},
        **extra,
    }


def referral(a: str, b: str, needs: list[str] | None = None, **extra: Any) -> dict:
    r: dict[str, Any] = {"from": a, "to": b, **extra}
    if needs is not None:
        r["for"] = needs
    return r


def make_inventory(services: list[dict], referrals: list[dict] = (), **site: Any) -> Inventory:
    """An `Inventory` straight from records (the loader's cross-file checks are not run)."""
    for i, s in enumerate(services):
        s.setdefault("location", {"lat": 50.84 + 0.003 * i, "lon": 4.35 + 0.002 * i})
    return Inventory.model_validate(
        {
            "site": {"id": "t", "name": "Test site", "country": "BE", **site},
            "services": services,
            "referrals": list(referrals),
        }
    )
