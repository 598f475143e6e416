"""Pictures of the app at fixed sizes, with a fixed clock and fixed data (pytest-textual-snapshot).

Update them after a deliberate change with ``pytest tests/ui/test_snapshots.py --snapshot-update``
and look at the report before committing.
"""

from __future__ import annotations

import pytest


async def _settle(pilot) -> None:
    await pilot.pause()
    await pilot.pause(0.1)


@pytest.mark.parametrize("size", [(120, 36), (100, 30), (200, 50)])
def test_main_view_reading_a_story(snap_compare, make_app, size):
    assert snap_compare(make_app(), terminal_size=size, press=["enter"], run_before=_settle)


def test_main_view_80x24_list(snap_compare, make_app):
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=_settle)


def test_main_view_80x24_reading(snap_compare, make_app):
    assert snap_compare(make_app(), terminal_size=(80, 24), press=["enter"], run_before=_settle)


def test_help_screen(snap_compare, make_app):
    assert snap_compare(make_app(), terminal_size=(120, 36), press=["question_mark"], run_before=_settle)


def test_help_screen_80x24(snap_compare, make_app):
    assert snap_compare(make_app(), terminal_size=(80, 24), press=["question_mark"], run_before=_settle)


def test_sidebar_on_a_failed_feed_and_its_error(snap_compare, make_app):
    # shift+tab to the sidebar, down to "A Blog" (marked failed), e shows why
    keys = ["shift+tab", "down", "down", "down", "e"]
    assert snap_compare(make_app(), terminal_size=(120, 36), press=keys, run_before=_settle)


def test_add_feed_dialog_80x24(snap_compare, make_app):
    assert snap_compare(make_app(), terminal_size=(80, 24), press=["a"], run_before=_settle)


def test_an_event_of_three_sources_opened_and_unfolded(snap_compare, make_app, event):
    # j to the event's line, enter opens it (summary based on 3 sources), l unfolds its stories
    assert snap_compare(make_app(), terminal_size=(120, 36), press=["j", "enter", "l"], run_before=_settle)


def test_an_event_unfolded_200x50(snap_compare, make_app, event):
    # at 200 columns the list has a feed column: "3 sources" on the event's line, feeds under it
    assert snap_compare(make_app(), terminal_size=(200, 50), press=["j", "l"], run_before=_settle)
