"""Refresh speed: `newsdesk refresh` against `newsboat -x reload` on the same local feeds.

Serves N synthetic RSS feeds of M items from 127.0.0.1 (a separate process, a fixed delay per
response, ETag/304), then times, in one run:
  newsdesk cold (empty database), newsdesk warm (every feed answers 304),
  newsboat cold and warm (reload-threads 16).
Peak memory is the largest resident size of the whole process tree (workers included), sampled
every 20 ms from /proc; CPU is user + system seconds of the process and its children (wait4).

    .venv/bin/python benchmarks/refresh.py --feeds 200 --items 50 --delay 0.1
    .venv/bin/python benchmarks/refresh.py --feeds 1000 --items 100 --delay 0

--without-grouping adds a diagnostic run: a cold refresh into a second empty database with grouping
of multi-source stories switched off (in that process and its parser processes, which otherwise
read each story's words for it), to show what grouping costs. The shipped configuration, and the
ratios, are the runs with grouping.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from email.utils import format_datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
T0 = 1_772_366_400

PARAGRAPHS = [
    "The city council met on Tuesday to weigh a budget that includes a new transit plan. "
    "Officials said a vote could come next week, after a public hearing.",
    "Residents raised concerns about parking and noise, while business groups welcomed the plan "
    "and said it would bring more customers downtown.",
    "The proposal would add 14 kilometres of track and 22 stops, at a cost the city puts at "
    "310 million euros over six years.",
]


def make_feed(i: int, items: int) -> bytes:
    entries = []
    for j in range(items):
        date = format_datetime(datetime.fromtimestamp(T0 - 600 * j - i, timezone.utc))
        body = "".join(f"&lt;p&gt;{PARAGRAPHS[(i + j + k) % 3]}&lt;/p&gt;" for k in range(2))
        entries.append(
            f"<item><title>Feed {i}, story {j}: council weighs budget &amp; transit plan</title>"
            f"<link>https://site{i}.example/news/{j}</link>"
            f'<guid isPermaLink="false">feed{i}-item{j}</guid><pubDate>{date}</pubDate>'
            f"<author>desk@site{i}.example (News Desk)</author>"
            f"<description>{body}</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Feed {i}</title><link>https://site{i}.example/</link><description>Feed {i}</description>"
        + "".join(entries)
        + "</channel></rss>"
    ).encode()


# -- a small keep-alive HTTP server, run in its own process ---------------------------------------


async def _serve(directory: Path, delay: float) -> None:
    files = {}
    for path in directory.iterdir():
        data = path.read_bytes()
        files["/" + path.name] = (data, '"' + hashlib.sha1(data).hexdigest()[:16] + '"')

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                target = lines[0].split(" ")[1]
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        k, v = line.split(":", 1)
                        headers[k.strip().lower()] = v.strip()
                if delay:
                    await asyncio.sleep(delay)
                entry = files.get(target)
                if entry is None:
                    writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                elif headers.get("if-none-match") == entry[1]:
                    writer.write(f"HTTP/1.1 304 Not Modified\r\nETag: {entry[1]}\r\n\r\n".encode())
                else:
                    writer.write(
                        f"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml; charset=utf-8\r\n"
                        f"ETag: {entry[1]}\r\nContent-Length: {len(entry[0])}\r\n\r\n".encode() + entry[0]
                    )
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    break
        except (asyncio.IncompleteReadError, ConnectionError, IndexError):
            pass
        finally:
            writer.close()

    # All of 127.0.0.0/8 is loopback on Linux: each feed gets a host of its own, as real feeds do.
    server = await asyncio.start_server(handle, "0.0.0.0", 0, backlog=4096)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


class Server:
    def __init__(self, directory: Path, delay: float):
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(directory), "--delay", str(delay)],
            stdout=subprocess.PIPE,
            text=True,
        )
        self.port = int(self.proc.stdout.readline())

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait()


# -- measuring ------------------------------------------------------------------------------------


def _tree_rss_kb(pid: int) -> int:
    total = 0
    stack = [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    stack.extend(int(c) for c in f.read().split())
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total


def timed(cmd: list[str], env: dict | None = None) -> tuple[float, int, int, float]:
    """(seconds, peak tree RSS in MB, exit status, CPU seconds) of one command.

    CPU seconds are user + system of the process and every child it waited for (the parser
    processes): unlike the wall clock, they hardly depend on what else the machine is doing."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, _tree_rss_kb(proc.pid))
            stop.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc.stderr.close()
    stop.set()
    sampler.join()
    if proc.returncode not in (0,):
        sys.stderr.write(err.decode(errors="replace")[-2000:])
    return elapsed, peak // 1024, proc.returncode, usage.ru_utime + usage.ru_stime


# `newsdesk refresh` with grouping switched off: a diagnostic, never the number reported as ours.
WITHOUT_GROUPING = (
    "import sys, reader.cluster\n"
    "reader.cluster.group_new_stories = lambda store, ids, features=None: []\n"
    "reader.cluster.story_features = lambda *story: None  # nor read for it in the parser processes\n"
    "from reader.cli import main\n"
    "sys.exit(main(['refresh']))\n"
)


def run(
    feeds: int, items: int, delay: float, work: Path, skip_newsboat: bool, without_grouping: bool,
    warm_runs: int = 1,
) -> dict:
    data = work / "feeds"
    data.mkdir(parents=True, exist_ok=True)
    for i in range(feeds):
        (data / f"f{i}.xml").write_bytes(make_feed(i, items))
    server = Server(data, delay)
    urls = [f"http://127.0.{i // 250}.{i % 250 + 1}:{server.port}/f{i}.xml" for i in range(feeds)]
    (work / "urls").write_text("\n".join(urls) + "\n")
    results: dict = {}
    try:
        newsdesk = str(Path(sys.executable).with_name("newsdesk"))
        db = work / "newsdesk.db"
        env = {**os.environ, "NEWSDESK_DB": str(db)}
        subprocess.run([newsdesk, "import", str(work / "urls")], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        results["newsdesk cold"] = timed([newsdesk, "refresh"], env)
        results["newsdesk warm"] = timed([newsdesk, "refresh"], env)
        for n in range(2, warm_runs + 1):
            results[f"newsdesk warm, run {n}"] = timed([newsdesk, "refresh"], env)
        stored = subprocess.run([newsdesk, "stories"], env=env, capture_output=True, text=True).stdout
        results["stories stored"] = len(stored.splitlines())
        if without_grouping:
            env2 = {**os.environ, "NEWSDESK_DB": str(work / "newsdesk-without-grouping.db")}
            subprocess.run([newsdesk, "import", str(work / "urls")], env=env2, check=True,
                           stdout=subprocess.DEVNULL)
            results["newsdesk cold, no grouping (diagnostic)"] = timed(
                [sys.executable, "-c", WITHOUT_GROUPING], env2
            )
        if not skip_newsboat and shutil.which("newsboat"):
            conf = work / "newsboat.conf"
            conf.write_text("reload-threads 16\nshow-read-feeds yes\n")
            cache = work / "newsboat-cache.db"
            cmd = ["newsboat", "-x", "reload", "-u", str(work / "urls"), "-c", str(cache), "-C", str(conf)]
            results["newsboat cold"] = timed(cmd)
            results["newsboat warm"] = timed(cmd)
    finally:
        server.close()
    return results


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--feeds", type=int, default=200)
    p.add_argument("--items", type=int, default=50)
    p.add_argument("--delay", type=float, default=0.1, help="seconds before each response")
    p.add_argument("--no-newsboat", action="store_true")
    p.add_argument("--without-grouping", action="store_true",
                   help="also time a cold refresh with grouping off (a diagnostic)")
    p.add_argument("--warm-runs", type=int, default=1, metavar="N",
                   help="time the warm refresh N times (it is the run closest to its target)")
    p.add_argument("--serve", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.serve:
        asyncio.run(_serve(Path(args.serve), args.delay))
        return
    # (from /, as the newsdesk command runs: from the checkout, `python -c` would find ./reader
    # before a PYTHONPATH pointing at an exported commit)
    reader_dir = subprocess.run([sys.executable, "-c", "import reader; print(reader.__file__)"],
                                capture_output=True, text=True, cwd="/").stdout.strip().removesuffix("/__init__.py")
    # Installed, the package is compiled to bytecode (pip does it, and Python on the first import);
    # with PYTHONDONTWRITEBYTECODE set, as in some shells, every run would compile it again first
    # (40 ms of each start here).
    subprocess.run([sys.executable, "-m", "compileall", "-q", reader_dir], check=True)
    load_before = f"{os.getloadavg()[0]:.2f}"
    with tempfile.TemporaryDirectory(prefix="newsdesk-bench-") as tmp:
        results = run(args.feeds, args.items, args.delay, Path(tmp), args.no_newsboat, args.without_grouping,
                      args.warm_runs)
    git = ["git", "-C", reader_dir]
    commit = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run([*git, "status", "--porcelain", "."], capture_output=True, text=True).stdout
    print(f"{args.feeds} feeds x {args.items} items, {args.delay * 1000:.0f} ms delay, "
          f"{os.cpu_count()} cores; load before/after {load_before} / {os.getloadavg()[0]:.2f}")
    print(f"newsdesk from {reader_dir}: "
          + (f"commit {commit.stdout.strip()}{', with uncommitted changes' if dirty.strip() else ''}"
             if commit.returncode == 0 else "not a git checkout"))
    print(f"command: {' '.join(sys.argv)} (the package compiled to bytecode first)")
    print(f"stories stored by newsdesk: {results.pop('stories stored')}")
    for name, (seconds, rss, code, cpu) in results.items():
        print(f"  {name:<38} {seconds:7.2f} s   CPU {cpu:6.2f} s   peak {rss:5d} MB   exit {code}")
    if "newsboat cold" in results:
        for kind in ("cold", "warm"):
            ratio = results[f"newsdesk {kind}"][0] / results[f"newsboat {kind}"][0]
            print(f"  {kind} ratio newsdesk/newsboat: {ratio:.2f}")


if __name__ == "__main__":
    main()
