"""What listing each event once costs the story list: ``StoryList.load`` with and without folding.

A database of FEEDS x PER_FEED stories (100,000 by default) gets EVENTS events of SOURCES stories
each, from different feeds and close in time, written with ``Store.save_grouping`` as a refresh's
grouping would. The real app runs headless (Textual's ``run_test``) and the story list loads the
"all" and "unread" views again and again, folding events (the default) and not; the median and
the worst time of each are printed, in milliseconds.

    .venv/bin/python benchmarks/story_list_events.py
    .venv/bin/python benchmarks/story_list_events.py --events 3000 --sources 3
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reader.config import Settings  # noqa: E402
from reader.models import ParsedStory, StoryFilter  # noqa: E402
from reader.store import Store  # noqa: E402

T0 = 1_790_000_000


def build(path: Path, feeds: int, per_feed: int, events: int, sources: int) -> None:
    with Store(path) as store:
        added = [store.add_feed(f"https://f{i}.example/rss", title=f"Feed {i}") for i in range(feeds)]
        for i, feed in enumerate(added):
            store.save_stories(feed.id, [
                ParsedStory(uid=f"{i}-{j}", title=f"Story {i} {j}", url=f"https://f{i}.example/{j}",
                            published=T0 - (j * feeds + i) * 60, text="x")
                for j in range(per_feed)
            ])
        rows = store.story_rows(store.story_ids())  # newest first: neighbours are from other feeds
        group_id = store.next_group_id()
        new, members = [], []
        step = max(sources, len(rows) // max(1, events))
        for e in range(events):
            told = sorted(rows[e * step : e * step + sources], key=lambda r: (r.published, r.id))
            if len(told) < 2:
                break
            new.append((group_id, told[0].id, len(told), len({r.feed_id for r in told}),
                        told[0].published, told[-1].published))
            members += [(r.id, group_id, r.feed_id, r.published, None, "", "") for r in told]
            group_id += 1
        store.save_grouping(new, members, [])


async def measure(path: Path, rounds: int) -> None:
    from reader.ui.app import NewsdeskApp

    app = NewsdeskApp(path, settings=Settings(auto_refresh_minutes=0))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        stories = app.stories
        for fold in (True, False):
            stories.collapse_events = fold
            for state in ("all", "unread"):
                times = []
                for _ in range(rounds):
                    stories.load(StoryFilter("saved"))  # a different filter each time: a real load
                    started = time.perf_counter()
                    stories.load(StoryFilter(state))
                    times.append((time.perf_counter() - started) * 1000)
                print(f"{'folded' if fold else 'unfolded':8} {state:6}  rows {stories.row_count:7,}"
                      f"  median {statistics.median(times):6.1f} ms  worst {max(times):6.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--per-feed", type=int, default=100)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--sources", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="newsdesk-events-") as tmp:
        path = Path(tmp) / "events.db"
        build(path, args.feeds, args.per_feed, args.events, args.sources)
        print(f"{args.feeds * args.per_feed:,} stories, {args.events:,} events of {args.sources} sources")
        asyncio.run(measure(path, args.rounds))


if __name__ == "__main__":
    main()
