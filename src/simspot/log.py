"""Structured logging: one JSON object per line (or readable text on a terminal), secrets masked."""

from __future__ import annotations

import json
import logging
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


def setup(level: str = "info", fmt: str = "auto") -> None:
    """Configure the root logger once (daemon and CLI)."""
    handler = logging.StreamHandler(sys.stderr)
    use_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    handler.setFormatter(JsonFormatter() if use_json else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("uvicorn.access", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
