"""The command line: a thin synchronous front over the daemon's API (Typer + rich)."""
