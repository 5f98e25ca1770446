"""Costing engine: machine rates, parts per job, one cost model per process family.

Lead time, CO2, market price and break-even are assembled per chain; formulas and sources are
in ``docs/costing.md``.
"""

from makeready.costing.chain import ChainEstimate, estimate_chain
from makeready.costing.features import PartFeatures, part_features
from makeready.costing.rates import hourly_rate

__all__ = ["ChainEstimate", "PartFeatures", "estimate_chain", "hourly_rate", "part_features"]
