"""The core is reachable without the TUI: importing it must not load textual or rich."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORE = [
    "reader.models",
    "reader.store",
    "reader.paths",
    "reader.config",
    "reader.cli",
    "reader.text",
    "reader.parse",
    "reader.fetch",
    "reader.refresh",
    "reader.summarize",
    "reader.opml",
    "reader.discover",
    "reader.demo",
    "reader.extract",
    "reader.cluster",
]

# A core module that needs another not yet written is skipped, not a failure of this rule.
SCRIPT = """
import importlib, json, sys
for name in {modules!r}:
    try:
        importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if not (exc.name or "").startswith("reader."):
            raise
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in ("textual", "rich") or m.startswith("reader.ui"))))
"""


def test_core_imports_without_textual_or_rich():
    present = [m for m in CORE if importlib.util.find_spec(m) is not None]
    assert "reader.store" in present and "reader.cli" in present
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(modules=present)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert loaded == [], f"the core pulled in UI modules: {loaded}"
