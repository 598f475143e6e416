"""Text that must stay text: what a feed or a server says reaches the terminal as words, never as
escape sequences, markup, hidden links or someone's password. End to end: served by a real local
server, stored by a refresh, printed by `newsdesk`. (The app's side is tested in tests/ui/.)

Also the property tests of the boundary (any bytes in: no exception out, no control character out)
and every document of the shared corpus through the pipeline.
"""

from __future__ import annotations

import csv
import json
import re
import socket
import threading
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reader.fetch import FetchLimits
from reader.models import StoryFilter
from reader.parse import parse_feed
from reader.refresh import refresh
from reader.store import Store
from reader.text import safe_url
from tests.conftest import CORPUS, FakeClock, T0, cli

LIMITS = FetchLimits(connect_timeout=2, read_timeout=5, total_timeout=20)
# Anything that can act on a terminal or reorder what is read: C0 but \t \n, DEL, C1, bidi controls.
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")

HOSTILE = {
    "colour": "\x1b[31;1mRED\x1b[0m",
    "cursor": "\x1b[2J\x1b[H\x1b[10A\x1b[?1049h",
    "osc52": "\x1b]52;c;ZWNobyBwd25lZA==\x07",
    "osc8": "\x1b]8;;https://evil.example/\x1b\\click me\x1b]8;;\x1b\\",
    "title": "\x1b]0;owned\x07\x1b]2;owned\x1b\\",
    "dcs": "\x1bP1$r0m\x1b\\",
    "c1": "\x9b31m\x9d0;eight-bit\x9c\x85\x8d",
    "c0": "bell\x07 back\x08space tab\x0bvt\x0cff carriage\rreturn del\x7f",
    "bidi": "\u202eevil\u202c \u2066iso\u2069 \u202a\u202b\u202d",
    "markup": "[bold red]loud[/] [@click=app.quit]quit[/] [link=https://evil.example]x[/link] [/]",
}
# What is inside an ESC sequence goes with it. (A C1 sequence in a document read as windows-1252,
# as one with stray bytes is, turns into harmless letters such as "›31m", and stays as text.)
SEQUENCE_WORDS = ("owned", "ZWNobyBwd25lZA")


def assert_terminal_safe(text: str, where: str, payloads: bool = True) -> None:
    found = UNSAFE.search(text)
    assert found is None, f"{where}: {found.group()!r} at {found.start()} in {text[max(0, found.start() - 60):found.start() + 60]!r}"
    for word in SEQUENCE_WORDS if payloads else ():
        assert word not in text, f"{where}: escape sequence payload {word!r} leaked"


def xml_text(s: str) -> str:
    """``s`` in an XML document: what XML cannot carry goes in as a character reference, which HTML
    content decodes; the rest escaped. (XML 1.0 forbids most C0 characters even as references;
    feeds send them anyway, and the tests below send them raw too.)"""
    return "".join(f"&amp;#{ord(c)};" if UNSAFE.match(c) else escape(c) for c in s)


def hostile_rss() -> bytes:
    items = []
    for n, (name, payload) in enumerate(HOSTILE.items()):
        items.append(
            f"<item><guid>h{n}</guid><title>{name} {escape(payload)} title</title>"
            f"<author>{escape(payload)} author</author><link>https://h.example/{n}</link>"
            f"<description>{name} &lt;p&gt;{escape(payload)} body&lt;/p&gt; {xml_text(payload)} end</description>"
            f"<pubDate>Sun, 01 Mar 2026 0{n % 10}:00:00 GMT</pubDate></item>"
        )
    raw = ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
           f"<title>Feed {escape(HOSTILE['colour'] + HOSTILE['markup'] + HOSTILE['bidi'])}</title>"
           f"{''.join(items)}</channel></rss>")
    return raw.encode("utf-8")


def hostile_atom() -> bytes:
    entries = "".join(
        f'<entry><id>urn:a{n}</id><title type="html">{name} {escape(escape(payload))}</title>'
        f'<author><name>{escape(payload)}</name></author><updated>2026-03-01T10:00:00Z</updated>'
        f'<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">{escape(payload)} xhtml</div></content>'
        f'<link href="https://a.example/{n}"/></entry>'
        for n, (name, payload) in enumerate(HOSTILE.items())
    )
    return ('<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title type=\"text\">Atom {escape(HOSTILE['osc8'])}</title>{entries}</feed>").encode("utf-8")


def hostile_json() -> bytes:
    return json.dumps({
        "version": "https://jsonfeed.org/version/1.1",
        "title": "JSON " + HOSTILE["osc52"] + HOSTILE["markup"],
        "items": [{"id": f"j{n}", "title": f"{name} {payload}", "content_text": f"{payload} text",
                   "content_html": f"<p>{payload}</p>", "url": f"https://j.example/{n}",
                   "authors": [{"name": payload}], "date_published": "2026-03-01T09:00:00Z"}
                  for n, (name, payload) in enumerate(HOSTILE.items())],
    }).encode("utf-8")


@pytest.fixture
def hostile_db(server, store, db_path, clock):
    raw_c0 = hostile_rss().replace(b"h0</guid><title>colour", b"h0</guid><title>raw\x1b[31m\x07\x9b1m colour")
    for path, body, ctype in [("/rss.xml", hostile_rss(), "application/rss+xml"),
                              ("/raw.xml", raw_c0, "application/rss+xml"),
                              ("/atom.xml", hostile_atom(), "application/atom+xml"),
                              ("/feed.json", hostile_json(), "application/feed+json")]:
        store.add_feed(server.add(path, body, content_type=ctype))
    summary = refresh(db_path, clock=clock, limits=LIMITS)
    assert summary.new >= 3 * len(HOSTILE), summary
    return db_path


def test_stories_search_show_and_feeds_print_hostile_text_as_plain_words(hostile_db, store):
    outputs = {}
    for tty in (False, True):
        for args in (["stories"], ["stories", "--unread"], ["feeds"], ["search", "title"],
                     ["search", "body"], ["search", "[bold red]"]):
            code, out, err = cli(hostile_db, *args, tty=tty)
            assert code == 0, (args, err)
            outputs[(tty, *args)] = out + err
    for row in store.list_stories():
        code, out, err = cli(hostile_db, "show", str(row.id))
        assert code == 0
        outputs[("show", row.id)] = out + err
    for where, text in outputs.items():
        assert_terminal_safe(text, str(where))
    listing = outputs[(False, "stories")]
    assert listing.count("\n") == store.count_stories()  # one story a line: no newline smuggled in
    # markup is shown as it was written, never interpreted (the CLI has no markup to interpret)
    assert "[bold red]loud[/] [@click=app.quit]quit[/]" in listing
    assert "click me" in listing and "RED" in listing
    assert any("[link=https://evil.example]x[/link]" in out for key, out in outputs.items() if key[0] == "show")
    assert cli(hostile_db, "search", "owned")[1] == ""  # the payloads were never stored as words


def test_a_server_s_hostile_words_reach_refresh_errors_and_add_as_plain_text(db_path, clock):
    answers = [
        b"HTTP/1.1 599 \x1b[31mEVIL\x1b]52;c;ZWNobyBwd25lZA==\x07 [bold]x\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 599 caf\xe9 \x9b31m \x9d0;owned\x9c [@click=app.quit]\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 301 Moved\r\nLocation: http://\x1b]0;owned\x07/x\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Type: text/xml; charset=\x9b31m\x1b[2J\r\nContent-Length: 5\r\n\r\n<rss>",
    ]
    servers = [RawServer(answer) for answer in answers]
    try:
        with Store(db_path, clock=clock) as store:
            for srv in servers:
                store.add_feed(srv.url)
        code, out, err = cli(db_path, "refresh")
        assert code == 1 and err.count("\n") == len(answers)
        # inert leftovers of the server's bytes may show ("0;owned", a repr's "\\x1b"), controls never
        assert_terminal_safe(out + err, "refresh", payloads=False)
        for tty in (False, True):
            _, out, err = cli(db_path, "feeds", tty=tty)
            assert_terminal_safe(out + err, "feeds", payloads=False)
            assert out.count("error") >= len(answers)
        for srv in servers:
            code, out, err = cli(db_path.with_name("other.db"), "add", srv.url + "?again")
            assert code == 1 and err.startswith("newsdesk: ")
            assert_terminal_safe(out + err, "add", payloads=False)
    finally:
        for srv in servers:
            srv.close()


class RawServer:
    """Answers every connection with the same bytes: for what the polite test server cannot send."""

    def __init__(self, answer: bytes):
        self.answer = answer
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/feed"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                try:
                    conn.recv(65536)
                    conn.sendall(self.answer)
                except OSError:
                    pass

    def close(self) -> None:
        self.sock.close()


# -- links ----------------------------------------------------------------------------------------

BAD_LINKS = [
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)", "java\tscript:alert(1)",
    "&#106;avascript:alert(1)", "vbscript:msgbox(1)", "file:///etc/passwd", "data:text/html,<script>x</script>",
    "ftp://files.example/a", "mailto:a@example.org", "about:blank", "chrome://settings",
    "\x01javascript:alert(1)", "https:javascript:alert(1)", "//evil.example/protocol-relative",
]


def test_links_that_are_not_web_addresses_are_never_stored_as_links(server, store, db_path, clock):
    items = "".join(
        f"<item><guid>l{n}</guid><title>Link {n}</title><link>{link if '&#' in link else escape(link)}</link>"
        f'<enclosure url="{escape(link)}" type="audio/mpeg" length="1"/></item>'
        for n, link in enumerate(BAD_LINKS) if "\x01" not in link
    )
    body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Links</title>{items}</channel></rss>'
    json_body = json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": [
        {"id": f"j{n}", "title": f"J {n}", "url": link, "external_url": link, "content_text": "x"}
        for n, link in enumerate(BAD_LINKS)]})
    rss = store.add_feed(server.add("/links.xml", body))
    jf = store.add_feed(server.add("/links.json", json_body))
    refresh(db_path, clock=clock, limits=LIMITS)
    rows = store.list_stories()
    assert len(rows) >= len(BAD_LINKS) * 2 - 2
    for row in rows:
        story = store.get_story(row.id)
        if story.url is not None:  # only a web address, e.g. a protocol-relative link made absolute
            assert re.match(r"https?://[^/]", story.url), story.url
            assert "javascript" not in story.url.lower()
        for enclosure in story.enclosures:
            assert enclosure.url.split(":", 1)[0].lower() in ("http", "https", "ftp", "magnet")
        code, out, _ = cli(db_path, "show", str(row.id))
        link_lines = [line for line in out.splitlines() if line.startswith("Link:")]
        assert all(re.match(r"Link:\s+https?://", line) for line in link_lines), link_lines
    assert {r.feed_id for r in rows} == {rss.id, jf.id}


# -- credentials ----------------------------------------------------------------------------------


def test_credentials_in_a_feed_url_are_never_shown(server, db_path, tmp_path):
    secret = "s3cr3t-pa55"
    ok = server.add("/private.xml", '<rss version="2.0"><channel><title>Private</title>'
                    "<item><guid>p</guid><title>Members only</title></item></channel></rss>")
    server.add("/404.xml", "", status=404)
    server.add("/page.html", "<html><head><title>x</title></head><body>no feed</body></html>", content_type="text/html")
    server.add("/empty.xml", "")
    with_password = lambda url: url.replace("http://", f"http://reader:{secret}@")  # noqa: E731
    outputs = []
    code, out, err = cli(db_path, "add", with_password(ok))
    assert code == 0 and "Added Private" in out
    assert server.requests_for("/private.xml")[0].headers["Authorization"].startswith("Basic ")
    outputs.append(out + err)
    for path in ("/404.xml", "/page.html", "/empty.xml"):
        code, out, err = cli(db_path, "add", with_password(server.url(path)))
        assert code == 1 and "newsdesk: " in err
        outputs.append(out + err)
    for bad in (f"ftp://reader:{secret}@files.example/feed", f"http://reader:{secret}@exa mple.org/x",
                f"http://reader:{secret}@127.0.0.1:1/closed"):
        code, out, err = cli(db_path, "add", bad)
        assert code == 1
        outputs.append(out + err)
    with Store(db_path) as store:  # feeds that fail, with a password in their URL
        for path in ("/404.xml", "/empty.xml"):
            store.add_feed(with_password(server.url(path)))
        store.add_feed(f"http://reader:{secret}@127.0.0.1:1/closed")
        store.add_feed(with_password(server.redirect("/moved", "ftp://elsewhere.example/x")))
    code, out, err = cli(db_path, "refresh")
    assert code == 1
    outputs.append(out + err)
    for tty in (False, True):
        outputs.append("".join(cli(db_path, "feeds", tty=tty)[1:]))
    outputs.append("".join(cli(db_path, "remove", "Private")[1:]))
    for text in outputs:
        assert secret not in text and "reader:" not in text, text
    with Store(db_path) as store:
        for feed in store.list_feeds():
            assert secret not in (feed.last_error or ""), feed.last_error


# -- property tests: any input, no exception, no control character out ----------------------------

UNSAFE_TEXT = st.text(alphabet=st.one_of(
    st.characters(codec="utf-8"),
    st.sampled_from(list("\x00\x07\x08\x0b\x0c\x1b\x7f\x85\x9b\x9c\x9d\u202e\u2066\u2069[]<>&;\"'/=")),
), max_size=120)
ITEM_FIELD = st.one_of(UNSAFE_TEXT, st.sampled_from(list(HOSTILE.values())))


def seed_documents() -> list[bytes]:
    return [hostile_rss(), hostile_atom(), hostile_json(), (Path(__file__).parent / "data" / "feeds" / "rss20.xml").read_bytes()
            if (Path(__file__).parent / "data" / "feeds" / "rss20.xml").exists() else hostile_rss()]


@st.composite
def mutated_document(draw) -> bytes:
    """A real feed document with bytes flipped, cut, repeated or inserted: the parser's worst day."""
    body = bytearray(draw(st.sampled_from(seed_documents())))
    for _ in range(draw(st.integers(1, 8))):
        if not body:
            break
        at = draw(st.integers(0, len(body) - 1))
        how = draw(st.sampled_from(["flip", "cut", "insert", "repeat", "truncate"]))
        if how == "flip":
            body[at] = draw(st.integers(0, 255))
        elif how == "cut":
            del body[at:at + draw(st.integers(1, 64))]
        elif how == "insert":
            body[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif how == "repeat":
            body[at:at] = body[at:at + draw(st.integers(1, 64))] * draw(st.integers(2, 20))
        else:
            del body[at:]
    return bytes(body)


def assert_parsed_safe(parsed) -> None:
    assert parsed.error is None or parsed.error.strip()
    for story in parsed.stories:
        for value in (story.title, story.author or "", story.text, story.uid, story.url or ""):
            assert UNSAFE.search(value) is None, repr(value[:200])
        assert story.url is None or story.url.startswith(("http://", "https://"))
        assert len(story.title) <= 1_000


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(body=mutated_document(), ctype=st.sampled_from([None, "application/xml", "text/html",
                                                      "application/json", "text/plain; charset=koi8-r"]))
def test_any_mangled_document_parses_without_an_exception_or_a_control_character(body, ctype):
    assert_parsed_safe(parse_feed(body, "https://fuzz.example/feed", ctype))


@settings(max_examples=30, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(title=ITEM_FIELD, author=ITEM_FIELD, body=ITEM_FIELD, link=ITEM_FIELD, feed_title=ITEM_FIELD)
def test_any_field_text_stored_and_printed_by_newsdesk_is_safe(tmp_path_factory, title, author, body, link, feed_title):
    """parse → store → `stories` / `show` / `feeds`, with whatever text in each field."""
    doc = ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
           f"<title>{xml_text(feed_title)}</title><item><guid>x</guid><title>{xml_text(title)}</title>"
           f"<author>{xml_text(author)}</author><link>{xml_text(link)}</link>"
           f"<description>{xml_text(body)}</description></item></channel></rss>").encode("utf-8")
    parsed = parse_feed(doc, "https://fuzz.example/feed", "application/rss+xml")
    assert_parsed_safe(parsed)
    db_path = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
    with Store(db_path, clock=FakeClock()) as store:
        feed = store.add_feed("https://fuzz.example/feed", title=parsed.title)
        store.save_stories(feed.id, parsed.stories)
        ids = store.story_ids()
    for args in (["stories"], ["feeds"], *(["show", str(i)] for i in ids)):
        for tty in (False, True):
            code, out, err = cli(db_path, *args, tty=tty)
            assert code == 0
            assert UNSAFE.search(out + err) is None, repr(out + err)


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), ITEM_FIELD),
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(st.sampled_from(["id", "title", "url", "items", "authors", "name",
                                                                "content_html", "content_text", "summary",
                                                                "date_published", "attachments", "size_in_bytes",
                                                                "mime_type", "version", "external_url"]),
                                               children, max_size=6)),
    max_leaves=20,
)


@settings(max_examples=150)
@given(items=st.lists(json_values, max_size=4), title=json_values)
def test_any_json_feed_shape_parses_without_an_exception_or_a_control_character(items, title):
    body = json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": title, "items": items},
                      allow_nan=True).encode("utf-8")
    assert_parsed_safe(parse_feed(body, "https://fuzz.example/feed.json", "application/feed+json"))


@settings(max_examples=300)
@given(text=st.text(max_size=200))
def test_safe_url_never_raises_and_never_shows_a_control_character(text):
    assert UNSAFE.search(safe_url(text)) is None
    assert UNSAFE.search(safe_url("https://" + text)) is None


@settings(max_examples=100)
@given(user=UNSAFE_TEXT.filter(lambda u: not set(u) & set("/?#@")), password=st.from_regex(r"[A-Za-z0-9]{12}", fullmatch=True),
       host=st.sampled_from(["example.org", "127.0.0.1:8080", "[::1]", "xn--bcher-kva.example"]), rest=UNSAFE_TEXT)
def test_safe_url_never_shows_a_password(user, password, host, rest):
    url = f"https://{user}:PW{password}@{host}/{rest}"
    assert f"PW{password}" not in safe_url(url)


# -- the corpus -----------------------------------------------------------------------------------

CORPUS_FEEDS = CORPUS / "feeds"


def corpus_index() -> list[dict]:
    with open(CORPUS_FEEDS / "INDEX.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def right_type(row: dict) -> tuple[str, dict]:
    """The Content-Type (and Content-Encoding) a well-run server would send for a corpus file."""
    fmt = row["format"]
    if fmt.startswith("jsonfeed"):
        ctype = "application/feed+json"
    elif fmt.startswith("atom"):
        ctype = "application/atom+xml"
    elif fmt.startswith("rss1.0"):
        ctype = "application/rdf+xml"
    else:
        ctype = "application/rss+xml"
    if row["declared_encoding"]:
        ctype += f"; charset={row['declared_encoding']}"
    headers = {"Content-Encoding": "gzip"} if row["file"].endswith(".gz") else {}
    return ctype, headers


@pytest.mark.slow
@pytest.mark.skipif(not (CORPUS_FEEDS / "INDEX.csv").exists(), reason="the shared corpus is not here")
def test_every_corpus_feed_refreshes_with_and_without_its_right_content_type(server, store, db_path, clock):
    rows = corpus_index()
    served = {}
    for n, row in enumerate(rows):
        body = (CORPUS_FEEDS / row["file"]).read_bytes()
        ctype, headers = right_type(row)
        for variant, kind, extra in (("right", ctype, headers), ("none", "", {}),
                                     ("wrong", "text/html; charset=iso-8859-1", {})):
            url = server.add(f"/{variant}/{n}", body, content_type=kind, headers=extra, etag=False)
            served[store.add_feed(url).id] = (row, variant)
    summary = refresh(db_path, clock=clock, limits=LIMITS)  # no exception escapes: that is the test
    assert len(summary.feeds) == len(served)
    problems = []
    for feed in store.list_feeds():
        row, variant = served[feed.id]
        items = int(row["items"] or 0)
        if feed.last_error:
            assert feed.last_error.strip() and "which is a bug" not in feed.last_error, (row["file"], variant, feed.last_error)
            assert UNSAFE.search(feed.last_error) is None
            if items and variant == "right":
                problems.append(f"{row['file']} ({variant}): {feed.last_error}")
        elif items and feed.total == 0:
            problems.append(f"{row['file']} ({variant}): no stories of {items}")
        assert feed.total <= max(items, 1), (row["file"], variant, feed.total, items)
    assert problems == [], "\n".join(problems)
    code, out, err = cli(db_path, "stories")
    assert code == 0 and UNSAFE.search(out + err) is None
    with Store(db_path) as check:
        assert check.integrity_ok()
