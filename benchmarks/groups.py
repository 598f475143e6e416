"""What grouping adds to a refresh: 10,000 new stories from 200 feeds, grouped feed by feed.

A database first gets HISTORY older stories (the ten days before, grouped as they arrived); then a
refresh stores FEEDS x PER_FEED new stories published over the last two days, one feed at a time, in
one transaction per feed, exactly as ``refresh.store_result`` does: ``save_stories_ids`` then
``group_new_stories``. The same refresh is run on a copy of the database without grouping, and the
difference is what grouping costs. The stories are synthetic but shaped like news: 3,000 events
each with its own names and numbers, told by one to eight feeds in different words, over a
vocabulary whose common words appear in many stories (Zipf), titles of 8-12 words and leads of 60.

    .venv/bin/python benchmarks/groups.py
    .venv/bin/python benchmarks/groups.py --feeds 200 --per-feed 50 --history 20000

``--synthetic`` measures grouping's worst case instead: the near-identical stories of
``benchmarks/refresh.py`` (every title "Feed i, story j: council weighs budget & transit plan",
three paragraphs shared by all, every story within two days of the others), 1,000 feeds x 100
items by default, parsed as the refresh parses them and stored and grouped feed by feed into an
empty database. Only the time inside ``group_new_stories`` is reported, per 10,000 stories too.

    .venv/bin/python benchmarks/groups.py --synthetic
    .venv/bin/python benchmarks/groups.py --synthetic --feeds 1000 --per-feed 100

``--read-ahead`` reads each story's words before the clock starts (``cluster.story_features``,
sent through pickle as from a parser process), as a refresh does in its parser processes: what is
left is grouping's part in the process that stores (``--synthetic`` reports the reading's CPU too).
The input stories are kept out of sight of Python's cycle collector (``gc.freeze``): a refresh
never holds them all at once, and the collector's walks through them would count as grouping's.
``--dump FILE`` writes the groups found, to compare two versions of the code.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import pickle
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reader.cluster import features_key, group_new_stories, story_features  # noqa: E402
from reader.models import ParsedStory  # noqa: E402
from reader.store import Store  # noqa: E402

NOW = 1_772_366_400
DAY = 86400
SYLLABLES = "ka lo mi ne ru sa ti vo ze an el or us ba de fi go hu".split()


def word(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(n))


class Generator:
    def __init__(self, seed: int = 7):
        self.rng = random.Random(seed)
        rng = self.rng
        self.common = [word(rng, rng.randint(2, 3)) for _ in range(5000)]
        self.cum = list(itertools.accumulate(1 / (i + 1) for i in range(len(self.common))))  # Zipf
        self.events = []
        for _ in range(3000):
            names = [word(rng, 3).capitalize() for _ in range(4)]
            numbers = [str(rng.randint(10, 9999)) for _ in range(2)]
            topic = rng.choices(self.common, cum_weights=self.cum, k=6)
            self.events.append((names, numbers, topic))

    def story(self, uid: str, published: int) -> ParsedStory:
        rng = self.rng
        names, numbers, topic = rng.choice(self.events)

        def words(k: int, share: float) -> list[str]:
            filler = iter(rng.choices(self.common, cum_weights=self.cum, k=k))
            out = []
            for _ in range(k):
                r = rng.random()
                if r < share / 2:
                    out.append(rng.choice(names))
                elif r < share:
                    out.append(rng.choice(topic + numbers))
                else:
                    out.append(next(filler))
            return out

        title = " ".join(words(rng.randint(8, 12), 0.5)).capitalize()
        lead = " ".join(words(60, 0.3)).capitalize() + "."
        return ParsedStory(uid=uid, title=title, url=f"https://news.example/{uid}", published=published,
                           text=lead, content_hash=uid)


def make_batches(store: Store, gen: Generator, count: int, feeds: int, start: int, end: int,
                 prefix: str) -> list[tuple[int, list[ParsedStory]]]:
    """``count`` stories from ``feeds`` feeds (added to the store), published in [start, end)."""
    batches = []
    for i in range(feeds):
        url = f"https://feeds.example/{prefix}{i}"
        feed = store.feed_by_url(url) or store.add_feed(url, title=f"Feed {prefix}{i}")
        stories = [gen.story(f"{prefix}{i}-{j}", gen.rng.randint(start, end - 1)) for j in range(count // feeds)]
        batches.append((feed.id, stories))
    return batches


def read_ahead(stories, cpu: list[float] | None = None) -> dict:
    """What a parser process sends for a feed's stories, as the process that stores gets it; adds
    the CPU seconds ``story_features`` took to ``cpu[0]``."""
    t = time.process_time()
    features = [story_features(s.url, s.title, s.text) for s in stories]
    if cpu is not None:
        cpu[0] += time.process_time() - t
    features = pickle.loads(pickle.dumps(features))
    return {features_key(s.url, s.title, s.text): f for s, f in zip(stories, features)}


def keep_out_of_the_collector() -> None:
    """The benchmark holds every input story at once, which a refresh never does: Python's cycle
    collector would walk them all at each full collection, counted as grouping's time. Out of its
    sight (``gc.freeze``), it walks only what grouping keeps."""
    gc.collect()
    gc.freeze()


def partition(store: Store) -> list[str]:
    """The groups of several stories, each as its stories' ids in order, one a line, sorted: two
    runs on the same input grouped alike exactly when these lines are equal."""
    members: dict[int, list[int]] = {}
    for story_id, group_id in store.conn.execute("SELECT story_id, group_id FROM group_members"):
        members.setdefault(group_id, []).append(story_id)
    return sorted(" ".join(map(str, sorted(ids))) for ids in members.values() if len(ids) > 1)


def store_batches(store: Store, batches, group: bool, ahead: list | None = None) -> tuple[float, float, float]:
    """Store (and group) feed by feed, one transaction each, as refresh.store_result does; returns
    (wall seconds, CPU seconds, CPU seconds inside group_new_stories). ``ahead``: each batch's
    features, read before."""
    inside = 0.0
    wall, cpu = time.perf_counter(), time.process_time()
    for n, (feed_id, stories) in enumerate(batches):
        with store.write():
            ids, _ = store.save_stories_ids(feed_id, stories)
            if group:
                t = time.process_time()
                group_new_stories(store, ids, ahead[n] if ahead else None)
                inside += time.process_time() - t
    return time.perf_counter() - wall, time.process_time() - cpu, inside


def synthetic(feeds: int, per_feed: int, ahead: bool = False, dump: str | None = None) -> None:
    """Group refresh.py's synthetic feeds (grouping's worst case) into an empty database."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from refresh import T0, make_feed  # noqa: PLC0415

    from reader.parse import parse_feed  # noqa: PLC0415

    parsed = [parse_feed(make_feed(i, per_feed), f"http://127.0.0.1/feed{i}.xml").stories for i in range(feeds)]
    reading = [0.0]
    read = [read_ahead(stories, reading) for stories in parsed] if ahead else [None] * feeds
    keep_out_of_the_collector()
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "synthetic.db", clock=lambda: T0) as store:
        ids = [store.add_feed(f"http://127.0.0.1/feed{i}.xml", title=f"Feed {i}").id for i in range(feeds)]
        inside = 0.0
        wall = 0.0
        marks = [(0, 0.0)]  # (stories so far, CPU seconds inside group_new_stories so far)
        stored = 0
        for feed_id, stories, features in zip(ids, parsed, read):
            with store.write():
                new, _ = store.save_stories_ids(feed_id, stories)
                t, w = time.process_time(), time.perf_counter()
                group_new_stories(store, new, features)
                inside += time.process_time() - t
                wall += time.perf_counter() - w
            stored += len(new)
            if not marks or stored // 10_000 > marks[-1][0] // 10_000:
                marks.append((stored, inside))
        groups = store.conn.execute("SELECT count(*), max(stories), max(feeds) FROM story_groups").fetchone()
        multi = len(store.multi_source_groups(limit=10**9))
        if dump:
            Path(dump).write_text("\n".join(partition(store)) + "\n")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"synthetic (benchmarks/refresh.py's feeds): {stored} stories from {feeds} feeds x {per_feed},"
          f" grouped feed by feed into an empty database" + (", words read ahead" if ahead else ""))
    if ahead:
        print(f"  story_features (a refresh's parser processes): {reading[0]:.2f} s CPU"
              f" ({reading[0] / max(stored, 1) * 1e6:.0f} µs a story)")
    print(f"  inside group_new_stories: {inside:.2f} s CPU, {wall:.2f} s wall"
          f" ({inside / max(stored, 1) * 10_000:.2f} s CPU per 10,000 stories)")
    previous = (0, 0.0)
    for count, seconds in marks[1:]:
        print(f"    stories {previous[0]:>7}-{count:<7} {seconds - previous[1]:6.2f} s CPU")
        previous = (count, seconds)
    print(f"  {groups[0]} groups (largest: {groups[1]} stories from {groups[2]} feeds), {multi} of several"
          f" feeds; peak RSS {rss / 1024:.0f} MB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--synthetic", action="store_true",
                    help="refresh.py's near-identical feeds into an empty database (worst case)")
    ap.add_argument("--feeds", type=int, default=None, help="200 (1000 with --synthetic)")
    ap.add_argument("--per-feed", type=int, default=None, help="50 (100 with --synthetic)")
    ap.add_argument("--history", type=int, default=20000, help="older stories already grouped")
    ap.add_argument("--runs", type=int, default=3, help="the best of this many runs is reported")
    ap.add_argument("--read-ahead", action="store_true",
                    help="read each story's words before timing, as the refresh's parser processes do")
    ap.add_argument("--dump", metavar="FILE",
                    help="write the groups of several stories to FILE (story ids, one group a line), to"
                    " compare two versions of the code")
    args = ap.parse_args()
    if args.synthetic:
        synthetic(args.feeds or 1000, args.per_feed or 100, args.read_ahead, args.dump)
        return
    args.feeds = args.feeds or 200
    args.per_feed = args.per_feed or 50
    new = args.feeds * args.per_feed
    with tempfile.TemporaryDirectory() as tmp:
        history_db = Path(tmp) / "history.db"
        with Store(history_db, clock=lambda: NOW) as store:
            history = make_batches(store, Generator(1), args.history, 200, NOW - 12 * DAY, NOW - 2 * DAY, "h")
            t_hist, _, _ = store_batches(store, history, group=True)
            batches = make_batches(store, Generator(2), new, args.feeds, NOW - 2 * DAY, NOW, "n")
        ahead = [read_ahead(stories) for _, stories in batches] if args.read_ahead else None
        del store, history  # (and with it the history's grouping window, before the freeze)
        keep_out_of_the_collector()
        plain, grouped = [], []
        for run in range(args.runs):
            for results, group in ((plain, False), (grouped, True)):
                db = Path(tmp) / f"run{run}-{group}.db"
                shutil.copy(history_db, db)
                rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                with Store(db, clock=lambda: NOW) as store:  # a new connection: no window in memory
                    results.append(store_batches(store, batches, group, ahead))
                    multi = len(store.multi_source_groups())
                    if group and args.dump:
                        Path(args.dump).write_text("\n".join(partition(store)) + "\n")
                rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                db.unlink()
    best_plain = min(plain)
    best = min(grouped)
    print(f"history: {args.history} stories from 200 feeds over ten days, grouped in {t_hist:.1f} s")
    print(f"refresh of {new} new stories from {args.feeds} feeds over two days, stored feed by feed"
          f" (best of {args.runs}){', words read ahead' if ahead else ''}:")
    print(f"  without grouping   {best_plain[0]:6.2f} s wall, {best_plain[1]:6.2f} s CPU")
    print(f"  with grouping      {best[0]:6.2f} s wall, {best[1]:6.2f} s CPU")
    print(f"  grouping adds      {best[0] - best_plain[0]:6.2f} s wall, {best[1] - best_plain[1]:6.2f} s CPU"
          f" ({min(g[2] for g in grouped):.2f} s CPU inside group_new_stories)")
    print(f"  multi-source groups after: {multi}; peak RSS {rss_after / 1024:.0f} MB")


if __name__ == "__main__":
    main()
