"""The daemon: sole owner of devices and the ruleset; REST API for the CLI and web UI."""
