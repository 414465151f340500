"""Quantities for people: byte counts in SI units (1 kB = 1000 B), as the carriers bill them."""

from __future__ import annotations


def format_bytes(n: int | None, none: str = "unlimited") -> str:
    """``1.5 GB``, ``999 B``; ``none`` stands for no figure (for a limit: none, so unlimited)."""
    if n is None:
        return none
    value = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if abs(value) < 1000:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} TB"
