"""Where Newsdesk keeps its files (XDG base directories), in one place."""

from __future__ import annotations

import os
from pathlib import Path

APP = "newsdesk"


def _xdg(var: str, fallback: str) -> Path:
    value = os.environ.get(var, "").strip()
    # The XDG spec says relative paths in these variables are invalid and must be ignored.
    if value and os.path.isabs(value):
        return Path(value)
    return Path.home() / fallback


def data_dir() -> Path:
    return _xdg("XDG_DATA_HOME", ".local/share") / APP


def config_dir() -> Path:
    return _xdg("XDG_CONFIG_HOME", ".config") / APP


def cache_dir() -> Path:
    return _xdg("XDG_CACHE_HOME", ".cache") / APP


def config_file() -> Path:
    return config_dir() / "config.toml"


def database_path(override: str | os.PathLike[str] | None = None) -> Path:
    """The database to open: ``--db`` first, then ``NEWSDESK_DB``, then the XDG data directory."""
    if override:
        return Path(override).expanduser()
    env = os.environ.get("NEWSDESK_DB", "").strip()
    if env:
        return Path(env).expanduser()
    return data_dir() / "newsdesk.db"


def newsboat_urls_file() -> Path | None:
    """newsboat's subscription list, when this user has one: ``$XDG_CONFIG_HOME/newsboat/urls``
    (newsboat's default), else the older ``~/.newsboat/urls``."""
    for path in (_xdg("XDG_CONFIG_HOME", ".config") / "newsboat" / "urls", Path.home() / ".newsboat" / "urls"):
        if path.is_file():
            return path
    return None
