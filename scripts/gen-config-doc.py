#!/usr/bin/env python3
"""Write docs/CONFIG.md from the config models (every key, type, default and meaning).

Run after changing a config model: `.venv/bin/python scripts/gen-config-doc.py`. A test
(tests/setup/test_configdoc.py) fails while docs/CONFIG.md is not current.
"""

from __future__ import annotations

import sys
from pathlib import Path

from simspot.setup.configdoc import render_markdown

target = Path(__file__).resolve().parent.parent / "docs" / "CONFIG.md"
text = render_markdown()
if "--check" in sys.argv:
    current = target.read_text(encoding="utf-8") if target.exists() else ""
    sys.exit(0 if current == text else 1)
target.write_text(text, encoding="utf-8")
print(f"wrote {target}")
