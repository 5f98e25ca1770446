"""Machine hourly rate (docs/cost-models.md 1.1): annuity capital cost, service, floor space, energy.

``r = (P * CRF + P * maintenance_rate + floor_m2 * floor_cost) / hours_per_year + kW * price_kWh``
with the capital recovery factor ``CRF = i (1 + i)^n / ((1 + i)^n - 1)``. A machine's
``mac_cost_ph`` (EUR/h, e.g. from an owner's calibration) replaces the computed capital part.
"""

from __future__ import annotations

from makeready.catalog import CostingConfig, Machine

__all__ = ["capital_recovery_factor", "hourly_rate"]


def capital_recovery_factor(interest: float, years: float) -> float:
    """Share of a capital sum to pay each year to repay it with interest over ``years``."""
    if years <= 0:
        return 1.0
    if interest <= 0:
        return 1.0 / years
    growth = float((1.0 + interest) ** years)
    result: float = interest * growth / (growth - 1.0)
    return result


def hourly_rate(machine: Machine, config: CostingConfig) -> float:
    """Cost of one machine hour, EUR/h (energy included)."""
    energy = machine.power_consumption * config.energy_price_kwh
    if machine.mac_cost_ph is not None:
        return machine.mac_cost_ph + energy
    yearly = (
        machine.mac_price * capital_recovery_factor(machine.interest_rate, machine.mac_life_years)
        + machine.mac_price * machine.maintenance_rate
        + machine.floor_space_m2 * machine.floor_cost_m2_year
    )
    return yearly / max(machine.hours_per_year, 1.0) + energy
