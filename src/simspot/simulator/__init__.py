"""The built-in simulated world: modem, SIM slots, battery, hotspot clients and their traffic.

Every simulated part implements the same contract as its hardware adapter, so `simspot demo`
runs the daemon's real code paths with simulated edges.
"""
