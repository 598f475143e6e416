"""Small modal dialogs: add a feed, confirm, show a message, ask for a file, pick one of a few, the
first-run choice."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option


@dataclass(frozen=True)
class AddFeedRequest:
    url: str
    folder: str | None


class AddFeedScreen(ModalScreen[None]):
    """Ask for a feed URL (or a web page that links to one) and an optional folder.

    The dialog stays open while the feed is added (``submit`` starts that, in the background):
    ``added()`` closes it, ``failed(reason)`` says why in it, with what was typed still there to
    correct. Escape closes it at any time; a feed still being added is added all the same."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]

    def __init__(self, submit: Callable[[AddFeedRequest], None]) -> None:
        super().__init__()
        self._submit_request = submit
        self.waiting: AddFeedRequest | None = None  # being added

    def compose(self) -> ComposeResult:
        # It scrolls: a long reason for a failure must not push the buttons off a small screen.
        with VerticalScroll(classes="dialog", id="add-feed-dialog"):
            yield Static(Content.assemble(("Add a feed", "bold")), classes="dialog-title")
            yield Static(Content("The feed's URL, or a web page that links to its feed:"))
            yield Input(placeholder="https://example.com/", id="add-url")
            yield Static(Content("Folder (optional):"))
            yield Input(placeholder="", id="add-folder")
            yield Static(Content(""), id="add-status")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Add", variant="primary", id="add-ok")
                yield Button("Cancel", id="add-cancel")

    def on_mount(self) -> None:
        self.query_one("#add-status", Static).display = False
        self.query_one("#add-url", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "add-url":
            self.query_one("#add-folder", Input).focus()
        else:
            self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "add-ok":
            self._submit()
        else:
            self.dismiss(None)

    def _submit(self) -> None:
        if self.waiting is not None:
            return
        url = self.query_one("#add-url", Input).value.strip()
        if not url:
            self._say("Type a URL first.", error=True)
            self.query_one("#add-url", Input).focus()
            return
        folder = self.query_one("#add-folder", Input).value.strip() or None
        self.waiting = AddFeedRequest(url, folder)
        self.query_one("#add-ok", Button).disabled = True
        self._say("Adding it… (escape closes this window; the feed is still added)")
        self._submit_request(self.waiting)

    def added(self) -> None:
        self.dismiss(None)

    def failed(self, reason: str) -> None:
        """Adding failed: say why (``reason`` is plain text, made safe by the caller)."""
        self.waiting = None
        self.query_one("#add-ok", Button).disabled = False
        self._say(f"Could not add it: {reason}", error=True)
        self.query_one("#add-url", Input).focus()

    def _say(self, text: str, error: bool = False) -> None:
        status = self.query_one("#add-status", Static)
        status.update(Content(text))
        status.set_class(error, "-error")
        status.display = True

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question; y or enter on Yes confirms, n or escape declines."""

    BINDINGS = [
        Binding("escape,n", "answer(False)", "No", id="confirm.no"),
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
    ]

    def __init__(self, question: str, yes: str = "Yes") -> None:
        super().__init__()
        self.question = question
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="confirm-dialog"):
            yield Static(Content(self.question), id="confirm-question")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.yes, variant="error", id="confirm-yes")
                yield Button("Cancel", id="confirm-no")

    def on_mount(self) -> None:
        self.query_one("#confirm-no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm-yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class MessageScreen(ModalScreen[None]):
    """Shows a block of text (a feed's last error, say) until a key is pressed."""

    BINDINGS = [Binding("escape,enter,q,e", "dismiss", "Close", id="message.close")]

    def __init__(self, title: str, body: str) -> None:
        super().__init__()
        self.title_text = title
        self.body = body

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="message-dialog"):
            yield Static(Content.assemble((self.title_text, "bold")), classes="dialog-title")
            yield Static(Content(self.body), id="message-body")
            yield Static(Content("esc: close"), classes="dialog-hint")


class PathScreen(ModalScreen[str | None]):
    """Ask for a file path (an OPML file or a newsboat urls file)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="path.cancel")]

    def __init__(self, prompt: str, value: str = "", note: str = "") -> None:
        super().__init__()
        self.prompt = prompt
        self.value = value  # filled in: a file found for the user (newsboat's urls)
        self.note = note  # says why it is filled in

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="path-dialog"):
            yield Static(Content.assemble((self.prompt, "bold")), classes="dialog-title")
            yield Input(value=self.value, placeholder="~/subscriptions.opml", id="path-input")
            if self.note:
                yield Static(Content(self.note), classes="dialog-hint", id="path-note")
            yield Static(Content("enter: import · esc: cancel"), classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#path-input", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


FIRST_RUN_CHOICES = (
    ("add", "Add a feed (a URL or a web page)"),
    ("import", "Import subscriptions (OPML or a newsboat urls file)"),
    ("demo", "Load the demo feeds (no network needed)"),
    ("skip", "Start with nothing"),
)


class FirstRunScreen(ModalScreen[str]):
    """The database is empty: offer a way to get stories into it."""

    BINDINGS = [Binding("escape", "dismiss('skip')", "Skip", id="first_run.skip")]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="first-run-dialog"):
            yield Static(Content.assemble(("Welcome to Newsdesk", "bold")), classes="dialog-title")
            yield Static(Content("You have no feeds yet. What would you like to do?"))
            yield OptionList(*(Option(Content(label), id=key) for key, label in FIRST_RUN_CHOICES), id="first-run-choices")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id or "skip")


class ChoiceScreen(ModalScreen[str | None]):
    """Pick one of a few labelled values (which attachment to open); escape picks nothing."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="choice.cancel")]

    def __init__(self, title: str, choices: list[tuple[str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.choices = choices

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="choice-dialog"):
            yield Static(Content.assemble((self.title_text, "bold")), classes="dialog-title")
            yield OptionList(*(Option(Content(label)) for label, _ in self.choices), id="choice-list")
            yield Static(Content("enter: open · esc: cancel"), classes="dialog-hint")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self.choices[event.option_index][1])
