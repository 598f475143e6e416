"""The sidebar's counts: adjusted in place on every marking, recounted in a worker after bulk changes."""

from __future__ import annotations

from textual.app import App, ComposeResult

from reader.models import Feed, StoryFilter
from reader.store import Store
from reader.ui.messages import CountsLoaded
from reader.ui.widgets.sidebar import Place, Sidebar, Totals
from tests.ui.test_app import SIZE, story_id

UNREAD = Place("state", state="unread")
SAVED = Place("state", state="saved")
ALL = Place("state", state="all")


def shown_counts(app) -> dict[str, int]:
    """What the sidebar shows for every row, by place key."""
    return {place.key: app.sidebar.count(place) for place in app.sidebar.places}


def true_counts(check: Store) -> dict[str, int]:
    """The same numbers from a fresh connection: what a full recount would show."""
    feeds = check.list_feeds()
    counts = {f"feed:{f.id}": f.unread for f in feeds}
    for folder in {f.folder for f in feeds if f.folder}:
        counts[f"folder:{folder}"] = sum(f.unread for f in feeds if f.folder == folder)
    counts["state:all"] = check.count_stories(StoryFilter("all"))
    counts["state:unread"] = check.unread_count(StoryFilter())
    counts["state:saved"] = check.count_stories(StoryFilter("saved"))
    return counts


async def settle(app, pilot) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def test_marking_adjusts_the_counts_without_a_recount(make_app, check, feeds, monkeypatch):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.stories.current_story_id == story_id(check, "t0")
        before = shown_counts(app)
        recounts: list[str] = []
        monkeypatch.setattr(app.store, "list_feeds", lambda: recounts.append("list_feeds") or [])
        monkeypatch.setattr(app, "refresh_counts", lambda: recounts.append("refresh_counts"))
        await pilot.press("m")  # t0 (Tech Daily, in News) becomes read
        after = shown_counts(app)
        assert after[f"feed:{feeds['tech']}"] == before[f"feed:{feeds['tech']}"] - 1
        assert after["folder:News"] == before["folder:News"] - 1
        assert after["state:unread"] == before["state:unread"] - 1
        assert after["state:all"] == before["state:all"]
        assert f"{after['state:unread']} unread" in str(app.main.query_one("#view-header").render())
        await pilot.press("s")
        assert shown_counts(app)["state:saved"] == before["state:saved"] + 1
        assert recounts == [], "a key press never recounts every feed"


async def test_counts_always_agree_with_the_database(make_app, check, feeds):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert shown_counts(app) == true_counts(check)
        for keys in (["m"], ["j", "m"], ["s"], ["n"], ["u"], ["A"], ["u"], ["right_square_bracket", "A"],
                     ["u"], ["f", "m"], ["u"], ["enter"]):
            await pilot.press(*keys)
            await settle(app, pilot)
            assert shown_counts(app) == true_counts(check), f"after {keys}"


async def test_a_recount_that_marking_overtook_is_dropped_and_asked_again(make_app, check, feeds):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.refresh_counts()
        asked = app._count_epoch
        await pilot.press("m")  # a marking after the recount was asked for
        wrong = [Feed(id=f.id, url=f.url, title=f.title, folder=f.folder, unread=99, total=99)
                 for f in check.list_feeds()]
        app.post_message(CountsLoaded(wrong, Totals(999, 999, 999), asked))
        await settle(app, pilot)
        assert shown_counts(app) == true_counts(check), "the stale numbers never showed for good"
        assert app.sidebar.count(UNREAD) != 999


class SidebarApp(App):
    def __init__(self, feeds, totals) -> None:
        super().__init__()
        self.feeds, self.totals = feeds, totals

    def compose(self) -> ComposeResult:
        yield Sidebar(id="sidebar")

    def on_mount(self) -> None:
        self.query_one(Sidebar).apply(self.feeds, self.totals)


def many_feeds(n: int) -> list[Feed]:
    return [Feed(id=i, url=f"https://f{i}.example/", title=f"Feed {i:04d}", folder=f"Folder {(i - 1) // 100}",
                 unread=5, total=10) for i in range(1, n + 1)]


async def test_a_thousand_feeds_repaint_only_the_lines_that_changed(monkeypatch):
    feeds = many_feeds(1000)
    app = SidebarApp(feeds, Totals(10_000, 5_000, 0))
    async with app.run_test(size=(40, 30)) as pilot:
        sidebar = app.query_one(Sidebar)
        await pilot.pause()
        assert len(sidebar.places) == 3 + 10 + 1000
        repainted: list[int] = []
        real = sidebar.refresh_line
        monkeypatch.setattr(sidebar, "refresh_line", lambda y: repainted.append(y) or real(y))
        sidebar.adjust({150: -1})
        rows = {sidebar.places[y].key for y in repainted}
        assert rows == {"feed:150", "folder:Folder 1", "state:unread"}
        assert sidebar.count(Place("feed", feed_id=150)) == 4
        assert sidebar.count(Place("folder", folder="Folder 1")) == 499
        assert sidebar.count(UNREAD) == 4_999
        repainted.clear()
        sidebar.apply(feeds[:149] + [Feed(id=150, url="https://f150.example/", title="Feed 0150",
                                          folder="Folder 1", unread=4, total=10)] + feeds[150:],
                      Totals(10_000, 4_999, 0))
        assert repainted == [], "a recount that agrees with the screen repaints nothing"


async def test_rows_fit_the_width_and_show_feed_text_as_typed():
    feeds = [Feed(id=1, url="https://a.example/", title="A [b]very[/b] long feed name indeed", unread=12),
             Feed(id=2, url="https://b.example/", title="B", folder="News", unread=0, last_error="HTTP 500")]
    app = SidebarApp(feeds, Totals(20, 12, 1))
    async with app.run_test(size=(22, 10)) as pilot:
        sidebar = app.query_one(Sidebar)
        await pilot.pause()
        lines = [sidebar.render_line(y).text for y in range(sidebar.size.height)]
        width = sidebar.scrollable_content_region.width
        assert all(len(line) == width for line in lines)
        assert lines[0].startswith(" All") and lines[0].rstrip().endswith("20")
        assert lines[3].startswith(" A [b]very[/b]") and "…" in lines[3] and lines[3].rstrip().endswith("12")
        assert lines[4].startswith(" News")
        assert lines[5].startswith("   ! B")
        sidebar.highlighted = None
        assert sidebar.highlighted_place is None
        sidebar.action_cursor_down()
        assert sidebar.highlighted_place == ALL
