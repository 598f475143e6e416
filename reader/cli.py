"""The `newsdesk` command: the app when run bare, and subcommands for scripts and cron.

A CLI command and a key in the app call the same core functions. Output meant for scripts stays
plain (tab-separated, no colour, no progress bar) when stdout is not a terminal.
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import sys
import tempfile
import time
import unicodedata
from pathlib import Path
from typing import Callable, Sequence, TextIO

from reader import __version__, paths
from reader.models import Feed, FeedRefresh, StoryFilter, StoryRow
from reader.store import Store, StoreError
from reader.text import clean_text, one_line, safe_url


class CliError(Exception):
    """One clear line for the user, and a non-zero exit status."""


def format_time(ts: int | None, plain: bool) -> str:
    if not ts:
        return "never" if not plain else ""
    if plain:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts))


def format_age(seconds: float) -> str:
    seconds = max(0, int(seconds))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return "just now"


class Output:
    """Where and how to print: aligned for people on a terminal, tab-separated for scripts."""

    def __init__(self, out: TextIO, err: TextIO):
        self.out = out
        self.err = err
        self.tty = out.isatty()

    @property
    def width(self) -> int:
        return shutil.get_terminal_size((100, 24)).columns

    def line(self, text: str = "") -> None:
        print(text, file=self.out)

    def row(self, *cells: str) -> None:
        if self.tty:
            self.line("  ".join(cells))
        else:
            self.line("\t".join(c.replace("\t", " ") for c in cells))

    def story(self, row: StoryRow) -> None:
        flags = ("N" if not row.read else "-") + ("S" if row.saved else "-")
        title = one_line(row.title)
        source = one_line(row.feed_title)
        when = format_time(row.published, plain=not self.tty)
        if self.tty:
            head = f"{row.id:>7}  {when}  {flags}  {_pad(source, 18)}  "
            self.line(head + _fit(title, max(10, self.width - _cells(head))))
        else:
            self.row(str(row.id), when, flags, source, title)


def _cell_width(char: str) -> int:
    if unicodedata.category(char) in ("Mn", "Me", "Cf"):  # combining marks, zero-width joiners
        return 0
    return 2 if unicodedata.east_asian_width(char) in "WF" else 1


def _cells(text: str) -> int:
    """The terminal columns ``text`` takes: a CJK character or an emoji takes two."""
    return len(text) if text.isascii() else sum(map(_cell_width, text))


def _fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` columns, with "…" where it was cut."""
    if _cells(text) <= width:
        return text
    used = 0
    for i, char in enumerate(text):
        used += _cell_width(char)
        if used > width - 1:
            return text[:i] + "…"
    return text


def _pad(text: str, width: int) -> str:
    """``text`` cut or padded with spaces to exactly ``width`` columns (a wide character cut
    at the edge leaves one column short, filled)."""
    text = _fit(text, width)
    return text + " " * (width - _cells(text))


def _find_feed(store: Store, ref: str) -> Feed:
    """A feed by id, URL or title, or by the name `feeds` and `refresh` print for an untitled one
    ("example.com/news/rss.xml"), so what the user sees can be typed back."""
    try:
        return store.find_feed(ref)
    except StoreError:
        named = [f for f in store.list_feeds() if not f.title and f.display_title == ref.strip()]
        if len(named) == 1:
            return named[0]
        raise


# -- commands --------------------------------------------------------------------------------


def cmd_add(args, store: Store, out: Output) -> int:
    from reader.refresh import AddFeedError, add_feed_from_url

    try:
        feed, result = add_feed_from_url(store.path, args.url, folder=args.folder, title=args.title,
                                         clock=store.clock)
    except AddFeedError as exc:
        raise CliError(str(exc)) from None
    out.line(f"Added {one_line(feed.display_title)} <{safe_url(feed.url)}>:"
             f" {result.new} {'story' if result.new == 1 else 'stories'}")
    if result.warning:
        out.line(f"warning: {one_line(result.warning)}")
    return 0


def cmd_remove(args, store: Store, out: Output) -> int:
    for ref in args.feeds:
        feed = _find_feed(store, ref)
        count = store.count_stories(StoryFilter(feed_id=feed.id))
        store.remove_feed(feed.id)
        out.line(f"Removed {one_line(feed.display_title)} <{safe_url(feed.url)}> and its {_stories(count)}")
    return 0


def cmd_feeds(args, store: Store, out: Output) -> int:
    feeds = store.list_feeds()
    if not feeds:
        out.line("No feeds yet. Add one with: newsdesk add URL")
        return 0
    now = store.now()
    for f in feeds:
        status = "disabled" if f.disabled else ("error" if f.last_error else "ok")
        error = one_line(f.last_error or "")
        if out.tty:
            fetched = format_age(now - f.last_fetched) if f.last_fetched else "never"
            title = _pad(one_line(f.display_title), 32)
            folder = f"[{one_line(f.folder)}] " if f.folder else ""
            line = f"{f.id:>5}  {title}  {f.unread:>5}/{f.total:<5}  {fetched:>10}  {folder}{status}"
            if error:
                line += f": {error}"
            out.line(line)
        else:
            out.row(str(f.id), one_line(f.display_title), str(f.unread), str(f.total),
                    format_time(f.last_fetched, plain=True), safe_url(f.url), one_line(f.folder or ""),
                    status, error)
    return 0


class ProgressBar:
    def __init__(self, stream: TextIO, total: int):
        self.stream = stream
        self.total = total

    def __call__(self, done: int, total: int, result: FeedRefresh) -> None:
        width = 30
        filled = int(width * done / max(1, total))
        bar = "█" * filled + "░" * (width - filled)
        self.stream.write(f"\rRefreshing {bar} {done}/{total}")
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\r\x1b[K")
        self.stream.flush()


def cmd_refresh(args, store: Store, out: Output) -> int:
    from reader.refresh import refresh

    ids = [_find_feed(store, ref).id for ref in args.feeds] if args.feeds else None
    bar = None
    if out.err.isatty():
        count = len(ids) if ids is not None else len(store.list_feeds())
        bar = ProgressBar(out.err, count) if count else None
    try:
        summary = refresh(store.path, ids, on_progress=bar, clock=store.clock)
    finally:
        if bar:
            bar.close()
    if not summary.feeds and ids is None:
        out.line("No feeds yet. Add one with: newsdesk add URL, or import yours with: newsdesk import FILE")
        return 0
    fetched = [r for r in summary.feeds if not r.skipped]
    skipped = len(summary.feeds) - len(fetched)
    failed = summary.failed
    line = (f"Refreshed {len(fetched)} feed{'s' if len(fetched) != 1 else ''} in {summary.elapsed:.1f} s:"
            f" {summary.new} new, {summary.updated} updated, {len(failed)} failed")
    if skipped:
        line += f", {skipped} not due"
    out.line(line)
    feeds = {f.id: f for f in store.list_feeds()} if failed else {}
    for r in failed:
        feed = feeds.get(r.feed_id)
        name = one_line(feed.display_title) if feed else safe_url(r.url)
        print(f"  {name}: {one_line(r.error or '')}", file=out.err)
    if args.articles:
        # after the refresh, so reading ahead never slows the feeds down
        _read_ahead(store, out, feed_id=ids)
    return 1 if failed else 0


# -- full articles ---------------------------------------------------------------------------


class ArticleProgressBar(ProgressBar):
    def __call__(self, done: int, total: int, result) -> None:
        width = 30
        filled = int(width * done / max(1, total))
        bar = "█" * filled + "░" * (width - filled)
        self.stream.write(f"\rFetching articles {bar} {done}/{total}")
        self.stream.flush()


def _read_ahead(store: Store, out: Output, **options) -> None:
    from reader.extract import fetch_articles

    bar = ArticleProgressBar(out.err, 0) if out.err.isatty() else None
    try:
        summary = fetch_articles(store.path, on_progress=bar, clock=store.clock, **options)
    finally:
        if bar:
            bar.close()
    count = len(summary.results)
    line = (f"Fetched {count} article{'s' if count != 1 else ''} in {summary.elapsed:.1f} s:"
            f" {summary.extracted} from their pages, {summary.from_feed} whole in the feed,"
            f" {len(summary.failed)} with the feed's text only")
    if summary.pruned:
        line += f"; {summary.pruned} old ones removed"
    out.line(line)
    shown = 10
    for r in summary.failed[:shown]:
        story = store.get_story(r.story_id)
        name = one_line(story.title) if story else str(r.story_id)
        print(f"  {r.story_id} {name}: {one_line(r.error or '')}", file=out.err)
    if len(summary.failed) > shown:
        print(f"  … and {len(summary.failed) - shown} more", file=out.err)


def cmd_fetch_articles(args, store: Store, out: Output) -> int:
    from reader import extract

    cap = {"max_age_days": args.max_age, "max_bytes": int(args.max_size * 1024 * 1024)}
    if args.prune:
        removed = extract.prune_articles(store.path, clock=store.clock, **cap)
        count, size = store.article_totals()
        out.line(f"Removed {removed} article{'s' if removed != 1 else ''};"
                 f" {count} kept ({size / (1024 * 1024):.1f} MB)")
        return 0
    feed_id = _find_feed(store, args.feed).id if args.feed else None
    _read_ahead(store, out, feed_id=feed_id, limit=args.limit, **cap)
    return 0


def cmd_import(args, store: Store, out: Output) -> int:
    from reader.opml import read_subscriptions

    path = Path(args.file)
    try:
        # "-" is standard input, as for export: `ssh old-box cat .newsboat/urls | newsdesk import -`
        data = sys.stdin.buffer.read() if args.file == "-" else path.read_bytes()
    except FileNotFoundError:
        raise CliError(f"no such file: {path}") from None
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}") from None
    try:
        result = read_subscriptions(data, "standard input" if args.file == "-" else path.name)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    added = existing = 0
    with store.write():
        for sub in result.subscriptions:
            if store.feed_by_url(sub.url):
                existing += 1
                continue
            store.add_feed(sub.url, title=sub.title, folder=sub.folder, site_url=sub.site_url)
            added += 1
    out.line(f"Imported {added} feed{'s' if added != 1 else ''}"
             + (f" ({existing} already subscribed)" if existing else "")
             + (". Fetch their stories with: newsdesk refresh" if added else "."))
    for line in result.skipped:
        print(f"  skipped: {one_line(line)}", file=out.err)
    return 0


def cmd_export(args, store: Store, out: Output) -> int:
    from reader.opml import write_opml

    feeds = store.list_feeds()
    text = write_opml(feeds)
    if args.file and args.file != "-":
        try:
            Path(args.file).write_text(text, encoding="utf-8")
        except OSError as exc:  # say which file: "No such file or directory" alone names none
            raise CliError(f"cannot write {args.file}: {exc.strerror or exc}") from None
        print(f"Exported {len(feeds)} feed{'s' if len(feeds) != 1 else ''} to {args.file}", file=out.err)
    else:
        out.out.write(text)
    return 0


def _filter(args, store: Store) -> StoryFilter:
    state = "unread" if getattr(args, "unread", False) else "saved" if getattr(args, "saved", False) else "all"
    feed_id = _find_feed(store, args.feed).id if getattr(args, "feed", None) else None
    return StoryFilter(state=state, feed_id=feed_id)


def cmd_stories(args, store: Store, out: Output) -> int:
    flt = _filter(args, store)
    shown = _grouped_stories(args, store, out) if args.grouped else 0
    if not args.grouped:
        for row in store.list_stories(flt, limit=args.limit):
            out.story(row)
            shown += 1
    if not shown and out.tty:  # on a terminal, an empty answer says so; a script gets none
        which = "" if flt.state == "all" else f"{flt.state} "
        out.line(f"No {which}stories" + (" in this feed" if flt.feed_id is not None else ""))
    return 0


def _grouped_stories(args, store: Store, out: Output) -> int:
    """The list with each event told by several feeds once, at its newest story, "[N sources]";
    returns how many lines it printed."""
    import dataclasses

    from reader.store import SQL_CHUNK

    ids = store.story_ids(_filter(args, store))
    shown: set[int] = set()
    printed = 0
    for start in range(0, len(ids), SQL_CHUNK):
        chunk = ids[start : start + SQL_CHUNK]
        groups = store.groups_of(chunk)
        for row in store.story_rows(chunk):
            group = groups.get(row.id)
            if group is not None:
                if group.id in shown:
                    continue
                shown.add(group.id)
                if group.feeds > 1:
                    row = dataclasses.replace(row, title=f"{row.title} [{group.feeds} sources]")
            out.story(row)
            printed += 1
            if args.limit is not None and printed >= args.limit:
                return printed
    return printed


def cmd_search(args, store: Store, out: Output) -> int:
    query = " ".join(args.query)
    flt = _filter(args, store)
    rows = store.list_stories(StoryFilter(flt.state, flt.feed_id, query=query), limit=args.limit)
    if not rows and out.tty:
        out.line(f"No stories match {one_line(query)!r}")
    for row in rows:
        out.story(row)
    return 0


def _story_or_fail(store: Store, story_id: int):
    story = store.get_story(story_id)
    if story is None:
        raise CliError(f"no such story: {story_id}")
    return story


def cmd_show(args, store: Store, out: Output) -> int:
    story = _story_or_fail(store, args.id)
    out.line(one_line(story.title))
    out.line(f"Source: {one_line(story.feed_title)}")
    if story.author:
        out.line(f"Author: {one_line(story.author)}")
    out.line(f"Date:   {format_time(story.published, plain=False)}")
    if story.url:
        out.line(f"Link:   {safe_url(story.url)}")
    flags = [w for w, on in (("unread", not story.read), ("saved", story.saved)) if on]
    if flags:
        out.line(f"State:  {', '.join(flags)}")
    for enc in story.enclosures:
        size = f", {enc.length:,} bytes" if enc.length else ""
        out.line(f"Attachment: {safe_url(enc.url)} ({one_line(enc.type) or 'unknown type'}{size})")
    out.line()
    out.line(clean_text(story.text).strip() or "(this story has no text in its feed)")
    return 0


def cmd_groups(args, store: Store, out: Output) -> int:
    groups = store.multi_source_groups(limit=args.limit)
    if not groups and out.tty:
        out.line("No story is told by more than one feed yet.")
    for g in groups:
        count = f"{g.feeds} sources" if out.tty else str(g.feeds)
        out.row(count, ",".join(map(str, g.story_ids)), one_line(g.title))
    return 0


def cmd_summary(args, store: Store, out: Output) -> int:
    from reader.cluster import story_summary

    summary = story_summary(store, args.id)
    if summary is None:
        raise CliError(f"no such story: {args.id}")
    out.line(one_line(summary.title))
    out.line(f"Summary based on {summary.feeds} source{'s' if summary.feeds != 1 else ''}")
    out.line()
    mark = "•" if out.tty else "-"
    for bullet in summary.bullets:
        out.line(f"  {mark} {one_line(bullet)}")
    if not summary.bullets:
        out.line("  (no text to summarise)")
    out.line()
    out.line("Sources:")
    for s in summary.sources:
        when = format_time(s.published, plain=not out.tty)
        out.line(f"  {one_line(s.feed_title)}: {one_line(s.title)} ({when}, story {s.story_id})")
    return 0


def _stories(count: int) -> str:
    return f"{count} stor{'y' if count == 1 else 'ies'}"


def _ids_state(change: Callable[[list[int]], list[int]], verb: str, state: str = ""):
    def run(args, store: Store, out: Output) -> int:
        ids = list(dict.fromkeys(args.ids))
        known = set(store.existing_story_ids(ids))
        missing = [i for i in ids if i not in known]
        changed = change(store, [i for i in ids if i in known])
        out.line(f"{verb} {_stories(len(changed))}{' ' + state if state else ''}")
        if missing:
            raise CliError("no such story: " + ", ".join(map(str, missing)))
        return 0

    return run


def cmd_mark_read(args, store: Store, out: Output) -> int:
    if args.all or args.feed:
        if args.ids:
            raise CliError("give story ids or --all/--feed, not both")
        flt = StoryFilter(feed_id=_find_feed(store, args.feed).id) if args.feed else StoryFilter()
        changed = store.mark_all_read(flt)
        out.line(f"Marked {_stories(len(changed))} read")
        return 0
    if not args.ids:
        raise CliError("give story ids, --all or --feed FEED")
    return _ids_state(lambda s, ids: s.mark_read(ids, True), "Marked", "read")(args, store, out)


def cmd_config(args, store: Store | None, out: Output) -> int:
    from reader import config

    if args.default:
        out.out.write(config.default_config_text())
    else:
        out.line(str(paths.config_file()))
    return 0


def cmd_app(args, db_path: Path) -> int:
    from reader import config

    settings, problems = config.load_settings()
    if args.demo:
        # A throw-away database: made fresh for this run and removed when the app closes.
        with tempfile.TemporaryDirectory(prefix="newsdesk-demo-") as tmp:
            demo_db = Path(tmp) / "demo.db"
            from reader.demo import load_demo

            with Store(demo_db) as store:
                load_demo(store)
            return _run_app(demo_db, True, settings, problems)
    Store(db_path).close()  # fail early, with one line, on a database that is not ours
    return _run_app(db_path, False, settings, problems)


def _run_app(db_path: Path, demo: bool, settings, problems) -> int:
    from reader.ui.app import run_app

    return run_app(db_path, demo=demo, settings=settings, problems=problems)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="newsdesk",
        description="A keyboard-driven news reader for the terminal. Run without a command to open the app.",
    )
    p.add_argument("--db", metavar="PATH", help="database file (default: $NEWSDESK_DB or "
                   "$XDG_DATA_HOME/newsdesk/newsdesk.db)")
    p.add_argument("--demo", action="store_true",
                   help="open the app (or run the command) on a throw-away database of demo feeds")
    p.add_argument("--version", action="version", version=f"newsdesk {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, help: str, more: str = "") -> argparse.ArgumentParser:
        # argparse shows `help` only in the list of commands; `newsdesk NAME --help` needs it too
        return sub.add_parser(name, help=help, description=f"{help[0].upper()}{help[1:]}. {more}".strip())

    story_ref = "a story id: the first column of stories and search"

    s = command("add", help="subscribe to a feed, or to the feed a web page links to")
    s.add_argument("url", help="the feed's address, or a web page that links to its feed")
    s.add_argument("--folder", help="put the feed in this folder (Parent/Child for one inside another)")
    s.add_argument("--title", help="call the feed this instead of its own title")
    s.set_defaults(func=cmd_add)

    s = command("remove", help="unsubscribe from feeds (by id, URL or title) and delete their stories")
    s.add_argument("feeds", nargs="+", metavar="FEED", help="a feed's id, URL or title, as feeds lists it")
    s.set_defaults(func=cmd_remove)

    s = command("feeds", help="list feeds: id, title, unread/total, last refresh, last error")
    s.set_defaults(func=cmd_feeds)

    s = command("refresh", help="fetch new stories (all feeds, or the ones named)",
                more="Prints a summary line; each feed that failed gets a line on stderr and the exit"
                " status is 1, so cron can tell.")
    s.add_argument("feeds", nargs="*", metavar="FEED",
                   help="only this feed (id, URL or title, as feeds lists it); every feed when none is named")
    s.add_argument("--articles", action="store_true",
                   help="then fetch the full article of each new unread story, for reading offline")
    s.set_defaults(func=cmd_refresh)

    from reader.extract import ARTICLE_CACHE_MAX_BYTES, ARTICLE_MAX_AGE_DAYS, READ_AHEAD_LIMIT

    s = command("fetch-articles", help="fetch and keep the full articles of unread stories,"
                       " for reading offline; old ones are removed")
    s.add_argument("--feed", metavar="FEED", help="only this feed's stories (id, URL or title)")
    s.add_argument("--limit", type=_positive, default=READ_AHEAD_LIMIT, metavar="N",
                   help=f"at most N stories, newest first (default {READ_AHEAD_LIMIT})")
    s.add_argument("--prune", action="store_true", help="only remove old articles, fetch nothing")
    s.add_argument("--max-age", type=_positive, default=ARTICLE_MAX_AGE_DAYS, metavar="DAYS",
                   help=f"keep articles this many days (default {ARTICLE_MAX_AGE_DAYS}); saved stories' always")
    s.add_argument("--max-size", type=_positive, default=ARTICLE_CACHE_MAX_BYTES // (1024 * 1024),
                   metavar="MB", help="keep at most this many megabytes of articles (default"
                   f" {ARTICLE_CACHE_MAX_BYTES // (1024 * 1024)}); saved stories' always")
    s.set_defaults(func=cmd_fetch_articles)

    s = command("import", help="subscribe to the feeds in an OPML file or a newsboat urls file",
                more="The format is detected. OPML folders and a newsboat feed's first tag become folders,"
                " newsboat's \"~Title\" its title. Feeds already subscribed to are left as they are;"
                " entries that are no feed address (newsboat's query:, exec: and filter: lines among"
                " them) are named on stderr and left out. Nothing is fetched: run newsdesk refresh next.")
    s.add_argument("file", help="the OPML file or newsboat urls file (e.g. ~/.newsboat/urls); - reads"
                   " standard input")
    s.set_defaults(func=cmd_import)

    s = command("export", help="write subscriptions as OPML (to stdout unless FILE is given)")
    s.add_argument("file", nargs="?", help="where to write the OPML (default, or -: standard output)")
    s.set_defaults(func=cmd_export)

    def story_filters(sp: argparse.ArgumentParser) -> None:
        g = sp.add_mutually_exclusive_group()
        g.add_argument("--unread", action="store_true", help="only unread stories")
        g.add_argument("--saved", action="store_true", help="only saved stories")
        sp.add_argument("--feed", metavar="FEED", help="only this feed (id, URL or title)")
        sp.add_argument("--limit", type=_positive, metavar="N", help="at most N stories")

    s = command("stories", help="list stories, newest first, one a line starting with its id")
    story_filters(s)
    s.add_argument("--grouped", action="store_true",
                   help="a story told by several feeds once, marked [N sources]")
    s.set_defaults(func=cmd_stories)

    s = command("groups", help="stories told by several feeds: sources, story ids, title")
    s.add_argument("--limit", type=_positive, metavar="N", help="at most N, most recent first")
    s.set_defaults(func=cmd_groups)

    s = command("summary", help="summary bullets of a story, or of the event it belongs to")
    s.add_argument("id", type=_story_id, help=story_ref)
    s.set_defaults(func=cmd_summary)

    s = command("search", help="full-text search over titles and text, best match first",
                more="A story matches when it holds every word of the query; the last word also"
                " matches words it begins (tram finds tramway). \"Two words\" in quotes must"
                " match side by side; -word or -\"two words\" leaves out the stories that have"
                " them (quote a query that starts with -: newsdesk search 'tram -bus'). Other"
                " punctuation is ignored, and AND, OR and NOT are words to find.")
    s.add_argument("query", nargs="+", help="the words to find")
    story_filters(s)
    s.set_defaults(func=cmd_search)

    s = command("show", help="print a story: title, source, date, link and text")
    s.add_argument("id", type=_story_id, help=story_ref)
    s.set_defaults(func=cmd_show)

    s = command("mark-read", help="mark stories read (ids, --all, or --feed FEED)")
    s.add_argument("ids", nargs="*", type=_story_id, metavar="ID", help=story_ref)
    s.add_argument("--all", action="store_true", help="every story")
    s.add_argument("--feed", metavar="FEED", help="every story of this feed")
    s.set_defaults(func=cmd_mark_read)

    for name, helptext, change, verb, state in (
        ("mark-unread", "mark stories unread", lambda st, ids: st.mark_read(ids, False), "Marked", "unread"),
        ("save", "save stories", lambda st, ids: st.mark_saved(ids, True), "Saved", ""),
        ("unsave", "unsave stories", lambda st, ids: st.mark_saved(ids, False), "Unsaved", ""),
    ):
        s = command(name, help=helptext)
        s.add_argument("ids", nargs="+", type=_story_id, metavar="ID", help=story_ref)
        s.set_defaults(func=_ids_state(change, verb, state))

    s = command("config", help="where the config file is, or the documented defaults")
    g = s.add_mutually_exclusive_group()
    g.add_argument("--path", action="store_true", help="print the config file's path (the default)")
    g.add_argument("--default", action="store_true", help="print the default config, with comments")
    s.set_defaults(func=cmd_config, no_store=True)
    return p


def _story_id(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"not a story id: {text!r} (ids are numbers; see newsdesk stories)")
    return int(text)


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"not a positive number: {text!r}")
    return int(text)


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    args = build_parser().parse_args(argv)
    db_path = paths.database_path(args.db)
    output = Output(out, err)
    try:
        if args.command is None:
            return cmd_app(args, db_path)
        if getattr(args, "no_store", False):
            return args.func(args, None, output)
        if args.demo:  # the command runs on a throw-away database of the demo feeds, never on yours
            with tempfile.TemporaryDirectory(prefix="newsdesk-demo-") as tmp:
                from reader.demo import load_demo

                with Store(Path(tmp) / "demo.db") as store:
                    load_demo(store)
                    return args.func(args, store, output)
        with Store(db_path) as store:
            return args.func(args, store, output)
    except (CliError, StoreError) as exc:
        print(f"newsdesk: {one_line(str(exc))}", file=err)  # it may quote a server or a feed
        return 1
    except KeyboardInterrupt:
        print("newsdesk: interrupted", file=err)
        return 130
    except BrokenPipeError:
        # `newsdesk stories | head`: the reader went away; that is not an error.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:
        print(f"newsdesk: {exc.strerror or exc}", file=err)
        return 1
    finally:
        if argv is None:  # the `newsdesk` command, and the process ends next (not a test, not a caller)
            # Freed at exit anyway: without one last walk over every object, exiting takes 25 ms
            # instead of 150 ms after a refresh.
            gc.freeze()
