"""An event told by several feeds, in the story list: listed once with "N sources", unfolded with
l, folded with h, read as a whole; n/p, f, search and the feeds view around it. Every test drives
the real app on a real database and checks what it wrote through a second connection."""

from __future__ import annotations

import dataclasses

import pytest

from reader.models import StoryFilter
from reader.store import Store

from tests.ui.conftest import EVENT, sid

# Wide enough for the list to say "3 sources" in words (from 160 columns the list is 96 wide; from
# 120 to 159 four panes share the width and it counts them as "×3", as below 120).
SIZE = (160, 40)


def read_state(store: Store, uids) -> list[bool]:
    return [store.get_story(sid(store, uid)).read for uid in uids]


def line(app, index: int) -> str:
    """The text of list row ``index`` as drawn (the list must be scrolled to the top)."""
    return app.stories.render_line(index - app.stories.scroll_offset.y).text


def current_uid(app, store: Store) -> str:
    return store.get_story(app.stories.current_story_id).uid


async def test_an_event_is_listed_once_with_its_number_of_sources(make_app, check, event):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.stories.row_count == 6 and app.stories.story_count == 8
        assert [check.get_story(i).uid for i in app.stories.story_ids] == ["t0", "b0", "t1", "t3", "c1", "b1"]
        assert "▸ Notes on trams" in line(app, 1) and "3 sources" in line(app, 1)
        assert "sources" not in line(app, 0)
        # Counts stay per story: the header counts 8 unread stories, not 6 lines.
        assert "8 unread" in str(app.main.query_one("#view-header").render())


async def test_l_unfolds_the_event_and_h_folds_it(make_app, check, event):
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("j", "l")
        await pilot.pause()
        assert [check.get_story(i).uid for i in app.stories.story_ids][:5] == ["t0", "b0", "c0", "t2", "t1"]
        assert "▾ Notes on trams" in line(app, 1)
        # no feed column at this width: a source line names its feed; feed text stays literal
        assert "├ City [b]Paper[/b]: Tram li" in line(app, 2)
        assert "└ Tech Daily: Tech story 2" in line(app, 3)
        assert current_uid(app, check) == "b0"
        await pilot.press("j", "j")
        assert current_uid(app, check) == "t2"
        await pilot.press("h")  # folding from one of its stories goes back to the event's line
        await pilot.pause()
        assert app.stories.row_count == 6
        assert current_uid(app, check) == "b0"
        await pilot.press("right", "left")  # the arrow keys do the same
        assert app.stories.row_count == 6
        await pilot.press("k", "l")  # not an event: nothing unfolds
        assert app.stories.row_count == 6 and current_uid(app, check) == "t0"


async def test_opening_the_event_marks_all_its_stories_read(make_app, check, event):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j", "enter")
        await pilot.pause()
        assert read_state(check, EVENT) == [True, True, True]
        assert not check.get_story(sid(check, "t0")).read
        assert app.summary.feeds == 3
        assert "●" not in line(app, 1)
        await pilot.press("u")  # one undo brings the whole event back
        await pilot.pause()
        assert read_state(check, EVENT) == [False, False, False]
        assert "●" in line(app, 1)


async def test_with_mark_group_read_off_only_the_opened_story_is_read(make_app, check, event, settings):
    app = make_app(settings=dataclasses.replace(settings, mark_group_read=False))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j", "enter")
        await pilot.pause()
        assert read_state(check, EVENT) == [True, False, False]
        assert "●" in line(app, 1), "the event still has unread stories"


async def test_m_reads_a_folded_event_while_any_of_its_stories_is_unread(make_app, check, event):
    check.mark_read([sid(check, "b0")])  # the story standing for the event is read, the others not
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j")
        await pilot.pause()
        assert "●" in line(app, 1)
        await pilot.press("m")
        await pilot.pause()
        assert read_state(check, EVENT) == [True, True, True]
        assert "●" not in line(app, 1)
        await pilot.press("m")
        await pilot.pause()
        assert read_state(check, EVENT) == [False, False, False]


async def test_opening_an_event_whose_first_story_is_read_reads_the_rest(make_app, check, event):
    check.mark_read([sid(check, "b0")])
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j", "enter")
        await pilot.pause()
        assert read_state(check, EVENT) == [True, True, True]


async def test_n_and_p_stop_at_an_event_with_an_unread_story(make_app, check, event):
    check.mark_read([sid(check, u) for u in ("t0", "b0", "t1", "t3", "c1")])  # only c0, t2, b1 unread
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")  # t0 → the event (its own story is read; c0 and t2 are not)
        await pilot.pause()
        assert current_uid(app, check) == "b0"
        assert read_state(check, EVENT) == [True, True, True]
        await pilot.press("n")  # the event is read now: on to b1, past the folded c0 and t2
        await pilot.pause()
        assert current_uid(app, check) == "b1"
        check.mark_read([sid(check, "t2")], False)
        app.stories.invalidate([sid(check, "t2")])
        await pilot.press("p")  # back up to the event, whose t2 is unread again
        await pilot.pause()
        assert current_uid(app, check) == "b0"
        await pilot.press("p")
        assert current_uid(app, check) == "b0", "nothing unread above it"


async def test_n_inside_an_unfolded_event_goes_row_by_row(make_app, check, event):
    check.mark_read([sid(check, u) for u in ("t0", "b0", "c0")])
    app = make_app(settings=dataclasses.replace(make_app().settings, mark_group_read=False))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j", "l", "n")
        await pilot.pause()
        assert current_uid(app, check) == "t2"
        await pilot.press("n")
        await pilot.pause()
        assert current_uid(app, check) == "t1"


async def test_number_keys_read_each_source(make_app, check, event):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j", "enter")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        sources = [s.story_id for s in app.summary.sources]
        assert sorted(check.get_story(i).uid for i in sources) == sorted(EVENT)
        await pilot.press("2")
        await pilot.pause()
        assert app.reading.story.id == sources[1]
        await app.workers.wait_for_complete()
        await pilot.pause()
        shown = [str(line) for line in app.summary.query_one("#summary-body").lines(200)]
        assert [line[:2] for line in shown if line[:1].isdigit()] == ["1 ", "2▸", "3 "], shown
        assert app.stories.current_story_id == sources[1], "the event unfolds to show the source read"
        assert app.stories.row_count == 8
        await pilot.press("3")
        await pilot.pause()
        assert app.reading.story.id == sources[2]
        await pilot.press("9")  # no ninth source: a note, nothing else
        await pilot.pause()
        assert app.reading.story.id == sources[2]
        await app.run_command_action("open_source(1)")  # what the command palette runs
        await pilot.pause()
        assert app.reading.story.id == sources[0]


@pytest.mark.parametrize("by_ids", [True, False], ids=["few-results", "many-results"])
async def test_filter_search_and_feed_views_with_an_event(make_app, check, event, monkeypatch, by_ids):
    if not by_ids:  # a search with many results looks its events up by scope, not by id
        monkeypatch.setattr("reader.ui.widgets.story_list.SEARCH_BY_IDS", 0)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f")  # unread: still once
        await pilot.pause()
        assert app.view.state == "unread"
        assert app.stories.row_count == 6 and app.stories.story_count == 8
        await pilot.press("j", "m", "f", "f")  # read the event, back to all
        await pilot.pause()
        assert app.view.state == "all"
        await pilot.press("f")  # unread again: the event is gone, its three stories with it
        await pilot.pause()
        assert app.stories.story_count == 5 and app.stories.row_count == 5
        assert not any(sid(check, u) in app.stories.story_ids for u in EVENT)
        app.load_view(StoryFilter("all", query="tram"))  # every story's text has the word
        await pilot.pause()
        listed = [check.get_story(i).uid for i in app.stories.story_ids]
        assert len([u for u in listed if u in EVENT]) == 1, listed
        assert app.stories.story_count == 8 and len(listed) == 6
        app.load_view(StoryFilter("all", feed_id=check.get_story(sid(check, "c0")).feed_id))
        await pilot.pause()
        # One feed's view holds one story of the event: it is an ordinary line.
        assert [check.get_story(i).uid for i in app.stories.story_ids] == ["c0", "c1"]
        assert "sources" not in line(app, 0)


async def test_A_marks_folded_stories_read_too(make_app, check, event):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("A")
        await pilot.pause()
        assert check.count_stories(StoryFilter("unread")) == 0


async def test_the_demo_tram_vote_is_one_line_of_three_sources(tmp_path, clock, settings):
    from reader.demo import load_demo
    from reader.ui.app import NewsdeskApp

    path = tmp_path / "demo.db"
    with Store(path, clock=clock) as store:
        load_demo(store)
        total = store.count_stories()
    app = NewsdeskApp(path, clock=clock, settings=settings)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        heads = [i for i in range(app.stories.row_count) if app.stories.event_at(i)]
        assert heads, "the grouping found the tram vote"
        assert app.stories.story_count == total
        assert app.stories.row_count == total - sum(len(app.stories.event_at(i)[1]) - 1 for i in heads)


async def test_n_and_p_find_an_event_whose_unread_story_is_far_below_it(make_app, check, feeds):
    # t1 (1h old) and b1 (3 days old) are one event; only b1 and c1 (6h old) are unread. The
    # store's next unread story after t0 is c1, but the event's line (t1) comes before it.
    from tests.ui.conftest import group

    group(check, ("t1", "b1"))
    check.mark_read([sid(check, u) for u in ("t0", "b0", "c0", "t1", "t2", "t3")])
    app = make_app(settings=dataclasses.replace(make_app().settings, mark_group_read=False))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert [check.get_story(i).uid for i in app.stories.story_ids] == ["t0", "b0", "c0", "t1", "t2", "t3", "c1"]
        await pilot.press("n")
        await pilot.pause()
        assert current_uid(app, check) == "t1"
        await pilot.press("n")  # mark_group_read is off: the event stays unread (b1); c1 is next
        await pilot.pause()
        assert current_uid(app, check) == "c1"
        await pilot.press("p")  # nothing newer than c1 is unread, but the event above it is
        await pilot.pause()
        assert current_uid(app, check) == "t1"


async def test_A_in_one_feed_marks_the_other_feeds_versions_of_its_events(make_app, check, event, settings):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.go_to_feed(check.get_story(sid(check, "c0")).feed_id)  # City Paper: c0 and c1
        await pilot.pause()
        await pilot.press("A")
        await pilot.pause()
        assert read_state(check, EVENT) == [True, True, True]
        assert read_state(check, ("c1", "t0", "t1", "b1")) == [True, False, False, False]
        await pilot.press("u")  # one undo for the feed and the event's other stories
        await pilot.pause()
        assert read_state(check, EVENT + ("c1",)) == [False] * 4


async def test_A_with_mark_group_read_off_stays_in_its_view(make_app, check, event, settings):
    app = make_app(settings=dataclasses.replace(settings, mark_group_read=False))
    async with app.run_test(size=SIZE) as pilot:
        app.go_to_feed(check.get_story(sid(check, "c0")).feed_id)
        await pilot.pause()
        await pilot.press("A")
        await pilot.pause()
        assert read_state(check, EVENT) == [False, True, False]


async def test_a_refresh_that_adds_a_newer_story_to_the_event_being_read_keeps_the_cursor(
        make_app, check, event, clock):
    from reader.models import ParsedStory

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j", "enter")
        await pilot.pause()
        assert current_uid(app, check) == "b0"
        # What a refresh does: a fourth telling, newer than b0, joins the event.
        tech = check.get_story(sid(check, "t0")).feed_id
        check.save_stories(tech, [ParsedStory(uid="t9", title="Trams: the vote", url="https://tech.example/9",
                                              published=clock() - 300, text="The council voted.")])
        new = sid(check, "t9")
        story = check.get_story(new)
        check.save_grouping([], [(new, event, tech, story.published, None, "", "")],
                            grown=[(event, 1, 3, story.published, new, story.published)])
        app.stories.reload()  # as on_refresh_finished does
        await pilot.pause()
        assert current_uid(app, check) == "b0", "the cursor stays on the story being read"
        assert app.reading.story.uid == "b0"
        listed = [check.get_story(i).uid for i in app.stories.story_ids]
        assert listed[:6] == ["t0", "t9", "b0", "c0", "t2", "t1"], "its event unfolded under the new first line"
        await pilot.press("h")  # and folds back to one line, headed by the newest story
        await pilot.pause()
        assert current_uid(app, check) == "t9" and app.stories.row_count == 6


async def test_with_fold_events_off_every_feeds_version_has_its_own_line(make_app, check, event, settings):
    app = make_app(settings=dataclasses.replace(settings, fold_events=False))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.stories.row_count == app.stories.story_count == 8
        assert [check.get_story(i).uid for i in app.stories.story_ids] == ["t0", "b0", "c0", "t1", "t2", "t3", "c1", "b1"]
        assert not any("sources" in line(app, n) or "▸" in line(app, n) for n in range(8))
        await pilot.press("j", "l")  # nothing to unfold, and a note says why
        assert app.stories.row_count == 8
        assert any("fold_events = false" in n.message for n in app._notifications)
        await pilot.press("enter")  # still one event: its summary, and with mark_group_read all read
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.summary.feeds == 3
        assert read_state(check, EVENT) == [True, True, True]
        assert "●" not in line(app, 2), "the other feeds' versions show as read"


async def test_remapped_source_keys_are_the_ones_the_summary_names(make_app, check, event, settings):
    keys = {"open_source_1": "f1", "open_source_2": "f2", "open_source_3": "f3"}
    app = make_app(settings=dataclasses.replace(settings, keys=keys))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        shown = [str(line) for line in app.summary.query_one("#summary-body").lines(200)]
        assert any("Sources  (f1 f2 f3: read one)" in line for line in shown), shown
        assert "1–3" not in "\n".join(shown)
        marks = [line[:3] for line in shown if line[:1] == "f" and line[1:2].isdigit()]
        assert marks == ["f1 ", "f2 ", "f3▸"], shown  # the event's newest story is being read
        assert "    https://blog.example/0" in shown, "a source's link hangs under its title, past the key"
        sources = [s.story_id for s in app.summary.sources]
        await pilot.press("f1")
        await pilot.pause()
        assert app.reading.story.id == sources[0]
        await pilot.press("2")  # the old key no longer reads a source
        await pilot.pause()
        assert app.reading.story.id == sources[0]
        assert app.open_story_id == sources[0]


async def test_a_narrow_list_counts_an_events_sources_in_two_cells(make_app, event):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        shown = line(app, 1)
        assert "▸ Notes on trams" in shown
        assert "×3" in shown and "sources" not in shown, shown
    async with make_app().run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "3 sources" in line(pilot.app, 1), "with room to spare it says so in words"
    async with make_app().run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        shown = line(pilot.app, 1)
        assert "▸ Notes on trams" in shown and ("×3" in shown or "3 sources" in shown), shown
