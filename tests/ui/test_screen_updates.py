"""What the app writes to the terminal after each key adds up to what a full redraw shows."""

from __future__ import annotations

from rich.cells import cell_len
from rich.console import Console
from rich.segment import ControlType
from textual._compositor import ChopsUpdate, LayoutUpdate

from reader.ui.app import ChangedOnlyCompositor

SIZE = (120, 36)


def cells(strips) -> list[list[tuple[str, object]]]:
    """Each line as (character, style) per cell; a wide character's second cell is ""."""
    grid = []
    for strip in strips:
        line: list[tuple[str, object]] = []
        for segment in strip:
            if segment.control:
                continue
            for char in segment.text:
                line.append((char, segment.style))
                line.extend(("", segment.style) for _ in range(cell_len(char) - 1))
        grid.append(line)
    return grid


def apply(grid, update) -> None:
    """Draw an update onto ``grid`` as the terminal does: the segments Textual writes, cursor
    moves included."""
    if isinstance(update, LayoutUpdate):
        grid[:] = cells([[segment for strip in line for segment in strip] for line in update.strips])
        return
    assert isinstance(update, ChopsUpdate), type(update)
    console = Console(width=SIZE[0], height=SIZE[1])
    x = y = 0
    for segment in update.__rich_console__(console, console.options):
        if segment.control:
            for code in segment.control:
                if code[0] == ControlType.CURSOR_MOVE_TO:
                    x, y = code[1], code[2]
            continue
        if segment.text == "\n":
            continue
        for cell in cells([[segment]])[0]:
            grid[y][x] = cell
            x += 1


async def test_partial_updates_add_up_to_the_full_screen(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        compositor = app.screen._compositor
        assert isinstance(compositor, ChangedOnlyCompositor)
        grid = cells(compositor.render_strips())
        partial = []

        def display(screen, update) -> None:
            if update is not None:
                partial.append(isinstance(update, ChopsUpdate))
                apply(grid, update)

        app._display = display
        for keys in (["slash", *"harbour", "enter"], ["j"], ["j", "m"], ["escape"], ["slash", *"festival", "enter"],
                     ["escape"], ["n"], ["G"], ["b"], ["b"]):
            await pilot.press(*keys)
            await app.workers.wait_for_complete()
            await pilot.pause()
            await pilot.pause()
            assert grid == cells(compositor.render_strips()), f"after {keys}"
        assert partial.count(True) > 10, "partial updates were checked"
