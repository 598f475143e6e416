"""Typed settings from ``config.toml``, each field documented where it is declared.

A broken file never stops the app: ``load_settings`` returns the settings it could read plus a list
of problems in words a person can act on ("config.toml line 7: ..."), and every setting it could
not read keeps its default.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from reader import paths

NEVER = "never"  # the TOML spelling of mark_read_delay = None


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything a person can set in ``config.toml``. The defaults are what a new user gets."""

    theme: str = "textual-dark"
    """Name of a Textual theme, e.g. "textual-dark", "textual-light", "nord", "gruvbox"."""

    mark_read_delay: float | None = 0.0
    """Seconds a story stays open before it is marked read; None (``"never"`` in TOML): never."""

    auto_refresh_minutes: int = 30
    """Minutes between automatic refreshes while the app runs; 0 turns automatic refresh off."""

    show_sidebar: bool = True
    """Show the feeds and folders sidebar at start-up."""

    show_summary: bool = True
    """Show the summary panel (a story's bullets, and the sources of an event) at start-up."""

    fetch_articles: bool = False
    """After each refresh in the app (automatic or ``r``), fetch and keep the full articles of new
    unread stories for reading offline (more traffic), as ``newsdesk refresh --articles`` does."""

    mark_group_read: bool = True
    """Marking a story told by several feeds marks every feed's version of it."""

    fold_events: bool = True
    """List a story told by several feeds once in the story list ("3 sources"), its feeds' versions
    folded under it; False lists every feed's version on a line of its own."""

    keys: dict[str, str] = field(default_factory=dict, hash=False)
    """Key bindings by binding id, e.g. {"cursor_down": "j,down"}; the app reports unknown ids."""


_DEFAULT_CONFIG = """\
# Newsdesk configuration.
#
# Every line below is commented out or set to its default; change what you like. A mistake never
# stops Newsdesk: it says which line is wrong and keeps the default for that setting.

# Colour theme: the name of any Textual theme, e.g. "textual-dark", "textual-light", "nord",
# "gruvbox", "dracula", "tokyo-night", "monokai", "solarized-light".
theme = "textual-dark"

# Seconds a story must stay open before it is marked read. 0 marks it read as soon as it opens;
# "never" leaves marking to you (press the mark-read key).
mark_read_delay = 0.0

# Minutes between automatic refreshes while Newsdesk runs. 0 turns automatic refresh off.
auto_refresh_minutes = 30

# Show the feeds and folders sidebar when Newsdesk starts.
show_sidebar = true

# Show the summary panel (a story's bullets, and the feeds telling the same story) when Newsdesk
# starts; the summary-panel key toggles it either way.
show_summary = true

# After each refresh in the app (automatic or the refresh key), fetch the full article of every new
# unread story, so it is ready offline. This downloads one web page per new story.
fetch_articles = false

# When one story is told by several feeds (one line, "3 sources", in the story list), opening it or
# marking it read marks every feed's version of it; false marks only the one you open or mark.
mark_group_read = true

# List a story told by several feeds once in the story list ("3 sources"), with every feed's version
# folded under it (the unfold key shows them, the fold key hides them again); false lists each
# feed's version on a line of its own, newest first.
fold_events = true

# Key bindings: binding id = comma-separated keys. The help screen (?) lists every binding id.
# Examples:
#   cursor_down = "j,down"
#   cursor_up = "k,up"
[keys]
"""


def default_config_text() -> str:
    """The documented default ``config.toml``; it loads to ``Settings()`` with no problems."""
    return _DEFAULT_CONFIG


def load_settings(path: str | Path | None = None) -> tuple[Settings, list[str]]:
    """Read settings from ``path`` (default: the XDG config file).

    Returns the settings and a list of problems. A missing file is not a problem: it means defaults.
    A syntax error makes every setting its default; an unknown key or a wrong value is reported and
    only that setting keeps its default.
    """
    path = Path(path) if path is not None else paths.config_file()
    name = path.name
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Settings(), []
    except OSError as exc:
        return Settings(), [f"{name}: cannot read ({exc.strerror or exc}); using defaults"]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return Settings(), [f"{name} line {line}: not UTF-8 text; using defaults"]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return Settings(), [_syntax_problem(name, exc, text)]
    return _settings_from(data, text, name)


_AT_LINE = re.compile(r"\s*\(at line (\d+), column \d+\)\s*$")
_AT_END = re.compile(r"\s*\(at end of document\)\s*$")


def _syntax_problem(name: str, exc: tomllib.TOMLDecodeError, text: str) -> str:
    message = str(exc)
    lineno = getattr(exc, "lineno", None)  # Python 3.14 adds it
    match = _AT_LINE.search(message)
    if match:
        lineno = lineno or int(match.group(1))
        message = message[: match.start()]
    elif _AT_END.search(message):
        message = _AT_END.sub("", message) + " at the end of the file"
        lineno = lineno or max(1, len(text.splitlines()))
    where = f"{name} line {lineno}" if lineno else name
    return f"{where}: {message}; using defaults for every setting"


def _settings_from(data: dict[str, Any], text: str, name: str) -> tuple[Settings, list[str]]:
    problems: list[str] = []
    lines = _KeyLines(text)
    known = {f.name for f in fields(Settings)}
    values: dict[str, Any] = {}

    def report(table: str | None, key: str, message: str) -> None:
        line = lines.find(table, key)
        where = f"{name} line {line}" if line else name
        problems.append(f"{where}: {message}")

    for key, value in data.items():
        if key not in known:
            hint = _close_match(key, known)
            report(None, key, f"unknown setting '{key}', ignored{hint}")
            continue
        if key == "keys":
            values["keys"] = _keys(value, report)
            continue
        try:
            values[key] = _CHECKS[key](value)
        except ValueError as exc:
            report(None, key, f"{key} {exc}; using the default ({_toml(getattr(Settings(), key))})")
    return replace(Settings(), **values), problems


def _check_theme(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"must be a theme name in quotes, not {_toml(value)}")
    return value.strip()


def _check_delay(value: Any) -> float | None:
    if isinstance(value, str) and value.strip().lower() == NEVER:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f'must be a number of seconds or "never", not {_toml(value)}')
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"must be 0 or more seconds, not {_toml(value)}")
    return float(value)


def _check_minutes(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"must be a whole number of minutes (0 = off), not {_toml(value)}")
    if value < 0:
        raise ValueError(f"must be 0 (off) or more minutes, not {_toml(value)}")
    return value


def _check_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"must be true or false, not {_toml(value)}")
    return value


_CHECKS = {
    "theme": _check_theme,
    "mark_read_delay": _check_delay,
    "auto_refresh_minutes": _check_minutes,
    "show_sidebar": _check_bool,
    "show_summary": _check_bool,
    "fetch_articles": _check_bool,
    "mark_group_read": _check_bool,
    "fold_events": _check_bool,
}


def _keys(value: Any, report) -> dict[str, str]:
    if not isinstance(value, dict):
        report(None, "keys", f"keys must be a table ([keys]), not {_toml(value)}; ignored")
        return {}
    keys: dict[str, str] = {}
    for binding, keyspec in value.items():
        if not isinstance(keyspec, str) or not keyspec.strip(" ,"):
            report(
                "keys",
                binding,
                f'keys.{binding} must be keys in quotes, like "j,down", not {_toml(keyspec)};'
                " ignored",
            )
            continue
        keys[binding] = ",".join(k.strip() for k in keyspec.split(",") if k.strip())
    return keys


def _toml(value: Any) -> str:
    """A value as it would be written in TOML, for messages."""
    if value is None:
        return f'"{NEVER}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return str(value)


def _close_match(key: str, known: set[str]) -> str:
    import difflib

    match = difflib.get_close_matches(key, sorted(known), n=1)
    return f" (did you mean '{match[0]}'?)" if match else ""


_TABLE = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")
_KEY = re.compile(r"""^\s*("(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_-]+)\s*[=.]""")


class _KeyLines:
    """Finds the line where a key is set, for messages; a best effort that never raises."""

    def __init__(self, text: str):
        self._lines: dict[tuple[str | None, str], int] = {}
        table: str | None = None
        for number, line in enumerate(text.splitlines(), start=1):
            header = _TABLE.match(line)
            if header and not line.lstrip().startswith("[["):
                table = header.group(1).strip().strip("\"'")
                self._lines.setdefault((None, table), number)
                continue
            key = _KEY.match(line)
            if key:
                self._lines.setdefault((table, key.group(1).strip("\"'")), number)

    def find(self, table: str | None, key: str) -> int | None:
        return self._lines.get((table, key))
