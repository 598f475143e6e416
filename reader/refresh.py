"""The refresh pipeline: which feeds are due → fetch → parse (worker processes) → decide → store.

Fetching is asynchronous (one HTTP client, bounded concurrency); parsing runs in a process pool so
both cores parse while the network waits, and there each story is also read for grouping (its
words, names, keys: ``cluster.story_features``); the store is written from one thread of its own,
many feeds to a transaction, so the event loop never waits for the database.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import queue
import re
import threading
import time
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable
from urllib.parse import urlsplit

from reader.fetch import Fetcher, FetchLimits, without_credentials
from reader.models import (
    Clock,
    Feed,
    FeedRefresh,
    FetchResult,
    ParsedFeed,
    RefreshSummary,
    system_clock,
)
from reader.store import FeedExists, Store

Progress = Callable[[int, int, FeedRefresh], None]

# Below this many feeds, starting worker processes costs more than it saves.
POOL_THRESHOLD = 8
DEMO_HOST_SUFFIX = ".invalid"
# One fetch keeps at most this many stories, the newest: a document listing 20,000 items (an
# archive, or a generator gone wrong) must not bury every other feed or stall the refresh.
MAX_STORIES_PER_FETCH = 5_000
PARSER_CRASHED = "could not read the feed: the parser process died on it (out of memory, or a crash)"
# A write transaction takes what has queued up, up to this many stories: the app's own writes
# (marking read) wait for it, so it must stay short.
BATCH_STORIES = 2_000
# Feeds fetched (or being fetched) but not yet stored, at most: when storing falls behind, fetching
# waits instead of piling parsed stories up in memory.
MAX_AHEAD = 128
# Adding a web page: the feeds it advertises that are tried, in its order, until one can be read.
DISCOVERED_TRIED = 5


class AddFeedError(Exception):
    """Adding a feed failed; the message says why in words a person understands."""

    def __init__(self, message: str):
        super().__init__(without_credentials(message))  # it names the URL the user typed


def _is_offline_url(url: str) -> bool:
    # .invalid never resolves (RFC 2606): the built-in demo feeds live there and are never fetched.
    host = urlsplit(url).hostname or ""
    return host.endswith(DEMO_HOST_SUFFIX)


def decide(feed: Feed, fetched: FetchResult, parsed: ParsedFeed | None, now: int) -> tuple[dict, str | None]:
    """What to write on the feed after a fetch (and parse): (feed fields, error or None)."""
    fields: dict = {"last_fetched": now, "last_status": fetched.status}
    error = fetched.error
    if fetched.gone:
        error = "the feed is gone (HTTP 410 Gone); it has been disabled"
        fields["disabled"] = 1
    elif fetched.retry_after is not None:
        fields["fetch_not_before"] = fetched.retry_after
    if error is None and parsed is not None and parsed.error:
        error = parsed.error
    if error is not None:
        fields["last_error"] = error
        fields["consecutive_errors"] = feed.consecutive_errors + 1
        return fields, error
    fields.update(last_error=None, consecutive_errors=0, fetch_not_before=None)
    # A 304 may omit validators; keep the ones we sent.
    fields["etag"] = fetched.etag or (feed.etag if fetched.not_modified else None)
    fields["last_modified"] = fetched.last_modified or (
        feed.last_modified if fetched.not_modified else None
    )
    if parsed is not None:
        fields["warning"] = parsed.warning
        if parsed.title and not feed.title:
            fields["title"] = parsed.title
        if parsed.site_url:
            fields["site_url"] = parsed.site_url
    return fields, None


def _capped(parsed: ParsedFeed | None) -> ParsedFeed | None:
    """At most MAX_STORIES_PER_FETCH stories, the newest, in the feed's order, and a warning."""
    if parsed is None or len(parsed.stories) <= MAX_STORIES_PER_FETCH:
        return parsed
    stories = parsed.stories
    # newest first; undated stories after dated ones, in the feed's order (the sort is stable)
    newest = sorted(
        range(len(stories)),
        key=lambda i: (stories[i].published is not None, stories[i].published or 0),
        reverse=True,
    )[:MAX_STORIES_PER_FETCH]
    warning = f"the feed lists {len(stories):,} stories; only the newest {MAX_STORIES_PER_FETCH:,} were kept"
    return replace(
        parsed,
        stories=tuple(stories[i] for i in sorted(newest)),
        warning="; ".join(w for w in (parsed.warning, warning) if w),
    )


def parse_feed(
    body: bytes, url: str, content_type: str | None = None, charset: str | None = None
) -> ParsedFeed:
    """``reader.parse.parse_feed``, imported on first use: a refresh where every feed answers 304
    never loads the parser, and a worker process loads it when it gets its first feed."""
    from reader.parse import parse_feed as parse

    return parse(body, url, content_type, charset)


@dataclass(frozen=True, slots=True)
class ReadFeed(ParsedFeed):
    """A parsed feed with what grouping reads in each of its stories (``cluster.story_features``),
    in the stories' order: worked out in the parser process, so the process that stores the stories
    only has to group them."""

    features: tuple = ()


def parse_and_read(
    body: bytes,
    url: str,
    content_type: str | None = None,
    charset: str | None = None,
    parse: Callable[..., ParsedFeed] | None = None,
) -> ParsedFeed:
    """``parse`` (``parse_feed``), then what grouping reads in each story: what a parser process runs."""
    parsed = (parse or parse_feed)(body, url, content_type, charset)
    if parsed.error or not parsed.stories:
        return parsed
    from reader.cluster import story_features

    features = tuple(story_features(s.url, s.title, s.text) for s in parsed.stories)
    return ReadFeed(**_as_dict(parsed), features=features)


def store_result(store: Store, feed: Feed, fetched: FetchResult, parsed: ParsedFeed | None) -> FeedRefresh:
    """Write one feed's fetch (and parse) result in one transaction (or in the one already open)."""
    features = None
    if isinstance(parsed, ReadFeed) and parsed.features:
        from reader.cluster import features_key

        features = {features_key(s.url, s.title, s.text): f for s, f in zip(parsed.stories, parsed.features)}
    parsed = _capped(parsed)
    fields, error = decide(feed, fetched, parsed, store.now())
    new = updated = 0
    with store.write():
        if fetched.permanent_redirect and fetched.permanent_redirect != feed.url:
            store.change_feed_url(feed.id, fetched.permanent_redirect)
        store.update_feed(feed.id, **fields)
        if error is None and parsed is not None and parsed.stories:
            from reader.cluster import group_new_stories

            new_ids, updated = store.save_stories_ids(feed.id, parsed.stories)
            new = len(new_ids)
            # In the same transaction: a story is never seen stored but not yet grouped.
            group_new_stories(store, new_ids, features)
    return FeedRefresh(
        feed_id=feed.id,
        url=feed.url,
        new=new,
        updated=updated,
        not_modified=fetched.not_modified,
        error=error,
        warning=parsed.warning if parsed is not None else None,
    )


def _bug_message(exc: BaseException) -> str:
    return f"Newsdesk failed on this feed, which is a bug ({type(exc).__name__}: {exc})"[:300]


def _store_failure(store: Store, feed: Feed, exc: Exception) -> FeedRefresh:
    """Record an unexpected exception as the feed's error, so that it is seen and reported."""
    error = _bug_message(exc)
    try:
        store.update_feed(
            feed.id,
            last_fetched=store.now(),
            last_error=error,
            consecutive_errors=feed.consecutive_errors + 1,
        )
    except Exception:  # the database itself failing; the summary still says so
        pass
    return FeedRefresh(feed_id=feed.id, url=feed.url, error=error)


def _pool_context():
    # fork is cheapest, but forking a process that runs other threads (the app) can deadlock the child.
    if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    if os.name != "posix":
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    # The server starts once per process and forks every later worker with the parser already
    # loaded: the app's second refresh has its workers parsing in 20-40 ms instead of 0.3-0.6 s.
    context.set_forkserver_preload(["reader.refresh", "reader.parse", "reader.fastparse", "reader.cluster"])
    return context


@dataclass
class _Parser:
    """Runs parse_and_read in worker processes when there are enough feeds, else parse_feed in a
    thread (reading the stories for grouping there would gain nothing: grouping reads them).

    A worker that dies (killed for its memory, a crash in C code) breaks the whole pool: each feed
    it held is parsed again alone in a new process, so only the feed at fault fails, and the feeds
    after it get a new pool.
    """

    executor: Executor | None
    workers: int = 1
    made: list[Executor] = field(default_factory=list)

    async def parse(self, fetched: FetchResult) -> ParsedFeed:
        args = (fetched.body or b"", fetched.final_url or fetched.url, fetched.content_type, fetched.charset)
        loop = asyncio.get_running_loop()
        executor = self.executor
        if executor is None:
            return await loop.run_in_executor(None, parse_feed, *args)
        # The parser as this process has it: a worker from the fork server has its own copy of it.
        args += (parse_feed,)
        try:
            return await loop.run_in_executor(executor, parse_and_read, *args)
        except BrokenProcessPool:
            pass
        if self.executor is executor:
            self.executor = self._pool(self.workers)
        try:
            return await loop.run_in_executor(self._pool(1), parse_and_read, *args)
        except BrokenProcessPool:
            return ParsedFeed(error=PARSER_CRASHED)

    def _pool(self, workers: int) -> Executor:
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=_pool_context())
        self.made.append(pool)
        return pool

    def close(self) -> None:
        for pool in self.made:
            pool.shutdown(wait=True, cancel_futures=True)


class _Writer:
    """Writes results from a thread of its own, several feeds to a transaction.

    The event loop only hands a result over and goes on fetching; SQLite lets other threads run
    while it works. A transaction takes whatever has queued up while the last one was written (at
    most BATCH_STORIES stories), and each feed in it is a savepoint, so a bug costs one feed. The
    new stories go into the search index in the same transaction.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="newsdesk-store", daemon=True)
        self._thread.start()

    def write(
        self,
        feed: Feed,
        fetched: FetchResult | None,
        parsed: ParsedFeed | None,
        bug: Exception | None = None,
    ) -> asyncio.Future:
        """Queue one feed's result (or the bug that stopped it); the future gets its FeedRefresh
        once it is committed."""
        future = asyncio.get_running_loop().create_future()
        self._queue.put((feed, fetched, parsed, bug, future))
        return future

    def close(self) -> None:
        """Write what is queued, then stop the thread."""
        self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        failed: str | None = None  # once writing itself broke, every later feed is answered so
        stop = False
        while not stop:
            item = self._queue.get()
            if item is None:
                return
            batch = [item]
            stories = _story_count(item[2])
            while stories < BATCH_STORIES:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                batch.append(item)
                stories += _story_count(item[2])
            if failed is None:
                try:
                    results = self._write(batch)
                except BaseException as exc:  # no feed may wait forever for a thread that broke
                    failed = _bug_message(exc)
            if failed is not None:
                results = [FeedRefresh(feed_id=f.id, url=f.url, error=failed) for f, *_ in batch]
            for (*_, future), result in zip(batch, results):
                _resolve(future, result)

    def _write(self, batch: list[tuple]) -> list[FeedRefresh]:
        store = self.store
        try:
            with store.write():
                results = []
                for feed, fetched, parsed, bug, _ in batch:
                    try:
                        with store.savepoint():
                            results.append(self._write_one(feed, fetched, parsed, bug))
                    except Exception as exc:  # a bug must cost one feed, not the whole refresh
                        results.append(_store_failure(store, feed, exc))
                # Searchable as soon as stored, and no long indexing pass after the last feed.
                store.index_pending()
                return results
        except Exception:  # the transaction itself failed (a lock held too long): feed by feed
            return [
                self._write_one(feed, fetched, parsed, bug, catch=True)
                for feed, fetched, parsed, bug, _ in batch
            ]

    def _write_one(
        self,
        feed: Feed,
        fetched: FetchResult | None,
        parsed: ParsedFeed | None,
        bug: Exception | None,
        catch: bool = False,
    ) -> FeedRefresh:
        if bug is None and fetched is not None:
            try:
                return store_result(self.store, feed, fetched, parsed)
            except Exception as exc:
                if not catch:
                    raise
                bug = exc
        return _store_failure(self.store, feed, bug or RuntimeError("nothing was fetched"))


def _story_count(parsed: ParsedFeed | None) -> int:
    return 1 + (len(parsed.stories) if parsed is not None else 0)


def _resolve(future: asyncio.Future, result: FeedRefresh) -> None:
    def resolve() -> None:
        if not future.done():  # cancelled meanwhile
            future.set_result(result)

    try:
        future.get_loop().call_soon_threadsafe(resolve)
    except RuntimeError:  # the loop has closed (the refresh was interrupted); the write stands
        pass


async def refresh_async(
    store: Store,
    feeds: list[Feed],
    *,
    on_progress: Progress | None = None,
    limits: FetchLimits | None = None,
    executor: Executor | None = None,
) -> list[FeedRefresh]:
    parser = _Parser(executor, getattr(executor, "_max_workers", 1))
    total = len(feeds)
    results: list[FeedRefresh] = []
    writer = _Writer(store)
    ahead = asyncio.Semaphore(MAX_AHEAD)  # fetched (or being fetched) and not yet stored
    finished: asyncio.Queue[FeedRefresh | BaseException] = asyncio.Queue()
    parsing: set[asyncio.Task] = set()

    def stored(future: asyncio.Future) -> None:
        ahead.release()
        if not future.cancelled():
            finished.put_nowait(future.result())

    async def parse_and_store(feed: Feed, fetched: FetchResult) -> None:
        try:
            parsed = await parser.parse(fetched)
        except Exception as exc:  # a bug must cost one feed, not the whole refresh
            writer.write(feed, None, None, exc).add_done_callback(stored)
        else:
            writer.write(feed, fetched, parsed).add_done_callback(stored)

    def fetched(i: int, result: FetchResult | Exception) -> None:
        # Called by the fetcher as each answer arrives; it goes on to its next fetch at once.
        feed = feeds[i]
        if isinstance(result, Exception):
            writer.write(feed, None, None, result).add_done_callback(stored)
        elif result.error is None and not result.not_modified:
            task = asyncio.ensure_future(parse_and_store(feed, result))
            parsing.add(task)
            task.add_done_callback(parsing.discard)
        else:  # nothing to parse: a 304 or an error
            writer.write(feed, result, None).add_done_callback(stored)

    def fetching_ended(task: asyncio.Task) -> None:
        if not task.cancelled() and task.exception() is not None:
            finished.put_nowait(task.exception())  # a bug in fetching: stop waiting for results

    async with Fetcher(limits or FetchLimits(), clock=store.clock) as fetcher:
        fetching = asyncio.ensure_future(
            fetcher.fetch_each([(f.url, f.etag, f.last_modified) for f in feeds], fetched, ahead.acquire)
        )
        fetching.add_done_callback(fetching_ended)
        try:
            while len(results) < total:
                result = await finished.get()
                if isinstance(result, BaseException):
                    raise result
                results.append(result)
                if on_progress is not None:
                    on_progress(len(results), total, result)
        finally:
            for task in (fetching, *parsing):
                task.cancel()
            await asyncio.gather(fetching, *parsing, return_exceptions=True)
            writer.close()
            parser.close()
    # Stories stored before grouping existed get grouped too, a bounded batch each refresh.
    if store.has_ungrouped():  # (before the import: a refresh of 304s never loads grouping)
        from reader.cluster import PENDING_BATCH, group_pending

        group_pending(store, limit=PENDING_BATCH)
    return results


def refresh(
    db_path: str | os.PathLike[str],
    feed_ids: Iterable[int] | None = None,
    *,
    on_progress: Progress | None = None,
    clock: Clock = system_clock,
    limits: FetchLimits | None = None,
    workers: int | None = None,
) -> RefreshSummary:
    """Refresh the due feeds (all, or those given) and return what happened to each.

    Synchronous: runs its own event loop and opens its own connection, so the CLI and app
    workers (threads) can both call it.
    """
    started = time.perf_counter()
    with Store(Path(db_path), clock=clock) as store:
        ids = list(feed_ids) if feed_ids is not None else None
        due = store.due_feeds(ids)
        skipped = []
        if ids is not None:
            due_ids = {f.id for f in due}
            skipped = [FeedRefresh(i, "", skipped=True) for i in ids if i not in due_ids]
        fetchable = [f for f in due if not _is_offline_url(f.url)]
        executor = None
        if len(fetchable) >= POOL_THRESHOLD:
            n = workers or os.cpu_count() or 1
            executor = ProcessPoolExecutor(max_workers=n, mp_context=_pool_context())
            # Fork the workers now, before the event loop's threads exist; don't wait for them.
            # They import the parser with their first feed: a refresh of 304s never needs it.
            for i in range(n):
                executor.submit(_started, i)
        try:
            results = asyncio.run(
                refresh_async(store, fetchable, on_progress=on_progress, limits=limits, executor=executor)
            )
        finally:
            if executor is not None:
                executor.shutdown(wait=True, cancel_futures=True)
            store.index_pending()
    return RefreshSummary(feeds=tuple(results) + tuple(skipped), elapsed=time.perf_counter() - started)


def _started(_: int) -> None:
    pass


def normalise_url(text: str) -> str:
    """A URL a person typed, made absolute; AddFeedError when it cannot be a web address."""
    text = text.strip()
    if not text:
        raise AddFeedError("no URL given")
    scheme = re.match(r"([a-zA-Z][a-zA-Z0-9+.-]*):(?!\d)", text)
    if scheme is None:
        text = "https://" + text  # "example.org/feed" or "localhost:8080/feed"
    elif scheme.group(1).lower() not in ("http", "https"):
        raise AddFeedError(f"not a web address: {text} (only http and https feeds are supported)")
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        raise AddFeedError(f"not a valid URL: {text}") from None
    if not parts.hostname or any(c.isspace() for c in text):
        raise AddFeedError(f"not a valid URL: {text}")
    return text


async def _find_feed(url: str, fetcher: Fetcher) -> tuple[str, FetchResult, ParsedFeed]:
    """Fetch what the user gave; when it is a web page, follow the feeds it advertises, in the
    page's order, and take the first that can be read (at most DISCOVERED_TRIED of them)."""
    from reader.discover import find_feed_links, looks_like_html

    fetched = await fetcher.fetch(url)
    if fetched.error:
        raise AddFeedError(f"could not fetch {url}: {fetched.error}")
    body = fetched.body or b""
    if not looks_like_html(body, fetched.content_type):
        feed_url, parsed = await _parse_fetched(fetched)
        if parsed.error:
            raise AddFeedError(f"{feed_url}: {parsed.error}")
        return feed_url, fetched, parsed
    links = find_feed_links(body, fetched.final_url or url, charset=fetched.charset)
    if not links:
        raise AddFeedError(f"no feed found: {url} is a web page that does not link to a feed")
    failures = []
    # The first is the site's main feed by convention; a dead or broken one (a plugin's leftover
    # link) must not hide the good one after it.
    for link in links[:DISCOVERED_TRIED]:
        fetched = await fetcher.fetch(link.url)
        if fetched.error:
            failures.append((link.url, fetched.error))
            continue
        feed_url, parsed = await _parse_fetched(fetched)
        if parsed.error:
            failures.append((link.url, parsed.error))
            continue
        return feed_url, fetched, parsed
    if len(failures) == 1:
        raise AddFeedError(f"the page links to {failures[0][0]}, which could not be read: {failures[0][1]}")
    tried = "; ".join(f"{feed_url} ({why})" for feed_url, why in failures)
    of_them = f" (of {len(links)})" if len(links) > len(failures) else ""
    raise AddFeedError(f"none of the {len(failures)} feeds the page links to{of_them} could be read: {tried}")


async def _parse_fetched(fetched: FetchResult) -> tuple[str, ParsedFeed]:
    feed_url = fetched.permanent_redirect or fetched.url
    parsed = await asyncio.to_thread(
        parse_feed, fetched.body or b"", fetched.final_url or feed_url, fetched.content_type, fetched.charset
    )
    return feed_url, parsed


def add_feed_from_url(
    db_path: str | os.PathLike[str],
    url: str,
    folder: str | None = None,
    *,
    title: str | None = None,
    clock: Clock = system_clock,
    limits: FetchLimits | None = None,
) -> tuple[Feed, FeedRefresh]:
    """Subscribe to a feed URL or to the feed a web page advertises, and store its stories now.
    A folder and title are stored as an import stores them (" /Tech// News/ " is "Tech/News", a
    blank one is none), whether the CLI or the app's add dialog gives them."""
    from reader.opml import normalise_folder, normalise_title

    url = normalise_url(url)
    folder, title = normalise_folder(folder), normalise_title(title)
    with Store(Path(db_path), clock=clock) as store:
        if store.feed_by_url(url):
            raise AddFeedError(f"already subscribed: {url}")

        async def run() -> tuple[str, FetchResult, ParsedFeed]:
            async with Fetcher(limits or FetchLimits(), clock=clock) as fetcher:
                return await _find_feed(url, fetcher)

        feed_url, fetched, parsed = asyncio.run(run())
        try:
            feed = store.add_feed(feed_url, title=title, folder=folder)
        except FeedExists as exc:
            raise AddFeedError(f"already subscribed: {exc.feed.url}") from None
        # The feed was just fetched; store it as it is rather than asking the server twice.
        fetched = FetchResult(**{**_as_dict(fetched), "permanent_redirect": None})
        result = store_result(store, feed, fetched, parsed)
        store.index_pending()
        feed = store.get_feed(feed.id) or feed
    return feed, result


def _as_dict(value) -> dict:
    return {name: getattr(value, name) for name in value.__dataclass_fields__}
