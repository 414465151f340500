"""The thin edge around ``nft``: apply a rendered table, read it back, verify, roll back.

Everything here runs the ``nft`` and ``ip`` programs (optionally inside a network namespace) and
translates their failures into ``DataplaneError``/``ToolMissing``. What to write is decided by the
pure renderer in ``simspot.dataplane.nftrender``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from simspot.dataplane import nftrender as R
from simspot.dataplane.contract import Counters, DataplaneEvent, DataplaneSpec
from simspot.dataplane.netlink import CounterReader
from simspot.errors import DataplaneError, ToolMissing

log = logging.getLogger(__name__)

PACKAGES = {"nft": "nftables", "ip": "iproute2", "dnsmasq": "dnsmasq-base", "sysctl": "procps"}


def find_tool(program: str) -> str:
    """The absolute path of a system program, or ToolMissing naming its Debian package."""
    path = shutil.which(program, path=os.environ.get("PATH", os.defpath))
    if path is None:
        raise ToolMissing(program, PACKAGES.get(program))
    return path


@dataclass
class Result:
    rc: int
    out: str
    err: str


class Runner:
    """Runs system programs, inside ``netns`` when one is given (``ip netns exec``)."""

    def __init__(self, netns: str | None = None) -> None:
        self.netns = netns

    def argv(self, program: str, *args: str) -> list[str]:
        exe = find_tool(program)
        if self.netns is None:
            return [exe, *args]
        return [find_tool("ip"), "netns", "exec", self.netns, exe, *args]

    async def run(self, program: str, *args: str, stdin: str | None = None) -> Result:
        argv = self.argv(program, *args)
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            out, err = await proc.communicate(stdin.encode() if stdin is not None else None)
        except OSError as exc:
            raise DataplaneError(
                msg_id="dataplane.cannot-run", params={"program": program, "error": str(exc)}
            ) from None
        return Result(
            proc.returncode or 0, out.decode(errors="replace"), err.decode(errors="replace")
        )

    async def check(self, program: str, *args: str, stdin: str | None = None) -> str:
        r = await self.run(program, *args, stdin=stdin)
        if r.rc != 0:
            what = " ".join((program, *args))[:120]
            raise DataplaneError(
                msg_id="dataplane.command-failed", params={"command": what, **_said(r.err)}
            )
        return r.out


def _first_lines(text: str, n: int = 6) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return " | ".join(lines[:n]) or "(no message)"


def _said(text: str) -> dict[str, Any]:
    """A program's error output as the ``error`` parameter of a message (``{error:said}``): its
    first lines, or the catalogue's "(no message)" when it said nothing."""
    return {
        "error": _first_lines(text),
        "error_said": None if text.strip() else {"id": "dataplane.no-message", "params": {}},
    }


class NftTable:
    """Our one table: read, apply (verify, roll back), remove. Never touches another table."""

    def __init__(self, runner: Runner, opts: R.RenderOptions | None = None) -> None:
        self.runner = runner
        self.opts = opts or R.RenderOptions()
        self._reader = CounterReader(runner.netns, R.TABLE)
        self._read_lock = asyncio.Lock()

    def close(self) -> None:
        self._reader.close()

    async def check_no_foreign(self) -> R.RunningTable | None:
        """Our running table (None if absent); DataplaneError if a table named like ours is not ours."""
        out = await self.runner.check("nft", "-j", "list", "tables")
        tables = [t["table"] for t in json.loads(out).get("nftables", []) if "table" in t]
        others = [t for t in tables if t.get("name") == R.TABLE and t.get("family") != R.FAMILY]
        if others:
            fam = others[0].get("family")
            raise DataplaneError(
                msg_id="dataplane.nft.foreign-table",
                params={"family": str(fam), "table": R.TABLE, "ours": R.FAMILY},
            )
        if not any(t.get("name") == R.TABLE and t.get("family") == R.FAMILY for t in tables):
            return None
        running = await self.read()
        if running is None:
            return None
        if not running.owned:
            raise DataplaneError(
                msg_id="dataplane.nft.not-ours",
                params={"family": R.FAMILY, "table": R.TABLE, "mark": R.OWNER_COUNTER},
            )
        return running

    async def read(self) -> R.RunningTable | None:
        r = await self.runner.run("nft", "-j", "list", "table", R.FAMILY, R.TABLE)
        if r.rc != 0:
            if "No such file or directory" in r.err:
                return None
            raise DataplaneError(
                msg_id="dataplane.nft.read-table",
                params={"family": R.FAMILY, "table": R.TABLE, **_said(r.err)},
            )
        return R.parse_table(json.loads(r.out))

    async def counters(self) -> Counters:
        """All counters of the table in one netlink dump (see ``simspot.dataplane.netlink``)."""
        async with self._read_lock:
            found = await asyncio.to_thread(self._reader.read)
        if found is None:
            return Counters()
        rt = R.RunningTable()
        for name, (packets, nbytes, comment) in found.items():
            rt.counters[name] = (packets, nbytes)
            rt.counter_comments[name] = comment
        return R.counters_from(rt)

    async def counters_via_nft(self) -> Counters:
        """The same through ``nft -j list counters`` (slower: nft caches the whole ruleset)."""
        r = await self.runner.run("nft", "-j", "list", "counters", "table", R.FAMILY, R.TABLE)
        if r.rc != 0:
            if "No such file or directory" in r.err:
                return Counters()
            raise DataplaneError(msg_id="dataplane.nft.read-counters", params=_said(r.err))
        return R.counters_from(R.parse_table(json.loads(r.out)))

    async def apply(self, spec: DataplaneSpec) -> R.RunningTable:
        """Make our table ``spec`` in one transaction; verify; on mismatch or error roll back."""
        running = await self.check_no_foreign()
        script = R.render(spec, self.opts, running)  # refuses a bad spec before anything runs
        snapshot = None
        if running is not None:
            snapshot = await self.runner.check("nft", "list", "table", R.FAMILY, R.TABLE)
        r = await self.runner.run("nft", "-f", "-", stdin=script)
        if r.rc != 0:  # the kernel refused the whole transaction: nothing changed
            raise DataplaneError(msg_id="dataplane.nft.refused", params=_said(r.err))
        try:
            got = await self.read()
            if got is None:
                raise DataplaneError(msg_id="dataplane.nft.read-back-missing")
            problems = R.mismatches(R.expected(spec, self.opts, running), got)
            if problems:
                raise DataplaneError(
                    msg_id="dataplane.nft.read-back-differs", params={"problems": problems}
                )
        except BaseException:
            await self._rollback(snapshot)
            raise
        return got

    async def _rollback(self, snapshot: str | None) -> None:
        """Put back the table as it was before (or no table), atomically."""
        script = R.removal() if await self.read() is not None else ""
        if snapshot is not None:
            script += snapshot
        if not script:
            return
        r = await self.runner.run("nft", "-f", "-", stdin=script)
        if r.rc != 0:
            log.error("rollback of the simspot table failed", extra={"error": _first_lines(r.err)})

    async def remove(self) -> None:
        running = await self.check_no_foreign()
        if running is not None:
            await self.runner.check("nft", "-f", "-", stdin=R.removal())


class QuotaMonitor:
    """``nft -j monitor`` as a supervised component: quota depletion as DataplaneEvents.

    The kernel reports a named quota the first time it is depleted (an ``add quota`` event whose
    ``used`` reached its limit); nothing polls. Each (quota, limit) is reported once.
    """

    name = "dataplane-monitor"

    def __init__(self, runner: Runner) -> None:
        self.runner = runner
        self.uplink_ids: dict[str, str] = {}  # uplink_key -> uplink id
        self._subscribers: list[asyncio.Queue[DataplaneEvent]] = []
        self._reported: set[tuple[str, int]] = set()
        self._proc: asyncio.subprocess.Process | None = None
        self.ready = asyncio.Event()

    async def run(self) -> None:
        argv = self.runner.argv("nft", "-j", "monitor")
        self._proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        stdout = self._proc.stdout
        if stdout is None:
            raise DataplaneError(msg_id="dataplane.nft.monitor-no-pipe")
        # nft needs a moment to subscribe; a short pause before saying "ready" keeps tests honest.
        await asyncio.sleep(0.2)
        await self._catch_up()
        self.ready.set()
        while line := await stdout.readline():
            self.feed(line.decode(errors="replace"))
        self.ready.clear()
        rc = await self._proc.wait()
        raise DataplaneError(msg_id="dataplane.nft.monitor-exited", params={"status": rc})

    def feed(self, line: str) -> None:
        line = line.strip()
        if not line.startswith("{"):
            return  # nft's warnings ("W: ...") and blank lines
        try:
            doc = json.loads(line)
        except json.JSONDecodeError:
            return
        quota = doc.get("add", {}).get("quota") if isinstance(doc, dict) else None
        if not isinstance(quota, dict) or quota.get("table") != R.TABLE:
            return
        name, limit, used = str(quota.get("name")), int(quota["bytes"]), int(quota["used"])
        if used < limit or (name, limit) in self._reported:
            return
        if name.startswith("q_") and len(name) == 14:
            event = DataplaneEvent("quota-depleted", "client", R.mac_from_key(name[2:]))
        elif name.startswith("qg_"):
            event = DataplaneEvent("quota-depleted", "group", name[3:])
        elif name.startswith("qt_"):
            event = DataplaneEvent(
                "quota-depleted", "total", self.uplink_ids.get(name[3:], name[3:])
            )
        else:
            return
        self._reported.add((name, limit))
        log.info("quota depleted", extra={"scope": event.scope, "key": event.key})
        for q in self._subscribers:
            q.put_nowait(event)

    async def _catch_up(self) -> None:
        """Report quotas that ran out while nothing listened (daemon down, monitor restarting)."""
        r = await self.runner.run("nft", "-j", "list", "quotas", "table", R.FAMILY, R.TABLE)
        if r.rc != 0:
            return  # no table yet: nothing can have run out
        for item in json.loads(r.out).get("nftables", []):
            if isinstance(item, dict) and "quota" in item:
                self.feed(json.dumps({"add": item}))

    async def events(self) -> AsyncIterator[DataplaneEvent]:
        q: asyncio.Queue[DataplaneEvent] = asyncio.Queue()
        self._subscribers.append(q)
        try:
            while True:
                yield await q.get()
        finally:
            self._subscribers.remove(q)

    async def close(self) -> None:
        self.ready.clear()
        proc, self._proc = self._proc, None
        if proc is not None and proc.returncode is None:
            proc.terminate()
            with contextlib.suppress(ProcessLookupError):
                try:
                    await asyncio.wait_for(proc.wait(), 3)
                except TimeoutError:
                    proc.kill()
                    await proc.wait()
