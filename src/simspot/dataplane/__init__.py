"""Sharing the uplink: the data plane (NAT, per-client accounting, quotas, DHCP/DNS)."""
