"""Where simspot keeps its files: default paths and the names of files in the state directory.

A light module (pathlib only) so the CLI can find a running daemon without importing the config
models or the server.
"""

from __future__ import annotations

from pathlib import Path

DEFAULT_CONFIG_PATH = Path("/etc/simspot/simspot.toml")
DEFAULT_STATE_DIR = Path("/var/lib/simspot")

# In the state directory: the running daemon's pid and URL, written once it listens.
RUNTIME_FILE = "api.json"
# In the state directory: the CLI's bearer token (0600: only root, or the daemon's user, reads it).
TOKEN_FILE = "api-token"
