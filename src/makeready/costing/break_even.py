"""Break-even between two routes: the lot size at which the cheaper one changes.

Both routes are priced by the same amortised model (:func:`~makeready.costing.chain.estimate_chain`)
at every lot size asked for: an additive route's lot cost is a saw-tooth of whole builds plus
per-part work, a conventional route's is tooling + set-ups + ``n`` × the marginal cost
(docs/cost-models.md 8). The crossing is found on a geometric sweep, then to the exact lot by
bisection inside the first bracket where the cheaper route changes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = ["SWEEP_LOTS", "BreakEven", "break_even"]

SWEEP_LOTS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000)


@dataclass(frozen=True, slots=True, kw_only=True)
class BreakEven:
    """Cost per part of a route and of its alternative over lot sizes (EUR).

    ``lot`` is the smallest lot at which the cheaper route is no longer the one that is
    cheaper at lot 1 (None when that never happens up to the last swept lot); ``crossings``
    are the swept lots after which the cheaper route changed, each refined to the exact lot.
    """

    lots: tuple[int, ...]
    cost_per_part: tuple[float, ...]
    other_cost_per_part: tuple[float, ...]
    cheaper: tuple[bool, ...]
    lot: int | None
    crossings: tuple[int, ...]


def break_even(
    cost_per_lot: Callable[[int], float],
    other_cost_per_lot: Callable[[int], float],
    lots: Sequence[int] = SWEEP_LOTS,
) -> BreakEven:
    """Where ``cost_per_lot`` (EUR per lot) stops or starts being cheaper than ``other_cost_per_lot``.

    Parameters
    ----------
    cost_per_lot, other_cost_per_lot : callable
        Lot cost (EUR) of each route for a lot size (pieces).
    lots : sequence of int
        Ascending lot sizes to sweep.

    """
    cache: dict[int, tuple[float, float]] = {}

    def costs(lot: int) -> tuple[float, float]:
        if lot not in cache:
            cache[lot] = (cost_per_lot(lot), other_cost_per_lot(lot))
        return cache[lot]

    def cheaper(lot: int) -> bool:
        mine, theirs = costs(lot)
        return mine < theirs

    flags = [cheaper(lot) for lot in lots]
    crossings = []
    for lo, hi, before, now in zip(lots, lots[1:], flags, flags[1:], strict=False):
        if before == now:
            continue
        # first lot in (lo, hi] whose verdict differs from lo's: bisection over whole lots
        low, high = lo, hi
        while high - low > 1:
            mid = (low + high) // 2
            if cheaper(mid) == before:
                low = mid
            else:
                high = mid
        crossings.append(high)
    return BreakEven(
        lots=tuple(lots),
        cost_per_part=tuple(costs(lot)[0] / lot for lot in lots),
        other_cost_per_part=tuple(costs(lot)[1] / lot for lot in lots),
        cheaper=tuple(flags),
        lot=crossings[0] if crossings else None,
        crossings=tuple(crossings),
    )
