"""The app in a real pseudo-terminal that goes away under it."""

from __future__ import annotations

import fcntl
import os
import select
import struct
import subprocess
import sys
import termios
import time

import pytest


def test_the_app_exits_when_its_terminal_goes_away_without_a_hangup_signal(tmp_path):
    # As when a terminal window closes on `make run`: make is the session leader, gets the SIGHUP
    # and the app does not. Here the app leads a session of its own without a controlling
    # terminal, so closing the terminal sends it no signal at all.
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color", "NEWSDESK_DB": str(tmp_path / "newsdesk.db"),
           "XDG_CONFIG_HOME": str(tmp_path / "config")}
    proc = subprocess.Popen([sys.executable, "-m", "reader", "--demo"], stdin=slave, stdout=slave,
                            stderr=slave, env=env, start_new_session=True)
    os.close(slave)
    try:
        shown = b""
        deadline = time.monotonic() + 60
        while b"Newsdesk" not in shown and time.monotonic() < deadline and proc.poll() is None:
            if select.select([master], [], [], 0.2)[0]:
                shown += os.read(master, 1 << 16)
        assert b"Newsdesk" in shown, shown[-500:]
    finally:
        os.close(master)  # the terminal is gone
    try:
        code = proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        cpu = _cpu_seconds(proc.pid)
        proc.kill()
        proc.wait()
        pytest.fail(f"the app kept running after its terminal went away ({cpu:.1f} s of CPU)")
    assert code == 129  # 128 + SIGHUP, as if the hang-up had reached it


def _cpu_seconds(pid: int) -> float:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
