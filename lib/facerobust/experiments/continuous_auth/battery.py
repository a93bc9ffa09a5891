"""The battery-life model of the dissertation's Eq. 2.10: d = C / (P_n + beta * alpha * P_d).

C is the battery capacity (Wh), P_n the phone's power in normal use (W), P_d the attribute
detector's power (W), beta the fraction of time the phone is in use and alpha the authentication
rate (authenticate every T_a / alpha seconds). Used by chapter 04 to redo the dissertation's sums.
"""

from __future__ import annotations

import math


def capacity_wh(mah: float, volts: float) -> float:
    """Battery capacity in Wh from mAh and volts (2300 mAh x 3.8 V = 8.74 Wh for the Nexus 5)."""
    if not (mah > 0 and volts > 0 and math.isfinite(mah) and math.isfinite(volts)):
        raise ValueError(f"capacity needs positive finite mAh and volts, got {mah}, {volts}")
    return mah * volts / 1000.0


def battery_hours(capacity: float, p_normal: float, p_detector: float, alpha: float = 1.0,
                  beta: float = 1.0) -> float:
    """Eq. 2.10: hours of battery life with the detector running at rate alpha, fraction beta of the time."""
    vals = {"capacity": capacity, "p_normal": p_normal, "p_detector": p_detector}
    if any(not (v >= 0 and math.isfinite(v)) for v in vals.values()) or capacity <= 0 or p_normal <= 0:
        raise ValueError(f"need capacity > 0, p_normal > 0, p_detector >= 0 (finite), got {vals}")
    if not (0 <= alpha <= 1 and 0 <= beta <= 1):
        raise ValueError(f"alpha and beta must lie in [0, 1], got alpha={alpha}, beta={beta}")
    return capacity / (p_normal + beta * alpha * p_detector)


__all__ = ["battery_hours", "capacity_wh"]
