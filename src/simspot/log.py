"""Structured logging: one JSON object per line (or readable text on a terminal), secrets masked.

Under systemd (stderr is the journal's stream: ``JOURNAL_STREAM`` names its device and inode) the
lines carry no timestamp of their own (the journal stamps each one) and start with the syslog
priority (``<3>`` error ... ``<7>`` debug), so ``journalctl -p err`` finds the errors.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from typing import Any

from simspot.secrets import mask, mask_text

_STD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


def fields(record: logging.LogRecord) -> dict[str, Any]:
    """Extra structured fields attached with ``logger.info(msg, extra={...})``."""
    return {k: v for k, v in vars(record).items() if k not in _STD_ATTRS}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": round(record.created, 3),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": mask_text(record.getMessage()),
        }
        out.update(mask(fields(record)))
        if record.exc_info:
            out["exc"] = mask_text(self.formatException(record.exc_info))
        return json.dumps(out, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%H:%M:%S", time.localtime(record.created))
        extra = mask(fields(record))
        tail = " ".join(f"{k}={v}" for k, v in extra.items())
        line = (
            f"{stamp} {record.levelname.lower():7} {record.name}: {mask_text(record.getMessage())}"
        )
        if tail:
            line += f"  {tail}"
        if record.exc_info:
            line += "\n" + mask_text(self.formatException(record.exc_info))
        return line


_PRIORITY = {"DEBUG": 7, "INFO": 6, "WARNING": 4, "ERROR": 3, "CRITICAL": 2}


class JournalFormatter(logging.Formatter):
    """Text for the journal: a ``<priority>`` prefix on every line, no timestamp."""

    def format(self, record: logging.LogRecord) -> str:
        prio = f"<{_PRIORITY.get(record.levelname, 6)}>"
        extra = mask(fields(record))
        tail = " ".join(f"{k}={v}" for k, v in extra.items())
        line = f"{record.name}: {mask_text(record.getMessage())}"
        if tail:
            line += f"  {tail}"
        if record.exc_info:
            line += "\n" + mask_text(self.formatException(record.exc_info))
        return "\n".join(prio + part for part in line.split("\n"))


def under_journal(stream: Any = None) -> bool:
    """True when ``stream`` (stderr) is connected to the journal (systemd's JOURNAL_STREAM)."""
    want = os.environ.get("JOURNAL_STREAM", "")
    dev, _, ino = want.partition(":")
    if not (dev.isdigit() and ino.isdigit()):
        return False
    try:
        st = os.fstat((stream or sys.stderr).fileno())
    except (OSError, ValueError, AttributeError):
        return False
    return (st.st_dev, st.st_ino) == (int(dev), int(ino))


def setup(level: str = "info", fmt: str = "auto") -> None:
    """Configure the root logger once (daemon and CLI): under systemd's journal, priority-prefixed
    text without timestamps ("auto"); else JSON when stderr is not a terminal, text when it is."""
    handler = logging.StreamHandler(sys.stderr)
    formatter: logging.Formatter
    if fmt == "auto" and under_journal(sys.stderr):
        formatter = JournalFormatter()
    elif fmt == "json" or (fmt == "auto" and not sys.stderr.isatty()):
        formatter = JsonFormatter()
    else:
        formatter = TextFormatter()
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("uvicorn.access", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
