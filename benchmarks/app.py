"""How fast the app feels with 100,000 stories in 1,000 feeds: first paint, key to screen, memory.

Run:  .venv/bin/python benchmarks/app.py [--db PATH] [--app auto|minimal|full|both] [--rounds N]
      [--phases j,n,m,G/g,/name,/word]   (only those keys: --app full --runs 1 --phases /name,/word)
      .venv/bin/python benchmarks/app.py --start-up [--runs N]    (newsdesk against newsboat)
      .venv/bin/python benchmarks/app.py --search-cpu [--rounds N] [--no-prepare] (a search's CPU, headless)

What is measured, end to end, through a real pseudo-terminal (120x36) with Textual's real driver:

- first paint: from just before the app's process is spawned (interpreter start, imports, opening
  the database, loading 100,000 ids, layout, rendering) to the moment the newest story's title
  arrives on the terminal side of the pty.
- key to screen: from writing a key's byte to the pty to the arrival of the last byte of the screen
  update it caused (a burst of output followed by 40 ms of silence; the time of its last byte is
  taken, not the end of the silence). Keys: j (next row), n (next unread), m (toggle read),
  G and g (last/first of 100,000, alternating so each one moves), and in the full app a search:
  enter in the search box to the results on screen, for a name found in ~1% of the stories
  (/name) and for a common word found in ~23% (/word).
- peak memory: the app process's own peak resident set (VmHWM), written by the child at exit.
- --search-cpu: the full app headless (Pilot, no terminal), the CPU time of its main thread from
  enter in the search box to the first frame composed after it, /name and /word as above: the
  work a search's key costs, without the terminal's and the machine's noise in wall-clock time
  (writing the frame to a terminal, ~0.5 ms, is not in it). The app reads a search's first
  stories while the word is typed; --no-prepare leaves that out, as when enter follows the last
  letter before they are read.

The database (synthetic stories saved through Store.save_stories) is built once and cached; every
run works on a fresh copy of it, so the keys of one run (n marks stories read) do not change the next.
"minimal" is an app holding only the StoryList; "full" is reader.ui.app.NewsdeskApp when present.

--start-up times what a person waits for, the same way for both readers: each is started in a
120x36 tmux session (the real `newsdesk --db` command; `newsboat` on a cache holding the same
100,000 stories, filled once by `newsboat -x reload` from RSS files written from the database and
served on 127.0.0.1), and tmux's screen is polled every 5 ms until the first screen shows (newsdesk:
the newest story's title; newsboat: its feed list).
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import random
import resource
import select
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FEEDS = 1_000
PER_FEED = 100
EVENTS_PER_FEED = 9
T0 = 1_772_366_400  # the test suite's "now": 2026-03-01 12:00 UTC
MARKER = "Benchmark marker: the newest story"
SIZE = (120, 36)
QUIET_S = 0.040
WORDS = (
    "market election storm court vaccine rocket climate budget strike merger river summit "
    "protest satellite harvest border energy inflation museum festival report data privacy "
    "league final transfer earthquake drought bridge railway tariff startup lawsuit treaty"
).split()
WIDE = ["東京", "経済", "選挙", "台風", "🎉", "🚀", "Zürich", "Ελλάδα"]


# -- the database -------------------------------------------------------------------------------


def build_db(path: Path) -> None:
    from reader.cluster import group_new_stories
    from reader.models import ParsedStory
    from reader.store import Store

    rng = random.Random(42)
    started = time.perf_counter()
    store = Store(path, clock=lambda: T0)
    with store.write():
        feeds = [
            store.add_feed(f"https://feed{i:04d}.example/rss", title=f"{rng.choice(WORDS).title()} Daily {i:04d}")
            for i in range(FEEDS)
        ]
        for n, feed in enumerate(feeds):
            stories = []
            for j in range(PER_FEED):
                words = [rng.choice(WORDS) for _ in range(rng.randint(4, 16))]
                if rng.random() < 0.1:
                    words.insert(rng.randint(0, len(words)), rng.choice(WIDE))
                stories.append(
                    ParsedStory(
                        uid=f"{n}-{j}",
                        title=" ".join(words).capitalize(),
                        published=T0 - 60 - rng.randint(0, 365 * 86400),
                        content_hash=f"{n}-{j}",
                    )
                )
            # Feeds 3m, 3m+1 and 3m+2 tell nine events together (3,000 events of three sources in all,
            # 9% of the stories), stored and grouped the way a refresh does it.
            for j in range(PER_FEED - EVENTS_PER_FEED, PER_FEED):
                event = (n // 3) * EVENTS_PER_FEED + j - (PER_FEED - EVENTS_PER_FEED)
                topic = WORDS[event % len(WORDS)]
                stories[j] = ParsedStory(
                    uid=f"{n}-{j}",
                    title=f"Council approves {topic} plan number {event} after a long debate",
                    text=f"The council of district {event} approved the {topic} plan on Tuesday by a wide margin.",
                    published=T0 - 3600 - (event * 7919) % (365 * 86400) - (n % 3) * 600,
                    content_hash=f"{n}-{j}",
                )
            if n == 0:
                stories[0] = ParsedStory(uid="marker", title=MARKER, published=T0 - 30, content_hash="m")
            new_ids, _ = store.save_stories_ids(feed.id, stories)
            group_new_stories(store, new_ids)
        # four stories in five are read, scattered, so "n" has to look past read ones
        ids = store.story_ids()
        store.mark_read([i for i in ids if rng.random() < 0.8])
    store.index_pending()  # searchable, as a refresh leaves its stories
    events = store.conn.execute("SELECT count(*), coalesce(sum(feeds = 3), 0) FROM story_groups WHERE feeds > 1").fetchone()
    store.close()
    print(f"built {path} ({FEEDS * PER_FEED:,} stories, {events[0]:,} multi-source events, {events[1]:,} of three feeds) in "
          f"{time.perf_counter() - started:.1f} s")


# -- start-up against newsboat, in tmux ----------------------------------------------------------


def _rss(feed_title: str, stories: list[tuple[str, str, int]]) -> bytes:
    from email.utils import format_datetime
    from datetime import datetime, timezone
    from xml.sax.saxutils import escape

    items = "".join(
        f"<item><title>{escape(title)}</title><guid isPermaLink=\"false\">{escape(uid)}</guid>"
        f"<pubDate>{format_datetime(datetime.fromtimestamp(published, timezone.utc))}</pubDate></item>"
        for uid, title, published in stories
    )
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>{escape(feed_title)}</title><link>https://example.org/</link>"
            f"<description>x</description>{items}</channel></rss>").encode()


def newsboat_cache(db: Path) -> Path:
    """A newsboat directory (urls, config, cache.db) holding the database's stories; built once."""
    import importlib.util

    # by path: a package called "benchmarks" installed by some library would shadow this folder
    spec = importlib.util.spec_from_file_location("newsdesk_bench_refresh", ROOT / "benchmarks" / "refresh.py")
    refresh_bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = refresh_bench
    spec.loader.exec_module(refresh_bench)
    Server = refresh_bench.Server
    from reader.store import Store

    work = db.with_name(db.stem + "-newsboat")
    if (work / "cache.db").exists():
        return work
    feeds_dir = work / "feeds"
    feeds_dir.mkdir(parents=True, exist_ok=True)
    store = Store(db)
    feeds = store.list_feeds()
    for feed in feeds:
        rows = store.conn.execute(
            "SELECT uid, title, published FROM stories WHERE feed_id = ? ORDER BY published DESC", (feed.id,)
        ).fetchall()
        (feeds_dir / f"f{feed.id}.xml").write_bytes(_rss(feed.display_title, rows))
    store.close()
    server = Server(feeds_dir, 0.0)
    try:
        (work / "urls").write_text("".join(f"http://127.0.0.1:{server.port}/f{f.id}.xml\n" for f in feeds))
        (work / "config").write_text("reload-threads 16\nshow-read-feeds yes\n")
        started = time.perf_counter()
        subprocess.run(["newsboat", "-x", "reload", *newsboat_args(work)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        print(f"filled newsboat's cache in {time.perf_counter() - started:.1f} s ({work})")
    finally:
        server.close()
    return work


def newsboat_args(work: Path) -> list[str]:
    return ["-u", str(work / "urls"), "-c", str(work / "cache.db"), "-C", str(work / "config")]


def time_in_tmux(command: str, needle: str, timeout: float = 120.0) -> float:
    """Seconds from starting ``command`` in a fresh 120x36 tmux session until ``needle`` shows."""
    name = f"bench-{os.getpid()}"
    for attempt in range(5):  # killing the last session stops the tmux server; a new one may race it
        started = time.perf_counter()
        opened = subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", str(SIZE[0]), "-y", str(SIZE[1]),
                                 command], capture_output=True)
        if opened.returncode == 0:
            break
        time.sleep(0.3)
    else:
        raise RuntimeError(f"tmux could not start {command!r}: {opened.stderr.decode(errors='replace')}")
    try:
        while time.perf_counter() - started < timeout:
            screen = subprocess.run(["tmux", "capture-pane", "-p", "-t", name], capture_output=True, text=True).stdout
            if needle in screen:
                return time.perf_counter() - started
            time.sleep(0.005)
        raise RuntimeError(f"{command!r} never showed {needle!r}; its screen: {screen!r}")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)


def start_up(db: Path, runs: int) -> None:
    import shlex

    newsdesk = Path(sys.executable).with_name("newsdesk")
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(f"database: {db} ({FEEDS * PER_FEED:,} stories, {FEEDS:,} feeds); tmux {SIZE[0]}x{SIZE[1]}")
    results: dict[str, list[float]] = {"newsdesk": [], "newsboat": []}
    commands = {"newsdesk": (f"{shlex.quote(str(newsdesk))} --db {shlex.quote(str(db))}", MARKER.split()[0])}
    if shutil.which("newsboat"):
        work = newsboat_cache(db)
        commands["newsboat"] = ("newsboat " + " ".join(map(shlex.quote, newsboat_args(work))), "Daily 0")
    else:
        print("newsboat is not installed: newsdesk only")
    for _ in range(runs):  # alternate, so both see the same machine
        for name, (command, needle) in commands.items():
            results[name].append(time_in_tmux(command, needle))
    for name, times in results.items():
        if times:
            print(f"{name:>9}: first screen " + ", ".join(f"{t * 1000:.0f}" for t in times)
                  + f" ms (median {statistics.median(times) * 1000:.0f} ms)")
    if results["newsboat"] and results["newsdesk"]:
        ratio = statistics.median(results["newsboat"]) / statistics.median(results["newsdesk"])
        print(f"newsdesk starts {ratio:.1f}x faster than newsboat (medians)")


# -- the app process ----------------------------------------------------------------------------


def peak_rss_mb() -> float:
    """This process's peak resident memory. VmHWM, not ru_maxrss: Linux carries ru_maxrss over
    from the parent through fork and exec, so a child would report the runner's own peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(db: Path, which: str, report: Path) -> None:
    """Run the app on this process's terminal (the pty); write timings and memory at exit."""
    spawned = float(os.environ.get("BENCH_SPAWNED", "0"))
    stamps: dict[str, float] = {"script running": time.time()}
    from textual.app import App
    from textual.binding import Binding

    from reader.models import StoryFilter
    from reader.store import Store
    from reader.ui.widgets.story_list import StoryList

    stamps["imports done"] = time.time()
    clock = lambda: T0  # noqa: E731 - fixed "now" so every run draws the same ages

    if which == "full":
        from reader.ui.app import NewsdeskApp

        css = NewsdeskApp.CSS_PATH
        here = Path(sys.modules[NewsdeskApp.__module__].__file__).parent
        if css:  # Textual resolves CSS_PATH next to the subclass's file: make it absolute
            css = [here / p for p in ([css] if isinstance(css, (str, Path)) else css)]

        app_on_mount = NewsdeskApp.__dict__["on_mount"]

        def timed_on_mount(self) -> None:
            stamps["app on_mount"] = time.time()
            app_on_mount(self)
            stamps["app on_mount done"] = time.time()

        NewsdeskApp.on_mount = timed_on_mount  # the app's own start-up work, timed

        class BenchApp(NewsdeskApp):
            CSS_PATH = css
            # Textual calls every class's on_mount, this one first; the paint follows the app's own.
            def on_mount(self) -> None:
                stamps["mounted"] = time.time()
                self.call_after_refresh(lambda: stamps.setdefault("after-refresh callback", time.time()))

        # as run_app does; BENCH_NO_FREEZE=1 measures what gc.freeze() buys
        app = BenchApp(db_path=db, clock=clock, freeze_gc=not os.environ.get("BENCH_NO_FREEZE"))
    else:

        class ListApp(App):
            BINDINGS = [
                Binding("j", "focused.cursor_down"),
                Binding("k", "focused.cursor_up"),
                Binding("g", "focused.first"),
                Binding("G", "focused.last"),
                Binding("n", "focused.next_unread"),
                Binding("m", "toggle_read"),
                Binding("ctrl+q", "quit"),
            ]

            def compose(self):
                yield StoryList(Store(db, clock=clock), clock, id="stories")

            def on_mount(self) -> None:
                stamps["mounted"] = time.time()
                stories = self.query_one(StoryList)
                stories.load(StoryFilter())
                stories.focus()
                stamps["ids loaded"] = time.time()
                self.call_after_refresh(lambda: stamps.setdefault("after-refresh callback", time.time()))

            def action_toggle_read(self) -> None:
                stories = self.query_one(StoryList)
                row = stories.current_row
                if row is not None:
                    stories.store.mark_read([row.id], not row.read)
                    stories.invalidate([row.id])

        app = ListApp()
    trace: list[tuple[float, str]] = []
    if os.environ.get("BENCH_TRACE"):  # BENCH_TRACE=out.json: when keys arrived and frames left
        from textual import events

        real_display, real_dispatch = App._display, App._on_key

        def display(self, screen, renderable):
            real_display(self, screen, renderable)
            if renderable is not None:
                trace.append((time.time(), f"frame {type(renderable).__name__}"))

        async def on_key(self, event: events.Key) -> None:
            trace.append((time.time(), f"key {event.key}"))
            await real_dispatch(self, event)

        App._display, App._on_key = display, on_key
        import gc

        gc.callbacks.append(lambda phase, info: trace.append((time.time(), f"gc {phase} gen{info['generation']}")))
        from textual.screen import Screen

        def traced(cls, name):
            real = getattr(cls, name)

            def wrapper(self, *args, **kwargs):
                trace.append((time.time(), f"{name} start"))
                cpu = time.thread_time()
                try:
                    return real(self, *args, **kwargs)
                finally:
                    trace.append((time.time(), f"{name} end ({(time.thread_time() - cpu) * 1000:.1f} ms CPU)"))

            setattr(cls, name, wrapper)

        if os.environ.get("BENCH_TRACE_LAYOUT"):  # who asks for a layout pass ("all": any refresh)
            import traceback

            from textual.widget import Widget

            real_refresh = Widget.refresh

            def refresh(self, *args, **kwargs):
                if kwargs.get("layout") or os.environ["BENCH_TRACE_LAYOUT"] == "all":
                    where = " < ".join(f.name for f in traceback.extract_stack(limit=6)[-2::-1])
                    kind = "layout" if kwargs.get("layout") else f"refresh (in {getattr(self.parent, 'id', None)})"
                    trace.append((time.time(), f"{kind} {self.id or type(self).__name__} <- {where}"))
                return real_refresh(self, *args, **kwargs)

            Widget.refresh = refresh
        if os.environ.get("BENCH_TRACE_MESSAGES"):  # every message as it is handled, and by whom
            from textual.message_pump import MessagePump

            real_on_message = MessagePump._on_message

            def on_message(self, message):
                trace.append((time.time(), f"message {type(message).__name__} -> {type(self).__name__}#{getattr(self, 'id', '')}"))
                return real_on_message(self, message)

            MessagePump._on_message = on_message
        for name in os.environ.get("BENCH_TRACE_CALLS", "").split(","):
            if name:
                owner, _, attr = name.rpartition(".")  # e.g. StoryList.next_unread, textual._compositor:Compositor.reflow
                import importlib

                import reader.ui.app as ui

                classes = {"Screen": Screen, "App": App, "NewsdeskApp": ui.NewsdeskApp, "StoryList": ui.StoryList,
                           "ReadingPane": ui.ReadingPane, "Sidebar": ui.Sidebar, "SummaryPanel": ui.SummaryPanel}
                if ":" in owner:
                    module, _, owner = owner.partition(":")
                    classes[owner] = getattr(importlib.import_module(module), owner)
                traced(classes[owner], attr)
    if os.environ.get("BENCH_PROFILE"):  # BENCH_PROFILE=out.prof: cProfile the app process
        import cProfile

        cProfile.runctx("app.run()", globals(), {"app": app}, os.environ["BENCH_PROFILE"])
    else:
        app.run()
    report.write_text(
        json.dumps(
            {
                "stamps_s": {k: v - spawned for k, v in stamps.items()},
                "maxrss_mb": peak_rss_mb(),
            }
        )
    )
    if trace:
        Path(os.environ["BENCH_TRACE"]).write_text(json.dumps(trace))


# -- driving it through a pty -------------------------------------------------------------------


class Terminal:
    """The outside of a pseudo-terminal with one app process on the inside."""

    def __init__(self, db: Path, which: str, report: Path):
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", SIZE[1], SIZE[0], 0, 0))
        env = dict(os.environ, TERM="xterm-256color", COLORTERM="truecolor")
        self.spawned = time.time()
        self.start = time.perf_counter()
        env["BENCH_SPAWNED"] = repr(self.spawned)
        # Textual draws on stderr; both go to the pty, like in a real terminal.
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--child", which, "--db", str(db), "--report", str(report)],
            stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True, start_new_session=True,
        )
        os.close(slave)
        self.seen = bytearray()

    def read(self, timeout: float) -> tuple[bytes, float]:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return b"", 0.0
        try:
            data = os.read(self.master, 1 << 16)
        except OSError:  # the child closed the pty
            return b"", 0.0
        return data, time.perf_counter()

    def wait_for(self, needle: bytes, timeout: float = 30.0) -> float:
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            data, when = self.read(0.5)
            if data:
                self.seen += data
                if needle in self.seen:
                    return when
            elif self.proc.poll() is not None:
                break
        tail = self.seen[-3000:].decode(errors="replace")
        raise RuntimeError(f"never saw {needle!r}; the terminal's last output: {tail!r}")

    def settle(self) -> None:
        """Read until the app has said nothing for a while."""
        while self.read(QUIET_S * 2)[0]:
            pass

    def key(self, key: bytes) -> float:
        """Seconds from writing ``key`` to the last byte of the update it caused."""
        return self.press(key)[1]

    def press(self, key: bytes) -> tuple[float, float]:
        """Seconds from writing ``key`` to the first and to the last byte of the update it caused.

        The first byte is the app's first response (the cursor moved, the results listed); the
        last is the end of everything the key set off (the story under the cursor drawn too).
        """
        self.settle()
        sent = time.perf_counter()
        os.write(self.master, key)
        data, first = self.read(2.0)
        if not data:
            return float("nan"), float("nan")  # nothing changed on screen
        last = first
        while True:
            data, when = self.read(QUIET_S)
            if not data:
                return first - sent, last - sent
            last = when

    def quit(self) -> None:
        os.write(self.master, b"\x11")  # ctrl+q
        try:
            deadline = time.perf_counter() + 10
            while self.proc.poll() is None and time.perf_counter() < deadline:
                self.read(0.1)
            self.proc.wait(timeout=1)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)


def search_cpu(db: Path, rounds: int, prepare: bool = True) -> dict[str, list[float]]:
    """Main-thread CPU ms from enter to the first frame after it, per search (headless app).
    ``prepare=False``: as if enter came before the stories typed were read (StoryList.prepare)."""
    import asyncio

    from textual.app import App

    from reader.ui.app import NewsdeskApp
    from reader.ui.widgets.story_list import StoryList

    if not prepare:
        StoryList.prepare = lambda self, flt: None

    marks: dict[str, float] = {}
    real_display, real_on_key = App._display, App._on_key

    def display(self, screen, renderable):
        if renderable is not None and "key" in marks and "frame" not in marks:
            marks["frame"] = time.thread_time()
        return real_display(self, screen, renderable)

    async def on_key(self, event) -> None:
        if event.key == "enter" and marks.pop("armed", False):
            marks["key"] = time.thread_time()
        await real_on_key(self, event)

    App._display, App._on_key = display, on_key
    out: dict[str, list[float]] = {}

    async def main(copy: Path) -> None:
        app = NewsdeskApp(copy, clock=lambda: T0, freeze_gc=True)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause(0.5)
            names = [w for w in WIDE if w.isalpha()]
            for label, words in (("/name", names), ("/word", WORDS)):
                out[label] = []
                for i in range(rounds):
                    await pilot.press("slash", "ctrl+u", *words[i % len(words)])
                    await pilot.pause(0.05)
                    marks.clear()
                    marks["armed"] = True
                    await pilot.press("enter")
                    for _ in range(200):
                        if "frame" in marks:
                            break
                        await asyncio.sleep(0.01)
                    out[label].append((marks["frame"] - marks["key"]) * 1000)
                    await pilot.pause(0.1)  # the rest of the list and the counts arrive
                    await pilot.press("escape")
                    await pilot.pause(0.05)

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / db.name
        shutil.copyfile(db, copy)
        asyncio.run(main(copy))
    return out


KEY_PHASES = ("j", "n", "m", "G/g")
SEARCH_PHASES = ("/name", "/word")


def run(db: Path, which: str, rounds: int, phases: tuple[str, ...] = KEY_PHASES + SEARCH_PHASES) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        # Each run reads its own copy: n marks stories read, and a reused database would drift
        # run by run (the first unread story moving thousands of rows down).
        copy = Path(tmp) / db.name
        shutil.copyfile(db, copy)
        term = Terminal(copy, which, report)
        # the first word only: a narrow list column cuts the rest of the title
        painted = term.wait_for(MARKER.split()[0].encode()) - term.start
        term.settle()
        # Each key in its own phase so every press changes the screen: j and n walk down from the
        # top, m toggles the current story back and forth, G and g alternate.
        latencies: dict[str, list[float]] = {}
        for key, presses in (("j", [b"j"] * rounds), ("n", [b"n"] * rounds), ("m", [b"m"] * rounds),
                             ("G/g", [b"G", b"g"] * (rounds // 2))):
            if key not in phases:
                continue
            latencies[key] = [term.press(k) for k in presses]
            term.key(b"g")
        if which == "full":
            # /query: open the search box, type a word, and time enter -> the results listed
            # (FTS5 over 100,000 stories, the view swapped, the list redrawn); esc goes back.
            # "/name" looks for a name in about 1% of the stories (1,100 matches), as a search for a
            # person or place does; "/word" for a word in about 23% of them (23,000 matches, ranked).
            names = [w for w in WIDE if w.isalpha()]
            for label, words in (("/name", names), ("/word", WORDS)):
                if label not in phases:
                    continue
                latencies[label] = []
                for i in range(max(2, rounds // 5)):
                    term.key(b"/")
                    term.key(b"\x15")  # ctrl+u: empty the box
                    for ch in words[i % len(words)]:
                        term.key(ch.encode())
                    latencies[label].append(term.press(b"\r"))
                    term.key(b"\x1b")
        term.quit()
        facts = json.loads(report.read_text()) if report.exists() else {}
    return {"first_paint_s": painted, "latencies": latencies, **facts}


def ms(values: list[float], fn) -> str:
    values = [v for v in values if v == v]  # NaN: the key changed nothing on screen
    return f"{fn(values) * 1000:6.1f}" if values else "    —"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path(tempfile.gettempdir()) / "newsdesk-bench-100k-events.db")
    parser.add_argument("--app", choices=("auto", "minimal", "full", "both"), default="both")
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3, help="first-paint measurements per app")
    parser.add_argument("--phases", default=",".join(KEY_PHASES + SEARCH_PHASES),
                        help="which keys to time, comma-separated (default: all; e.g. --phases /name,/word)")
    parser.add_argument("--start-up", action="store_true",
                        help="time start-up to the first screen in tmux, newsdesk against newsboat")
    parser.add_argument("--search-cpu", action="store_true",
                        help="a search's main-thread CPU from enter to its first frame, headless (--rounds searches of each kind)")
    parser.add_argument("--no-prepare", action="store_true",
                        help="with --search-cpu: nothing read while the word is typed (enter pressed at once)")
    parser.add_argument("--child", choices=("minimal", "full"), help=argparse.SUPPRESS)
    parser.add_argument("--report", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.db, args.child, args.report)
        return

    if not args.db.exists():
        build_db(args.db)
    if args.start_up:
        start_up(args.db, args.runs)
        return
    if args.search_cpu:
        print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
        print("main-thread CPU from enter to the first frame, headless (no terminal write):")
        for label, values in search_cpu(args.db, args.rounds, prepare=not args.no_prepare).items():
            print(f"{label:>6} {len(values):>4} searches: median {statistics.median(values):5.1f} ms, "
                  f"min {min(values):5.1f}, max {max(values):5.1f}")
        return
    try:
        import reader.ui.app as app_module

        has_full = hasattr(app_module, "NewsdeskApp")
    except Exception as exc:  # noqa: BLE001 - a colleague's half-written app must not stop this
        print(f"full app not importable ({exc.__class__.__name__}: {exc}); measuring the minimal one")
        has_full = False
    apps = {"auto": ["full" if has_full else "minimal"], "minimal": ["minimal"], "full": ["full"],
            "both": ["minimal", "full"] if has_full else ["minimal"]}[args.app]

    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(f"database: {args.db} ({FEEDS * PER_FEED:,} stories, {FEEDS:,} feeds); terminal {SIZE[0]}x{SIZE[1]} pty")
    phases = tuple(p.strip() for p in args.phases.split(",") if p.strip())
    unknown = set(phases) - set(KEY_PHASES + SEARCH_PHASES)
    if unknown:
        parser.error(f"unknown phases {sorted(unknown)}; known: {', '.join(KEY_PHASES + SEARCH_PHASES)}")
    for which in apps:
        results = [run(args.db, which, args.rounds if i == 0 else 0, phases) for i in range(args.runs)]
        first = results[0]
        paints = [r["first_paint_s"] for r in results]
        print()
        print(f"== {which} app ({'reader.ui.app.NewsdeskApp' if which == 'full' else 'StoryList only'})")
        print(f"first paint (spawn -> newest title on the pty): "
              + ", ".join(f"{p * 1000:.0f}" for p in paints) + " ms"
              )
        print("  inside the first run, ms after spawn: "
              + ", ".join(f"{k} {v * 1000:.0f}" for k, v in first.get("stamps_s", {}).items()))
        print(f"peak memory (VmHWM): {max(r.get('maxrss_mb', 0) for r in results):.0f} MB")
        p95 = lambda v: sorted(v)[max(0, int(len(v) * 0.95 + 0.5) - 1)]  # noqa: E731
        for part, label in ((0, "first response (first byte of the update)"),
                            (1, "whole update (last byte, the story under the cursor drawn too)")):
            print(f"key to screen, {label}:")
            print(f"{'key':>6} {'n':>4} {'median ms':>10} {'p95 ms':>8} {'worst ms':>9} {'no update':>10}")
            everything: list[float] = []
            for key, pairs in first["latencies"].items():
                values = [pair[part] for pair in pairs]
                everything += values
                missed = sum(1 for v in values if v != v)
                print(f"{key:>6} {len(values):>4} {ms(values, statistics.median):>10} {ms(values, p95):>8} "
                      f"{ms(values, max):>9} {missed:>10}")
            print(f"{'all':>6} {len(everything):>4} {ms(everything, statistics.median):>10} {'':>8} "
                  f"{ms(everything, max):>9}")


if __name__ == "__main__":
    main()
