"""The `newsdesk` command, run as a user would: arguments in, text and an exit status out."""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

from reader.cli import main
from reader.models import ParsedStory
from reader.store import Store
from tests.conftest import DATA, T0
from tests.test_refresh import rss


def run(db_path, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--db", str(db_path), *args], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def filled(store):
    world = store.add_feed("https://world.example/feed", title="World Wire", folder="World")
    tech = store.add_feed("https://tech.example/feed", title="Tech Daily")
    store.save_stories(world.id, [
        ParsedStory(uid="w1", title="Council approves tram line", published=T0 - 60,
                    text="The city council voted 31 to 12 for the tram.", content_hash="1",
                    url="https://world.example/tram", author="Ana Ruiz"),
        ParsedStory(uid="w2", title="Storm closes harbour", published=T0 - 7200,
                    text="Ferries stayed in port.", content_hash="2"),
    ])
    store.save_stories(tech.id, [
        ParsedStory(uid="t1", title="[bold red]Chip\x1b[31m maker[/] results", published=T0 - 3600,
                    text="Revenue rose.", content_hash="3"),
    ])
    return store


def ids_of(output: str) -> list[int]:
    return [int(line.split("\t")[0]) for line in output.splitlines() if line.strip()]


def test_stories_are_listed_newest_first_tab_separated_when_piped(filled, db_path):
    code, out, _ = run(db_path, "stories")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 3
    cells = lines[0].split("\t")
    assert cells[0].isdigit() and cells[2] == "N-" and cells[3] == "World Wire"
    assert cells[4] == "Council approves tram line"
    assert [l.split("\t")[4] for l in lines][1].startswith("[bold red]Chip")
    assert "\x1b" not in out


def test_filters_limit_and_state_commands(filled, db_path):
    tram, chip, storm = ids_of(run(db_path, "stories")[1])
    assert run(db_path, "mark-read", str(tram))[0] == 0
    assert run(db_path, "save", str(storm))[0] == 0
    assert ids_of(run(db_path, "stories", "--unread")[1]) == [chip, storm]
    assert ids_of(run(db_path, "stories", "--saved")[1]) == [storm]
    assert ids_of(run(db_path, "stories", "--feed", "World Wire")[1]) == [tram, storm]
    assert ids_of(run(db_path, "stories", "--limit", "1")[1]) == [tram]
    assert run(db_path, "mark-unread", str(tram))[0] == 0
    assert run(db_path, "unsave", str(storm))[0] == 0
    with Store(db_path) as s:
        assert not s.get_story(tram).read and not s.get_story(storm).saved
    assert run(db_path, "mark-read", "--feed", "Tech Daily")[0] == 0
    assert ids_of(run(db_path, "stories", "--unread")[1]) == [tram, storm]
    assert run(db_path, "mark-read", "--all")[0] == 0
    assert run(db_path, "stories", "--unread")[1] == ""


def test_unknown_ids_and_bad_input_get_one_line_and_nonzero_exit(filled, db_path):
    for args, message in [
        (("show", "9999"), "no such story: 9999"),
        (("mark-read", "1", "9999"), "no such story: 9999"),
        (("stories", "--feed", "Nope"), "no such feed: Nope"),
        (("import", "/nonexistent/file.opml"), "no such file"),
        (("add", "ftp://example.org/x"), "only http and https"),
    ]:
        code, _, err = run(db_path, *args)
        assert code == 1, args
        assert err.strip().startswith("newsdesk: ") and message in err, (args, err)
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_a_story_id_that_is_not_a_number_is_a_usage_error(db_path):
    with pytest.raises(SystemExit) as info:
        run(db_path, "show", "abc")
    assert info.value.code == 2


def test_a_database_that_is_not_ours_is_refused(tmp_path):
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"\x00garbage" * 100)
    code, _, err = run(bad, "feeds")
    assert code == 1 and "not a Newsdesk database" in err


def test_show_prints_the_story_without_escapes(filled, db_path):
    tram, chip, _ = ids_of(run(db_path, "stories")[1])
    code, out, _ = run(db_path, "show", str(tram))
    assert code == 0
    assert out.splitlines()[0] == "Council approves tram line"
    assert "Source: World Wire" in out and "Author: Ana Ruiz" in out
    assert "Link:   https://world.example/tram" in out and "31 to 12" in out
    out = run(db_path, "show", str(chip))[1]
    assert "\x1b" not in out and "[bold red]Chip" in out


def test_search_is_ranked_and_plain(filled, db_path):
    code, out, _ = run(db_path, "search", "tram")
    assert code == 0 and [l.split("\t")[4] for l in out.splitlines()] == ["Council approves tram line"]
    assert run(db_path, "search", '"unbalanced')[0] == 0


def test_feeds_lists_counts_and_errors(filled, db_path):
    with Store(db_path) as s:
        s.update_feed(s.find_feed("Tech Daily").id, last_error="HTTP 500 Internal Server Error")
    code, out, _ = run(db_path, "feeds")
    rows = {l.split("\t")[1]: l.split("\t") for l in out.splitlines()}
    assert rows["World Wire"][2:4] == ["2", "2"]
    assert rows["Tech Daily"][7:] == ["error", "HTTP 500 Internal Server Error"]


def test_add_refresh_and_exit_status(server, db_path):
    good = server.add("/good.xml", rss("Good Feed", [("g1", "Hello")]))
    code, out, _ = run(db_path, "add", good, "--folder", "Tech")
    assert code == 0 and "Good Feed" in out and out.rstrip().endswith(": 1 story")
    bad = server.add("/bad.xml", "", status=500)
    with Store(db_path) as s:
        s.add_feed(bad)
    code, out, err = run(db_path, "refresh")
    assert code == 1
    assert out.startswith("Refreshed 2 feeds") and "1 failed" in out
    assert "HTTP 500" in err
    code, out, _ = run(db_path, "refresh", "Good Feed")
    assert code == 0 and "Refreshed 1 feed " in out


def test_add_stores_folder_and_title_as_an_import_would(server, db_path):
    # --title "  " was stored as the feed's title ("Added   <…>", a blank row in feeds) and
    # --folder " /Tech// News/ " as typed, where an import of the same names gives "Tech/News".
    url = server.add("/tech.xml", rss("Tech Daily", [("t1", "Chips")]))
    code, out, err = run(db_path, "add", url, "--folder", " /Tech// News/ ", "--title", "  ")
    assert code == 0 and out.startswith("Added Tech Daily <"), err
    with Store(db_path) as s:
        feed = s.find_feed(url)
    assert (feed.title, feed.folder) == ("Tech Daily", "Tech/News")


def test_failed_feeds_without_a_title_are_told_apart_by_their_address(server, db_path):
    # Two feeds of one site that never worked: naming them by host alone gave two lines that
    # both began "127.0.0.1:", and the user could not tell which feed had which problem.
    missing = server.add("/news/world.xml", "", status=404)
    page = server.add("/news/sport/", "<html><body>Hello</body></html>", content_type="text/html")
    with Store(db_path) as s:
        s.add_feed(missing)
        s.add_feed(page)
    code, _, err = run(db_path, "refresh")
    assert code == 1
    lines = err.splitlines()
    host = missing.split("//")[1].split("/")[0]
    assert any(l.startswith(f"  {host}/news/world.xml: ") and "404" in l for l in lines), err
    assert any(l.startswith(f"  {host}/news/sport: ") and "HTML" in l for l in lines), err
    _, out, _ = run(db_path, "feeds")
    assert f"{host}/news/world.xml" in out and f"{host}/news/sport" in out


def test_remove_deletes_the_feed_and_its_stories(filled, db_path):
    code, out, _ = run(db_path, "remove", "World Wire")
    assert code == 0 and "2 stories" in out
    assert len(ids_of(run(db_path, "stories")[1])) == 1
    code, out, _ = run(db_path, "remove", "Tech Daily")
    assert code == 0 and out == "Removed Tech Daily <https://tech.example/feed> and its 1 story\n"
    assert ids_of(run(db_path, "stories")[1]) == []


def test_import_opml_then_export_round_trips(tmp_path, db_path):
    source = DATA / "opml" / "subscriptions-2.0.opml"
    code, out, _ = run(db_path, "import", str(source))
    assert code == 0 and out.startswith("Imported ")
    exported = tmp_path / "out.opml"
    assert run(db_path, "export", str(exported))[0] == 0
    other = tmp_path / "other.db"
    assert run(other, "import", str(exported))[0] == 0
    with Store(db_path) as a, Store(other) as b:
        def subs(s):
            return [(f.url, f.title, f.folder) for f in s.list_feeds()]
        assert subs(a) == subs(b) and len(subs(a)) >= 3
    # importing again adds nothing
    code, out, _ = run(db_path, "import", str(source))
    assert "Imported 0 feeds" in out


def test_import_newsboat_urls(db_path):
    code, out, err = run(db_path, "import", str(DATA / "opml" / "newsboat-urls"))
    assert code == 0
    with Store(db_path) as s:
        feeds = s.list_feeds()
    assert feeds and any(f.folder for f in feeds)
    assert "skipped" in err  # query:/exec: lines are reported, not fatal


def test_export_to_stdout_is_opml(filled, db_path):
    code, out, _ = run(db_path, "export")
    assert code == 0 and out.lstrip().startswith("<?xml") and "World Wire" in out


def test_config_path_and_defaults(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    out = io.StringIO()
    assert main(["config", "--path"], out=out, err=io.StringIO()) == 0
    assert out.getvalue().strip() == str(tmp_path / "cfg" / "newsdesk" / "config.toml")
    out = io.StringIO()
    assert main(["config", "--default"], out=out, err=io.StringIO()) == 0
    assert "mark_read_delay" in out.getvalue()


def test_database_location_follows_env_and_xdg(tmp_path, monkeypatch):
    from reader.paths import database_path

    monkeypatch.delenv("NEWSDESK_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert database_path() == tmp_path / "data" / "newsdesk" / "newsdesk.db"
    monkeypatch.setenv("NEWSDESK_DB", str(tmp_path / "env.db"))
    assert database_path() == tmp_path / "env.db"
    assert database_path(tmp_path / "flag.db") == tmp_path / "flag.db"


def test_newsboat_urls_file_is_found_where_newsboat_keeps_it(tmp_path, monkeypatch):
    from reader.paths import newsboat_urls_file

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    assert newsboat_urls_file() is None
    old = tmp_path / ".newsboat" / "urls"
    old.parent.mkdir()
    old.write_text("https://example.org/feed\n")
    assert newsboat_urls_file() == old
    new = tmp_path / "config" / "newsboat" / "urls"  # newsboat's own default, preferred
    new.parent.mkdir(parents=True)
    new.write_text("https://example.org/feed\n")
    assert newsboat_urls_file() == new
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative/ignored")  # the XDG spec: ignore relative paths
    assert newsboat_urls_file() == old


def test_the_installed_command_runs_and_pipes_cleanly(filled, db_path):
    exe = Path(sys.executable).with_name("newsdesk")
    env = {**os.environ, "NEWSDESK_DB": str(db_path)}
    proc = subprocess.run([str(exe), "stories", "--limit", "2"], capture_output=True, text=True, env=env,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.splitlines()) == 2 and "\t" in proc.stdout
    proc = subprocess.run([str(exe), "show", "424242"], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 1 and proc.stderr.strip() == "newsdesk: no such story: 424242"


def test_import_reads_standard_input_given_as_a_dash(db_path):
    exe = Path(sys.executable).with_name("newsdesk")
    env = {**os.environ, "NEWSDESK_DB": str(db_path)}
    urls = (DATA / "opml" / "newsboat-urls").read_bytes()
    proc = subprocess.run([str(exe), "import", "-"], input=urls, capture_output=True, env=env, timeout=60)
    assert proc.returncode == 0 and proc.stdout.startswith(b"Imported 8 feeds."), proc.stderr
    proc = subprocess.run([str(exe), "import", "-"], input=b"Dear diary\n", capture_output=True, env=env,
                          timeout=60)
    assert proc.returncode == 1
    assert proc.stderr.startswith(b"newsdesk: standard input is neither an OPML file nor a newsboat")


def test_demo_with_a_command_runs_it_on_a_throw_away_demo_database(tmp_path):
    mine = tmp_path / "mine.db"
    code, out, err = run(mine, "--demo", "groups")
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == 2 and lines[0].startswith("3\t") and "Harbour Line" in lines[0]
    assert lines[1].startswith("2\t") and "coral reef" in lines[1]
    code, out, _ = run(mine, "--demo", "feeds")
    assert code == 0 and "demo.newsdesk.invalid" in out
    assert not mine.exists(), "--demo never opens, creates or changes the database of --db"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.example.com/news/rss.xml", "example.com/news/rss.xml"),
        ("https://example.com/", "example.com"),
        ("https://example.com", "example.com"),
        ("http://127.0.0.1:8080/feeds/a/?x=1#top", "127.0.0.1:8080/feeds/a"),
        ("https://user:secret@Feeds.Example.org/atom", "feeds.example.org/atom"),
        ("http://[::1]:8000/f.xml", "[::1]:8000/f.xml"),
        ("http://example.com:notaport/f", "http://example.com:notaport/f"),
        ("demo:world", "demo:world"),
    ],
)
def test_a_feed_without_a_title_is_named_by_its_address(url, expected):
    from reader.models import feed_locator

    assert feed_locator(url) == expected


def test_every_command_explains_itself_and_its_arguments_in_its_help():
    # `newsdesk import --help` said only "positional arguments: file": not which formats, not
    # that query: lines are left out, not that nothing is fetched.
    from reader.cli import build_parser

    commands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    for name, parser in commands.choices.items():
        assert parser.description, name
        for action in parser._actions:
            assert action.help, (name, action.dest)
    out = io.StringIO()
    with pytest.raises(SystemExit) as info, contextlib.redirect_stdout(out):
        main(["import", "--help"])
    assert info.value.code == 0
    text = " ".join(out.getvalue().split())
    assert "OPML" in text and "newsboat" in text and "query:" in text and "newsdesk refresh" in text
    out = io.StringIO()
    with pytest.raises(SystemExit), contextlib.redirect_stdout(out):
        main(["search", "--help"])
    assert "every word" in " ".join(out.getvalue().split())


def test_a_feed_is_found_by_the_name_refresh_and_feeds_print_for_it(server, db_path):
    # refresh names an untitled feed "127.0.0.1:PORT/news/world.xml"; typing that name back
    # into `refresh FEED` or `--feed` said "no such feed".
    good = server.add("/news/world.xml", rss("", [("w1", "Tram line approved")]))
    with Store(db_path) as s:
        s.add_feed(good)
    name = good.split("//", 1)[1]
    assert run(db_path, "refresh")[0] == 0
    assert name in run(db_path, "feeds")[1]
    code, out, err = run(db_path, "refresh", name)
    assert code == 0 and out.startswith("Refreshed 1 feed "), err
    code, out, _ = run(db_path, "stories", "--feed", name)
    assert code == 0 and out.rstrip().endswith("Tram line approved")
    assert run(db_path, "mark-read", "--feed", name)[1] == "Marked 1 story read\n"
    code, _, err = run(db_path, "refresh", name + "x")
    assert code == 1 and err == f"newsdesk: no such feed: {name}x\n"


def test_export_to_a_place_it_cannot_write_names_the_file(filled, db_path, tmp_path):
    target = tmp_path / "missing" / "subs.opml"
    code, _, err = run(db_path, "export", str(target))
    assert code == 1 and err == f"newsdesk: cannot write {target}: No such file or directory\n"
    code, _, err = run(db_path, "export", str(tmp_path / "out.opml"))
    assert code == 0 and err == f"Exported 2 feeds to {tmp_path / 'out.opml'}\n"


def test_state_changes_and_imports_say_what_they_did_in_plain_words(filled, db_path):
    tram, chip, storm = ids_of(run(db_path, "stories")[1])
    assert run(db_path, "mark-read", str(tram), str(chip))[1] == "Marked 2 stories read\n"
    assert run(db_path, "mark-unread", str(tram))[1] == "Marked 1 story unread\n"
    assert run(db_path, "save", str(storm))[1] == "Saved 1 story\n"
    source = DATA / "opml" / "subscriptions-2.0.opml"
    code, out, _ = run(db_path, "import", str(source))
    assert code == 0 and out.rstrip().endswith("Fetch their stories with: newsdesk refresh")
    code, out, _ = run(db_path, "import", str(source))  # nothing new: nothing to fetch
    assert code == 0 and re.fullmatch(r"Imported 0 feeds \(\d+ already subscribed\)\.\n", out), out


def on_a_terminal(db_path, *args: str) -> str:
    """What the installed command prints with its output on a real terminal (a pty) 80 columns wide."""
    primary, secondary = pty.openpty()
    exe = Path(sys.executable).with_name("newsdesk")
    env = {**os.environ, "NEWSDESK_DB": str(db_path), "COLUMNS": "80", "TZ": "UTC"}
    with os.fdopen(primary, "rb", buffering=0) as terminal:
        proc = subprocess.run([str(exe), *args], stdout=secondary, stderr=subprocess.PIPE,
                              env=env, timeout=60)
        os.close(secondary)
        assert proc.returncode == 0, proc.stderr
        output = b""
        while True:
            try:
                chunk = terminal.read(4096)
            except OSError:  # the terminal's other end is closed: all read
                break
            if not chunk:
                break
            output += chunk
    return output.decode().replace("\r\n", "\n")


def test_an_empty_answer_says_so_on_a_terminal_and_is_empty_when_piped(filled, db_path, tmp_path):
    # `newsdesk stories --saved` printed nothing at all on a terminal: no way to tell "none" from
    # a command that did nothing; `refresh` with no feeds said "Refreshed 0 feeds".
    assert on_a_terminal(db_path, "stories", "--saved") == "No saved stories\n"
    assert on_a_terminal(db_path, "stories", "--saved", "--grouped") == "No saved stories\n"
    assert on_a_terminal(db_path, "stories", "--unread", "--feed", "World Wire").count("\n") == 2
    assert run(db_path, "stories", "--saved") == (0, "", "")
    code, out, _ = run(tmp_path / "new.db", "refresh")
    assert code == 0 and out.startswith("No feeds yet. Add one with: newsdesk add URL")


def test_wide_characters_keep_the_columns_aligned_on_a_terminal(store, db_path):
    # A Japanese feed title of 17 characters takes 23 columns: counted as characters, it pushed
    # its titles 5 columns right, and a title of 50 such characters wrapped an 80-column line.
    japanese = store.add_feed("https://arclamp.example/rdf", title="arclamp.jp アークランプ")
    plain = store.add_feed("https://plain.example/feed", title="Plain")
    store.save_stories(japanese.id, [ParsedStory(uid="j", title="プロジェクトマネジメント" * 4,
                                                 published=T0, content_hash="j")])
    store.save_stories(plain.id, [ParsedStory(uid="p", title="Plain title", published=T0 - 60,
                                              content_hash="p")])
    lines = on_a_terminal(db_path, "stories").splitlines()
    assert len(lines) == 2, lines
    from reader.cli import _cells

    japanese_line, plain_line = lines
    assert _cells(japanese_line) <= 80 and japanese_line.endswith("…")
    assert "アーク…" in japanese_line  # the feed's column is cut by width, too
    # the titles start in the same column
    assert _cells(japanese_line[: japanese_line.index("プロジェクト")]) == plain_line.index("Plain title")
