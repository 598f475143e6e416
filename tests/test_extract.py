"""Full articles: fetched from a real local server, extracted, kept, searched, pruned; the CLI too."""

from __future__ import annotations

import io
import sqlite3
import subprocess
import sys
from email.utils import format_datetime
from datetime import datetime, timezone
from xml.sax.saxutils import escape

import pytest
from hypothesis import given, strategies as st

from reader import extract
from reader.cli import main
from reader.extract import (
    cached_article,
    decode_page,
    extract_article,
    feed_has_full_text,
    fetch_articles,
    get_article,
    html_to_markdown,
    markdown_to_text,
    prune_articles,
)
from reader.fetch import FetchLimits
from reader.models import ParsedStory, Story, StoryFilter
from reader.store import MigrationList, Store, migrations
from reader.text import html_to_text
from tests.conftest import DATA, T0

FAST = FetchLimits(connect_timeout=2, read_timeout=2, total_timeout=5)
ARTICLES = DATA / "articles"
BRIDGE_TITLE = "Harbour bridge reopens after two years of repairs"
BRIDGE_TEASER = "<p>The old swing bridge carries traffic again, with a new deck and a cycle lane.</p>"
DAY = 86_400


def add_story(store: Store, url: str | None, *, uid: str = "s1", title: str | None = None,
              summary: str = BRIDGE_TEASER, content: str | None = None, feed_url: str = "https://courier.example/feed") -> int:
    """A story in the database; its title is the bridge story's, told apart by ``uid`` (stories with
    the same title and date are one story to the store)."""
    feed = store.feed_by_url(feed_url) or store.add_feed(feed_url, title="Courier")
    content = summary if content is None else content
    store.save_stories(feed.id, [ParsedStory(
        uid=uid, title=title or f"{BRIDGE_TITLE} {uid}", url=url, published=T0 - 60, summary=summary, content=content,
        text=html_to_text(content), content_hash=f"{uid}:{hash(content)}",
    )])
    return store.conn.execute("SELECT id FROM stories WHERE uid = ? AND feed_id = ?", (uid, feed.id)).fetchone()[0]


def serve_bridge(server, path: str = "/news/bridge.html") -> str:
    return server.add(path, ARTICLES / "harbour-bridge.html")


def fts_ok(store: Store) -> bool:
    """The search index holds exactly what its content (stories and their articles) says."""
    try:
        with store.write():  # an INSERT: let it not leave a transaction open
            store.conn.execute("INSERT INTO stories_fts (stories_fts, rank) VALUES ('integrity-check', 1)")
    except sqlite3.DatabaseError:
        return False
    return True


def search(store: Store, words: str) -> list[int]:
    return store.story_ids(StoryFilter(query=words))


# -- one article ------------------------------------------------------------------------------------


def test_an_article_is_extracted_with_its_structure_kept_and_then_opens_from_the_cache(server, store, db_path, clock):
    url = serve_bridge(server)
    sid = add_story(store, url)

    article = get_article(db_path, sid, clock, limits=FAST)

    assert article.source == "article" and article.error is None and not article.from_cache
    md = article.markdown
    assert "## What changed on the bridge" in md
    assert "- a protected cycle lane on the seaward side," in md
    assert "> We could have replaced the whole thing with a fixed span" in md
    assert f"[its new timetable]({server.url('/news/buses-return-to-quay-street')})" in md
    assert f"![The swing bridge at dawn, seen from the east quay]({server.url('/images/bridge-dawn.jpg')})" in md
    for boilerplate in ("Weather", "Search the Courier", "More from the Courier", "Ferry timetable",
                        "My commute", "All rights reserved", "Privacy", "# Harbour bridge reopens"):
        assert boilerplate not in md
    compressed, = store.conn.execute("SELECT compressed FROM articles WHERE story_id = ?", (sid,)).fetchone()
    assert compressed == 1  # longer than COMPRESS_OVER

    asked = len(server.requests)
    again = get_article(db_path, sid, clock, limits=FAST)
    assert again.from_cache and again.markdown == md and again.source == "article"
    assert len(server.requests) == asked == 1
    assert cached_article(store, sid) == again


CAFE = (
    "<p>Le café du port a rouvert ses portes ce matin, après trois mois de travaux sur la façade.</p>"
    "<p>« Nous avons gardé le comptoir d’origine », dit la patronne, un peu naïve devant la foule venue"
    " goûter le premier crème de la saison. Les habitués ont retrouvé leurs tables près de la fenêtre,"
    " et les pêcheurs leur coin au fond de la salle, là où l’on parle encore du grand hiver.</p>"
    "<p>La mairie a payé la moitié des travaux. L’autre moitié vient d’une souscription lancée par les"
    " clients eux-mêmes, qui ont réuni plus de douze mille euros en un mois. Chaque donateur a son nom"
    " gravé sur une petite plaque de laiton, à côté de la porte d’entrée. Un vieux marin a dit qu’il"
    " n’avait jamais vu autant de monde au café depuis la fête des bateaux, il y a vingt ans.</p>"
)


PORT = (
    "<p>Портовый паром снова ходит по расписанию: после трёх месяцев ремонта его вернули на линию в"
    " субботу утром. Первыми на борт поднялись рыбаки и школьники, которые всю зиму ездили в город"
    " кружным путём через мост.</p><p>Капитан сказал, что новый двигатель тише старого и расходует"
    " меньше топлива. Билеты не подорожали, а летом паром будет ходить каждые сорок минут, до"
    " позднего вечера. Жители острова говорят, что ждали этого дня с самой осени.</p>"
)


def page(text: str, encoding: str, meta: str = "") -> bytes:
    return f"<html><head>{meta}</head><body><article>{text}</article></body></html>".encode(encoding)


@pytest.mark.parametrize("how, body, content_type, expected", [
    # the header wins over a <meta> that says otherwise
    ("header", page(CAFE, "cp1252", '<meta charset="utf-8">'), "text/html; charset=windows-1252",
     ["café du port", "façade", "un peu naïve", "d’origine"]),
    ("meta", page(CAFE, "cp1252", '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">'),
     "text/html", ["café du port", "façade", "un peu naïve", "d’origine"]),
    ("detected-1252", page(CAFE, "cp1252"), "text/html", ["café du port", "façade", "un peu naïve", "d’origine"]),
    ("detected-1251", page(PORT, "cp1251"), "text/html", ["Портовый паром", "расходует"]),
])
def test_the_page_charset_comes_from_the_header_the_meta_tag_or_detection(
    server, store, db_path, clock, how, body, content_type, expected
):
    url = server.add(f"/page-{how}", body, content_type=content_type)
    sid = add_story(store, url, title="Le café rouvre", summary="<p>Le café du port a rouvert.</p>")
    article = get_article(db_path, sid, clock, limits=FAST)
    assert article.error is None, article.error
    for words in expected:
        assert words in article.markdown
    assert "\ufffd" not in article.markdown


LONG_CONTENT = (
    "<p>The council met for six hours on Tuesday.</p>"
    + "".join(f"<p>Paragraph {n}: the budget debate went on, item after item, well into the night. "
              "Members argued over buses, bridges, libraries and the price of a parking permit.</p>"
              for n in range(12))
    + "<ul><li>Buses: more routes</li><li>Libraries: longer hours</li></ul>"
)


def test_a_feed_with_the_whole_story_is_used_and_nothing_is_fetched(server, store, db_path, clock):
    url = server.url("/news/council.html")
    sid = add_story(store, url, uid="council", title="Council budget", summary="<p>The council met.</p>",
                    content=LONG_CONTENT)
    article = get_article(db_path, sid, clock, limits=FAST)
    assert article.source == "feed" and article.error is None
    assert "- Buses: more routes" in article.markdown and "Paragraph 11:" in article.markdown
    summary = fetch_articles(db_path, [sid], clock=clock, limits=FAST)  # already kept: nothing to do
    assert summary.results == ()
    assert server.requests == []


def test_a_paywalled_page_keeps_the_feed_text_and_says_why(server, store, db_path, clock):
    url = server.add("/news/terminal.html", ARTICLES / "paywall.html")
    sid = add_story(store, url, title="Inside the port's new container terminal",
                    summary="<p>The cranes arrived in March and the first ship came in May.</p>")
    article = get_article(db_path, sid, clock, limits=FAST)
    assert article.markdown is None and article.source == "feed"
    assert article.error == "the article is for subscribers only (the page is behind a paywall)"
    again = get_article(db_path, sid, clock, limits=FAST)  # remembered: the page will not change
    assert again.from_cache and again.error == article.error
    assert len(server.requests) == 1


def test_a_page_built_by_scripts_keeps_the_feed_text_and_says_why(server, store, db_path, clock):
    url = server.add("/app/story/4211.html", ARTICLES / "script-only.html")
    sid = add_story(store, url, title="A story in an app")
    article = get_article(db_path, sid, clock, limits=FAST)
    assert article.markdown is None and article.source == "feed"
    assert "JavaScript" in article.error


def test_a_page_with_less_text_than_the_feed_keeps_the_feed_text(server, store, db_path, clock):
    url = server.add("/short.html", "<html><body><article><p>Just a line.</p></article></body></html>")
    sid = add_story(store, url, summary="<p>" + "A long teaser. " * 40 + "</p>")
    article = get_article(db_path, sid, clock, limits=FAST)
    assert article.markdown is None
    assert article.error in ("no article text found on the web page",
                             "the web page has less text than the feed (a paywall, or a page built by scripts?)")


def test_a_missing_page_is_an_error_value_and_is_remembered(server, store, db_path, clock):
    sid = add_story(store, server.add("/gone.html", "", status=404))
    article = get_article(db_path, sid, clock, limits=FAST)
    assert article == extract.Article(None, "could not fetch the web page: HTTP 404 Not Found", False, "feed")
    assert get_article(db_path, sid, clock, limits=FAST).from_cache
    assert len(server.requests) == 1


def test_a_timeout_is_an_error_value_and_is_tried_again_next_time(server, store, db_path, clock):
    sid = add_story(store, server.stall("/slow.html"))
    limits = FetchLimits(connect_timeout=1, read_timeout=0.3, total_timeout=1)
    article = get_article(db_path, sid, clock, limits=limits)
    assert article.markdown is None and "timed out" in article.error
    assert cached_article(store, sid) is None
    get_article(db_path, sid, clock, limits=limits)
    assert len(server.requests_for("/slow.html")) == 2


def test_a_link_to_a_pdf_or_to_nowhere_is_not_an_article(server, store, db_path, clock):
    pdf = add_story(store, server.add("/report.pdf", b"%PDF-1.7 ...", content_type="application/pdf"), uid="pdf")
    script = add_story(store, "javascript:alert(1)", uid="js")
    assert get_article(db_path, pdf, clock, limits=FAST).error == "the link leads to application/pdf, not a web page"
    assert get_article(db_path, script, clock, limits=FAST).error == "the story has no web page to fetch"
    assert len(server.requests) == 1
    assert get_article(db_path, 999, clock).error == "the story is no longer in the database"


# -- many articles ----------------------------------------------------------------------------------


def test_reading_ahead_fetches_new_unread_stories_in_parallel_with_progress(server, store, db_path, clock):
    ids = [add_story(store, server.add(f"/news/{n}.html", ARTICLES / "harbour-bridge.html", delay=0.2), uid=f"n{n}")
           for n in range(12)]
    read = add_story(store, serve_bridge(server, "/news/read.html"), uid="read")
    store.mark_read([read])
    clock.advance(-40 * DAY)  # first seen long ago: not read ahead
    old = add_story(store, serve_bridge(server, "/news/old.html"), uid="old")
    clock.advance(40 * DAY)

    seen = []
    summary = fetch_articles(db_path, on_progress=lambda done, total, r: seen.append((done, total, r.story_id)),
                             clock=clock, limits=FetchLimits(per_host=4, total_timeout=10), workers=2)

    assert [(done, total) for done, total, _ in seen] == [(n, 12) for n in range(1, 13)]
    assert sorted(sid for *_, sid in seen) == sorted(ids)
    assert summary.extracted == 12 and not summary.failed
    assert 1 < server.max_in_flight <= 4  # in parallel, within the per-host limit
    assert {r.bare_path for r in server.requests} == {f"/news/{n}.html" for n in range(12)}
    assert all(cached_article(store, sid).source == "article" for sid in ids)
    assert cached_article(store, read) is None and cached_article(store, old) is None
    assert fetch_articles(db_path, clock=clock, limits=FAST).results == ()  # nothing left to read ahead


def test_one_feed_can_be_read_ahead_alone(server, store, db_path, clock):
    mine = add_story(store, serve_bridge(server, "/a.html"), uid="a", feed_url="https://a.example/feed")
    other = add_story(store, serve_bridge(server, "/b.html"), uid="b", feed_url="https://b.example/feed")
    feed_id = store.get_story(mine).feed_id
    summary = fetch_articles(db_path, feed_id=feed_id, clock=clock, limits=FAST)
    assert [r.story_id for r in summary.results] == [mine]
    assert cached_article(store, other) is None


def keep(store: Store, clock, sid: int, text: str, age_days: float) -> None:
    clock.advance(-age_days * DAY)
    store.save_article(sid, source="article", markdown=text, search=text, content_hash="")
    clock.advance(age_days * DAY)


def test_the_cache_is_capped_by_age_and_size_but_never_drops_a_saved_story(store, db_path, clock):
    old, saved, mid, new = (add_story(store, f"https://x.example/{n}", uid=n) for n in ("old", "saved", "mid", "new"))
    store.mark_saved([saved])
    keep(store, clock, old, "oldword " * 300, 40)
    keep(store, clock, saved, "savedword " * 300, 50)
    keep(store, clock, mid, "midword " * 300, 10)
    keep(store, clock, new, "newword " * 300, 1)

    assert prune_articles(db_path, clock=clock) == 1  # 30 days by default
    assert cached_article(store, old) is None and search(store, "oldword") == []
    assert cached_article(store, saved) is not None

    count, size = store.article_totals()
    assert count == 3
    assert prune_articles(db_path, clock=clock, max_bytes=size - 1) == 1  # the oldest unsaved goes
    assert cached_article(store, mid) is None and cached_article(store, new) is not None
    assert prune_articles(db_path, clock=clock, max_age_days=0, max_bytes=0) == 1
    assert cached_article(store, new) is None
    assert cached_article(store, saved).markdown.startswith("savedword")  # whatever the cap
    assert search(store, "savedword") == [saved]
    assert fts_ok(store)


def test_reading_ahead_prunes_afterwards(server, store, db_path, clock):
    stale = add_story(store, "https://x.example/stale", uid="stale")
    keep(store, clock, stale, "staleword " * 50, 60)
    add_story(store, serve_bridge(server), uid="fresh")
    summary = fetch_articles(db_path, clock=clock, limits=FAST)
    assert summary.extracted == 1 and summary.pruned == 1


# -- search -----------------------------------------------------------------------------------------


def test_the_article_text_is_searchable_and_the_index_stays_consistent(server, store, db_path, clock):
    sid = add_story(store, serve_bridge(server))
    assert search(store, "zanzibarite") == []  # the word is only in the article
    get_article(db_path, sid, clock, limits=FAST)
    assert search(store, "zanzibarite") == [sid]
    assert search(store, "cycle lane") == [sid]
    assert fts_ok(store)

    store.mark_read([sid])  # state changes do not touch the index
    assert search(store, "zanzibarite") == [sid]

    feed_id = store.get_story(sid).feed_id
    store.save_stories(feed_id, [ParsedStory(uid="s1", title="Bridge reopens, with corrections", url=serve_bridge(server),
                                             summary="<p>Corrected teaser about quokkas.</p>",
                                             content="<p>Corrected teaser about quokkas.</p>",
                                             text="Corrected teaser about quokkas.", content_hash="changed",
                                             published=T0 - 60)])
    assert search(store, "quokkas") == [sid] and search(store, "zanzibarite") == [sid]
    assert search(store, "corrections") == [sid]
    assert fts_ok(store)

    prune_articles(db_path, clock=clock, max_age_days=0, max_bytes=0)
    assert search(store, "zanzibarite") == [] and search(store, "quokkas") == [sid]
    assert fts_ok(store)
    get_article(db_path, sid, clock, limits=FAST)

    store.remove_feed(feed_id)
    assert search(store, "zanzibarite") == [] and fts_ok(store)


def test_an_article_for_a_story_not_yet_in_the_index_is_searchable(server, store, db_path, clock):
    store.index_pending()
    sid = add_story(store, serve_bridge(server))  # stored, not yet indexed (indexing is in bulk)
    upto, = store.conn.execute("SELECT indexed_upto FROM fts_state").fetchone()
    assert upto < sid
    get_article(db_path, sid, clock, limits=FAST)
    assert search(store, "zanzibarite") == [sid] and fts_ok(store)


def test_a_database_from_before_articles_is_upgraded_with_its_search_index(tmp_path):
    path = tmp_path / "old.db"
    first = MigrationList("newsdesk")
    first.steps = migrations.steps[:1]
    conn = sqlite3.connect(path)
    first.apply(conn)
    conn.execute("INSERT INTO feeds (id, url, added) VALUES (1, 'https://old.example/feed', 0)")
    conn.execute("INSERT INTO stories (feed_id, uid, title, text, published, first_seen)"
                 " VALUES (1, 'u', 'Lighthouse keeper retires', 'After forty winters.', 0, 0)")
    conn.execute("INSERT INTO stories_fts (rowid, title, text) VALUES (1, 'Lighthouse keeper retires', 'After forty winters.')")
    conn.execute("UPDATE fts_state SET indexed_upto = 1")
    conn.commit()
    conn.close()
    with Store(path) as store:
        assert "0002_articles" in migrations.applied(store.conn)
        assert search(store, "winters") == [1] and search(store, "lighthouse") == [1]
        assert fts_ok(store)
        store.save_article(1, source="article", markdown="# Keeper\n\nHe kept a diary.", search="Keeper He kept a diary.")
        assert search(store, "diary") == [1] and fts_ok(store)


# -- the CLI ----------------------------------------------------------------------------------------


def rss_linking(server, title: str, pages: dict[str, str]) -> str:
    items = []
    for n, (guid, path) in enumerate(pages.items()):
        date = format_datetime(datetime.fromtimestamp(T0 - 3600 * (n + 1), timezone.utc))
        items.append(f"<item><guid>{guid}</guid><title>Story {guid}</title><link>{escape(server.url(path))}</link>"
                     f"<pubDate>{date}</pubDate><description>A teaser.</description></item>")
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}</title>'
            f"<link>{server.url('/')}</link>{''.join(items)}</channel></rss>")


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def run(db_path, *args: str, err: io.StringIO | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), err if err is not None else io.StringIO()
    code = main(["--db", str(db_path), *args], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_refresh_with_articles_reads_ahead_after_the_feeds(server, store, db_path):
    serve_bridge(server)
    server.add("/news/terminal.html", ARTICLES / "paywall.html")
    store.add_feed(server.add("/feed.xml", rss_linking(server, "Courier", {"b": "/news/bridge.html",
                                                                           "t": "/news/terminal.html"})))
    code, out, err = run(db_path, "refresh", "--articles", err=Tty())
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("Refreshed 1 feed")
    assert lines[1].startswith("Fetched 2 articles in ") and lines[1].endswith(
        "1 from their pages, 0 whole in the feed, 1 with the feed's text only")
    assert "Fetching articles" in err and "2/2" in err
    assert "Story t: the article is for subscribers only" in err
    paths = [r.bare_path for r in server.requests]
    assert paths[0] == "/feed.xml" and sorted(paths[1:]) == ["/news/bridge.html", "/news/terminal.html"]
    code, out, _ = run(db_path, "search", "zanzibarite")
    assert "Story b" in out


def test_refreshing_named_feeds_reads_ahead_only_their_stories(server, store, db_path):
    serve_bridge(server, "/a.html")
    serve_bridge(server, "/b.html")
    store.add_feed(server.add("/a.xml", rss_linking(server, "A", {"a": "/a.html"})), title="Feed A")
    store.add_feed(server.add("/b.xml", rss_linking(server, "B", {"b": "/b.html"})), title="Feed B")
    run(db_path, "refresh", "Feed B")
    server.clear()
    code, out, _ = run(db_path, "refresh", "Feed A", "--articles")
    assert code == 0 and "Fetched 1 article in " in out
    assert [r.bare_path for r in server.requests] == ["/a.xml", "/a.html"]


def test_plain_refresh_fetches_no_article(server, store, db_path):
    serve_bridge(server)
    store.add_feed(server.add("/feed.xml", rss_linking(server, "Courier", {"b": "/news/bridge.html"})))
    code, out, _ = run(db_path, "refresh")
    assert code == 0 and "Fetched" not in out
    assert [r.bare_path for r in server.requests] == ["/feed.xml"]


def test_fetch_articles_command_for_one_feed_then_prune(server, db_path):
    serve_bridge(server)
    with Store(db_path) as store:  # the command runs on the real clock: stories seen now
        one = add_story(store, server.url("/news/bridge.html"), uid="one", feed_url="https://one.example/feed")
        add_story(store, server.url("/news/bridge.html"), uid="two", feed_url="https://two.example/feed")
    code, out, _ = run(db_path, "fetch-articles", "--feed", "https://one.example/feed")
    assert code == 0 and out.startswith("Fetched 1 article in ")
    with Store(db_path) as check:
        assert check.article(one) is not None and check.article_totals()[0] == 1

    code, out, _ = run(db_path, "fetch-articles", "--prune", "--max-age", "1")
    assert code == 0 and out.startswith("Removed 0 articles; 1 kept (")
    code, out, _ = run(db_path, "fetch-articles", "--feed", "nope")
    assert code == 1


# -- the pieces -------------------------------------------------------------------------------------


def test_decoding_order_bom_header_meta_utf8_then_detection():
    meta = '<meta charset="koi8-r">'.encode()
    assert decode_page(b"\xef\xbb\xbf" + meta + "é".encode(), "windows-1252").endswith("é")
    assert decode_page(meta + "é".encode("cp1252"), "windows-1252").endswith("é")
    assert decode_page(meta + "жир".encode("koi8-r")).endswith("жир")
    assert decode_page("<p>naïve café</p>".encode()) == "<p>naïve café</p>"
    assert decode_page("é".encode("cp1252"), "iso-8859-1") == "é"
    assert decode_page(b"\x93quoted\x94", "latin1") == "“quoted”"  # latin-1 labels mean windows-1252
    assert decode_page(b"<p>x</p>", "no-such-charset") == "<p>x</p>"


def test_html_to_markdown_keeps_structure_and_makes_links_absolute():
    md = html_to_markdown(
        '<h2>Head <em>line</em></h2><p>Text with <a href="/more">a link</a> and <b>bold</b>.<br>Next line.'
        '<img src="pic.png" alt="A picture"></p><ul><li>one</li><li>two<ol><li>inner</li></ol></li></ul>'
        '<blockquote><p>Quoted.</p><p>Twice.</p></blockquote><pre>x = 1\n  y = 2</pre>'
        '<table><tr><th>k</th><th>v</th></tr><tr><td>a|b</td><td>2</td></tr></table>'
        '<script>evil()</script><p>1999. A year. *Not* emphasis, [not] a link.</p>'
        '<a href="javascript:evil()">just text</a>',
        "https://site.example/news/item",
    )
    assert md.split("\n\n") == [
        "## Head *line*",
        "Text with [a link](https://site.example/more) and **bold**.\nNext line."
        "![A picture](https://site.example/news/pic.png)",
        "- one\n- two\n  1. inner",
        "> Quoted.\n>\n> Twice.",
        "```\nx = 1\n  y = 2\n```",
        "| k | v |\n|---|---|\n| a\\|b | 2 |",
        "1999\\. A year. \\*Not\\* emphasis, \\[not\\] a link.",
        "just text",
    ]
    assert markdown_to_text(md).count("evil") == 0
    assert "1999. A year. *Not* emphasis, [not] a link." in markdown_to_text(md)


def test_markdown_to_text_drops_addresses_and_markup():
    md = "# Title\n\n**Bold** and *it* [link](<https://x.example/a (b)>) ![alt](https://x.example/i.png)\n\n> quote\n\n- item"
    assert markdown_to_text(md) == "Title\n\nBold and it link alt\n\nquote\n\n- item"


def story(summary: str, content: str) -> Story:
    return Story(id=1, feed_id=1, uid="u", title="t", feed_title="f", summary=summary, content=content,
                 text=html_to_text(content))


def test_which_feeds_carry_the_whole_story():
    long_text = "<p>" + "word " * 500 + "</p>"
    assert feed_has_full_text(story("<p>Teaser.</p>", "<p>" + "word " * 200 + "</p>"))
    assert not feed_has_full_text(story("<p>" + "teaser " * 120 + "</p>", "<p>" + "word " * 200 + "</p>"))
    assert not feed_has_full_text(story("<p>Teaser.</p>", "<p>" + "word " * 60 + "</p>"))
    assert feed_has_full_text(story(long_text, long_text))  # no separate teaser, but long
    assert not feed_has_full_text(story("", "<p>" + "word " * 200 + "</p>"))
    assert not feed_has_full_text(story("<p>Teaser.</p>", "<p>" + "word " * 300 + " Continue reading →</p>"))


def test_extraction_drops_what_trafilatura_lets_through_around_the_story():
    html = (ARTICLES / "related-links.html").read_text(encoding="utf-8")
    md = extract_article(html, "https://courier.example/news/ferry", title="Night ferry to return in spring")
    paragraphs = md.split("\n\n")
    # the headline (the pane shows the title), a run of topic links, a caption repeating its image's
    # alt text, "You may also like..." and the links under it are gone; a script link is only text
    assert paragraphs[0].startswith("The night ferry between Tidewater")
    assert ("Islanders had petitioned for the service since November, when a storm damaged the second boat."
            " The repaired boat passed its sea trials") in md
    assert "![A crowd waits on the main quay for the last boat of the evening]" \
           "(https://courier.example/images/quay-crowd.jpg)" in paragraphs
    assert md.count("A crowd waits on the main quay") == 1
    assert paragraphs[-1].startswith("The council, which pays part of the cost")
    for gone in ("Night ferry to return", "Ferries", "Winter storms", "javascript", "You may also like",
                 "Harbour bridge reopens"):
        assert gone not in md


def test_extraction_never_raises_and_finds_nothing_in_nothing():
    assert extract_article("") == ""
    assert extract_article(b"\x00\xff\xfe garbage") == ""
    assert extract_article("<html><body><nav><a href='/'>Home</a></nav></body></html>") == ""


@given(st.text(max_size=2000))
def test_html_to_markdown_takes_any_text(text):
    md = html_to_markdown(text, "https://x.example/")
    assert isinstance(md, str)
    assert "\x1b" not in md and "\x00" not in md


@given(st.lists(st.sampled_from(["<p>", "</p>", "<a href='/x'>", "</a>", "<ul><li>", "<blockquote>", "<h2>",
                                 "word ", "\x1b[31m", "<img src='i.png' alt='[x]'>", "&amp;", "<table><tr><td>"]),
                max_size=200))
def test_extract_article_takes_any_markup(parts):
    page = "<html><body><article>" + "".join(parts) + "</article></body></html>"
    md = extract_article(page, "https://x.example/a")
    assert isinstance(md, str) and "\x1b" not in md


def test_importing_extract_loads_no_extractor_network_client_or_ui():
    code = ("import sys, reader.extract; "
            "print(sorted(m for m in ('trafilatura', 'lxml', 'httpx', 'rich', 'textual', 'charset_normalizer')"
            " if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_demo_stories_never_reach_the_network(db_path, clock):
    """The demo feeds' links lead to made-up pages (example.net, .org, .com): opening a demo story
    or reading ahead keeps the feed's own text and says so, and asks nothing of the network."""
    from reader.demo import load_demo
    from reader.extract import get_article

    with Store(db_path, clock=clock) as store:
        load_demo(store)
        ids = store.story_ids()
        teaser = next(i for i in ids if not feed_has_full_text(store.get_story(i)))
        whole = next(i for i in ids if feed_has_full_text(store.get_story(i)))
    article = get_article(db_path, teaser, clock, limits=FetchLimits(connect_timeout=0.01, total_timeout=0.01))
    assert article.markdown is None and "demo story" in article.error and article.source == "feed"
    assert get_article(db_path, teaser, clock).from_cache
    article = get_article(db_path, whole, clock)
    assert article.error is None and article.markdown and article.source == "feed"
    summary = fetch_articles(db_path, clock=clock, limits=FAST)
    assert len(summary.results) == len(ids) - 2 and not any(r.fetched for r in summary.results)
    with Store(db_path, clock=clock) as store:
        assert all(store.article(i) is not None for i in ids)
