"""Issue 14, "Done when": the trilateration attack, rerun against the shipped sites, lands no
closer than 1 km to any confidential service.

The attack (`bench.trilaterate`) uses only public outputs of the command line: route clocks and
rounded times swept over arrival days and hours (bisected where they flip), `route --at`,
`coverage --json` and the GeoJSON export. Here it runs its coarse sweep (`Sweep.quick`), which
on leaking code already finds shelters to within metres; `python -m bench.trilaterate` runs the
full one.
"""

from __future__ import annotations

import pytest

from bench.trilaterate import MIN_DISTANCE_M, SITES, Score, Sweep, attack


@pytest.fixture(scope="module")
def scores() -> list[Score]:
    """One score per confidential service of every shipped inventory."""
    return [s for report in attack([SITES], Sweep.quick()) for s in report.scores]


def test_the_attack_reaches_every_shipped_confidential_service(scores: list[Score]) -> None:
    """The attack is not vacuous: every confidential service is scored, and timed routes reach
    most of them (if route answers stop carrying times to shelters altogether, this guard, not
    the promise, needs revisiting)."""
    assert len(scores) >= 10
    timed = [s for s in scores if s.equations > 0]
    assert len(timed) >= len(scores) - 2, (
        "the attack found no timing equations for "
        + ", ".join(f"{s.site}/{s.id}" for s in scores if s.equations == 0)
        + ": has the route JSON changed shape?"
    )


def test_no_estimate_lands_within_1_km_of_a_confidential_service(scores: list[Score]) -> None:
    """Neither the estimate nor any equally good candidate point is within 1 km of the truth."""
    located = [s for s in scores if s.located]
    lines = [
        f"{s.site}/{s.id} ({s.tier}): estimate {s.error_m:,.1f} m from the true location, "
        f"nearest candidate {s.nearest_candidate_m:,.1f} m "
        f"({s.equations} equations, {s.anchors} anchors, {s.queries} queries)"
        for s in located
    ]
    assert not located, (
        f"{len(located)} of {len(scores)} confidential services located within "
        f"{MIN_DISTANCE_M:,.0f} m from public outputs:\n" + "\n".join(lines)
    )
