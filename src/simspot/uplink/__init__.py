"""Uplinks: every SIM, eSIM profile, wired and Wi-Fi link a candidate, chosen by a readable policy."""
