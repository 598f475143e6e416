"""Fixtures shared by every test: a real SQLite file with a clock the test controls."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from reader.store import Store

# CI machines are slower and busier than ours: a per-example deadline would make property tests flaky.
settings.register_profile("newsdesk", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("newsdesk")

# The fixed "now" of the test suite: 2026-03-01 12:00:00 UTC.
T0 = 1_772_366_400
CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
DATA = Path(__file__).resolve().parent / "data"


class FakeClock:
    """A clock a test can set and move; call it to read the time."""

    def __init__(self, now: float = T0):
        self.now = float(now)

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "newsdesk.db"


@pytest.fixture
def store(db_path: Path, clock: FakeClock):
    s = Store(db_path, clock=clock)
    yield s
    s.close()


@pytest.fixture
def server():
    """A real HTTP server on 127.0.0.1, new for each test; its API is in tests/httpserver.py."""
    from tests.httpserver import LocalServer

    with LocalServer(DATA) as srv:
        yield srv


class TtyIO(io.StringIO):
    """A captured stream that says it is a terminal (for the CLI's progress bar and colours)."""

    def isatty(self) -> bool:
        return True


def cli(db_path, *args: str, tty: bool = False) -> tuple[int, str, str]:
    """Run ``newsdesk --db DB ARGS`` in this process: the exit status, stdout and stderr."""
    from reader.cli import main

    out, err = (TtyIO() if tty else io.StringIO()), io.StringIO()
    code = main(["--db", str(db_path), *args], out=out, err=err)
    return code, out.getvalue(), err.getvalue()
