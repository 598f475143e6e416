"""Regenerate screenshots/*.svg (and .png when rsvg-convert is installed) from the demo data.

Run with ``make screenshots``. The clock, the data, the time zone and the terminal sizes are fixed,
so the pictures change only when what a person sees changes.
"""

from __future__ import annotations

import asyncio
import html
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Awaitable, Callable

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "screenshots"
NOW = 1_772_366_400  # 2026-03-01 12:00 UTC, the test suite's T0

sys.path.insert(0, str(ROOT))
os.environ["TZ"] = "UTC"
time.tzset()

from reader.config import Settings  # noqa: E402
from reader.demo import load_demo  # noqa: E402
from reader.store import Store  # noqa: E402
from reader.ui.app import NewsdeskApp  # noqa: E402

Steps = Callable[[NewsdeskApp, object], Awaitable[None]]


def clock() -> float:
    return float(NOW)


async def settle(app: NewsdeskApp, pilot) -> None:
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause(0.2)
    app.clear_notifications()
    await pilot.pause()


async def open_first(app, pilot) -> None:
    await pilot.press("enter")


async def open_full_article(app, pilot) -> None:
    """Open the first story that has a link, and wait for its full article."""
    await pilot.press("enter")
    await app.workers.wait_for_complete()


async def open_multi_source(app, pilot) -> None:
    """Open the story the demo tells from three feeds (the one with the most sources)."""
    best, best_n = None, 0
    for story_id in list(app.stories.story_ids):
        story = app.store.get_story(story_id)
        n = len(app.story_sources(story)) if story else 0
        if n > best_n:
            best, best_n = story_id, n
    if best is not None:
        app.stories.move_to(best)
    await pilot.press("enter")


async def unfold_multi_source(app, pilot) -> None:
    """Open the demo's event told by three feeds, then unfold its stories in the list."""
    await open_multi_source(app, pilot)
    await pilot.press("l")


async def show_help(app, pilot) -> None:
    await pilot.press("question_mark")


async def search(app, pilot) -> None:
    words = app.store.get_story(app.stories.current_story_id).title.split()
    word = max(words, key=len) if words else "the"
    await pilot.press("slash", *word.strip(".,:;!?\"'"), "enter")


async def nothing(app, pilot) -> None:
    return None


SHOTS: list[tuple[str, tuple[int, int], Steps]] = [
    ("main", (120, 36), open_first),
    ("article", (120, 36), open_full_article),
    ("multi-source-summary", (120, 36), open_multi_source),
    ("multi-source-unfolded-200x50", (200, 50), unfold_multi_source),
    ("help", (120, 36), show_help),
    ("search", (120, 36), search),
    ("list-80x24", (80, 24), nothing),
    ("reading-80x24", (80, 24), open_first),
    ("reading-100x30", (100, 30), open_first),
    ("main-200x50", (200, 50), open_first),
]


async def shoot(name: str, size: tuple[int, int], steps: Steps, work: Path) -> Path:
    db = work / f"{name}.db"
    with Store(db, clock=clock) as store:
        load_demo(store, now=NOW)
        try:  # group the demo's one event told by three feeds, as a refresh would
            from reader.cluster import group_pending

            group_pending(store)
        except (ImportError, AttributeError):
            pass
    app = NewsdeskApp(db, clock=clock, demo=True, settings=Settings(auto_refresh_minutes=0))
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await steps(app, pilot)
        await settle(app, pilot)
        path = Path(app.save_screenshot(filename=f"{name}.svg", path=str(OUT)))
    path.write_text(keep_leading_spaces(path.read_text(encoding="utf-8")), encoding="utf-8")
    return path


_TEXT = re.compile(r'(<text [^>]*?x=")([\d.]+)("[^>]*?textLength=")([\d.]+)("[^>]*>)((?:&#160;)+)([^<]+)')


def keep_leading_spaces(svg: str) -> str:
    """Move the spaces that start a run of text into its x position.

    SVG renderers (rsvg-convert among them) drop or squeeze spaces at the start of a <text>, so a
    hanging indent or the gap after a mark would vanish from the PNG though the terminal shows it.
    Rich gives every character of a run the same advance (textLength / characters), so the shift
    is exact.
    """

    def shift(m: re.Match) -> str:
        spaces = m.group(6).count("&#160;")
        rest = m.group(7)
        length = float(m.group(4))
        advance = length / (spaces + len(html.unescape(rest)))
        x = float(m.group(2)) + spaces * advance
        return f"{m.group(1)}{x:g}{m.group(3)}{length - spaces * advance:g}{m.group(5)}{rest}"

    return _TEXT.sub(shift, svg)


async def main() -> int:
    OUT.mkdir(exist_ok=True)
    rsvg = shutil.which("rsvg-convert")
    with tempfile.TemporaryDirectory(prefix="newsdesk-shots-") as tmp:
        for name, size, steps in SHOTS:
            svg = await shoot(name, size, steps, Path(tmp))
            line = f"{svg.relative_to(ROOT)}"
            if rsvg:
                png = svg.with_suffix(".png")
                subprocess.run([rsvg, str(svg), "-o", str(png)], check=True)
                line += f" + {png.name}"
            print(line)
    if not rsvg:
        print("rsvg-convert not found: SVG only (apt-get install librsvg2-bin for PNG copies)")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
