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
"""

from __future__ import annotations

import argparse
import itertools
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reader.cluster import group_new_stories  # noqa: E402
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


def store_batches(store: Store, batches, group: bool) -> tuple[float, float, float]:
    """Store (and group) feed by feed, one transaction each, as refresh.store_result does; returns
    (wall seconds, CPU seconds, CPU seconds inside group_new_stories)."""
    inside = 0.0
    wall, cpu = time.perf_counter(), time.process_time()
    for feed_id, stories in batches:
        with store.write():
            ids, _ = store.save_stories_ids(feed_id, stories)
            if group:
                t = time.process_time()
                group_new_stories(store, ids)
                inside += time.process_time() - t
    return time.perf_counter() - wall, time.process_time() - cpu, inside


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--feeds", type=int, default=200)
    ap.add_argument("--per-feed", type=int, default=50)
    ap.add_argument("--history", type=int, default=20000, help="older stories already grouped")
    ap.add_argument("--runs", type=int, default=3, help="the best of this many runs is reported")
    args = ap.parse_args()
    new = args.feeds * args.per_feed
    with tempfile.TemporaryDirectory() as tmp:
        history_db = Path(tmp) / "history.db"
        with Store(history_db, clock=lambda: NOW) as store:
            history = make_batches(store, Generator(1), args.history, 200, NOW - 12 * DAY, NOW - 2 * DAY, "h")
            t_hist, _, _ = store_batches(store, history, group=True)
            batches = make_batches(store, Generator(2), new, args.feeds, NOW - 2 * DAY, NOW, "n")
        plain, grouped = [], []
        for run in range(args.runs):
            for results, group in ((plain, False), (grouped, True)):
                db = Path(tmp) / f"run{run}-{group}.db"
                shutil.copy(history_db, db)
                rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                with Store(db, clock=lambda: NOW) as store:  # a new connection: no window in memory
                    results.append(store_batches(store, batches, group))
                    multi = len(store.multi_source_groups())
                rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                db.unlink()
    best_plain = min(plain)
    best = min(grouped)
    print(f"history: {args.history} stories from 200 feeds over ten days, grouped in {t_hist:.1f} s")
    print(f"refresh of {new} new stories from {args.feeds} feeds over two days, stored feed by feed"
          f" (best of {args.runs}):")
    print(f"  without grouping   {best_plain[0]:6.2f} s wall, {best_plain[1]:6.2f} s CPU")
    print(f"  with grouping      {best[0]:6.2f} s wall, {best[1]:6.2f} s CPU")
    print(f"  grouping adds      {best[0] - best_plain[0]:6.2f} s wall, {best[1] - best_plain[1]:6.2f} s CPU"
          f" ({min(g[2] for g in grouped):.2f} s CPU inside group_new_stories)")
    print(f"  multi-source groups after: {multi}; peak RSS {rss_after / 1024:.0f} MB")


if __name__ == "__main__":
    main()
