"""The real daemon with a data plane whose counters the test writes to a file (the test plays the
kernel: its counters are cumulative and keep growing while the daemon is down or killed).

argv: state directory, counters file, commit interval in seconds. Prints the API URL when ready.
The file holds {"table": "<identity>", "uplinks": {id: [rx, tx]}, "clients": {mac: [rx, tx]}};
the last applied spec is written next to it (``<file>.spec``) so the test sees the quotas.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from simspot import config
from simspot.asgiserve import bind
from simspot.daemon.build import build_backends
from simspot.daemon.runtime import Daemon
from simspot.daemon.server import serve
from simspot.dataplane.contract import (
    ClientCounter,
    Counters,
    DataplaneEvent,
    DataplaneSpec,
    UplinkCounter,
)
from simspot.model import ClientInfo


class FileDataPlane:
    def __init__(self, path: Path) -> None:
        self.path = path

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def _read(self) -> dict[str, object]:
        data: dict[str, object] = json.loads(self.path.read_text())
        return data

    async def apply(self, spec: DataplaneSpec) -> None:
        tmp = self.path.with_suffix(".spec.tmp")
        tmp.write_text(json.dumps(dataclasses.asdict(spec)))
        tmp.replace(self.path.with_suffix(".spec"))

    async def counters(self) -> Counters:
        d = self._read()
        ups = d.get("uplinks", {})
        cls = d.get("clients", {})
        assert isinstance(ups, dict) and isinstance(cls, dict)
        return Counters(
            clients={m: ClientCounter(m, v[0], v[1]) for m, v in cls.items()},
            uplinks={k: UplinkCounter(k, v[0], v[1]) for k, v in ups.items()},
        )

    async def counters_epoch(self) -> str:
        return str(self._read()["table"])

    def leases(self) -> FileDataPlane:
        return self  # no LAN: nobody holds a lease

    async def stations(self) -> list[ClientInfo]:
        return []

    def components(self) -> list[Any]:
        return []

    async def events(self) -> AsyncIterator[DataplaneEvent]:
        await asyncio.Event().wait()
        yield DataplaneEvent("quota-depleted", "total", "")  # never reached


def main() -> None:
    state_dir, counters, interval = Path(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3])
    conf = config.validate(
        {
            "daemon": {"state_dir": str(state_dir), "api_port": 0, "log_level": "warning"},
            "simulator": {"seed": 3, "clients": 0, "demo_data": False},
            "plans": {"commit_interval_s": interval, "poll_interval_s": 0.1},
        }
    )
    backends = build_backends(conf, simulate=True)
    backends.dataplane = FileDataPlane(counters)
    daemon = Daemon(conf, backends)
    state_dir.mkdir(parents=True, exist_ok=True)
    daemon.auth.setup()
    sock = bind("127.0.0.1", 0)
    asyncio.run(serve(daemon, sock, lambda url: print(url, flush=True)))


if __name__ == "__main__":
    main()
