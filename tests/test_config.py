from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import pytest

from reader import config
from reader.config import Settings, default_config_text, load_settings


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_missing_file_gives_defaults_and_no_problems(tmp_path):
    assert load_settings(tmp_path / "nope.toml") == (Settings(), [])


def test_default_path_comes_from_xdg_config_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    (tmp_path / "newsdesk").mkdir()
    (tmp_path / "newsdesk" / "config.toml").write_text("show_sidebar = false\n")
    settings, problems = load_settings()
    assert problems == []
    assert settings.show_sidebar is False


def test_default_config_text_loads_to_the_defaults(tmp_path):
    settings, problems = load_settings(write(tmp_path, default_config_text()))
    assert problems == []
    assert settings == Settings()


def test_default_config_text_documents_every_field():
    text = default_config_text()
    data = tomllib.loads(text)
    for f in dataclasses.fields(Settings):
        assert f.name in data, f"{f.name} missing from the default config"
        # a comment right above each setting explains it
        lines = text.splitlines()
        index = next(
            i for i, line in enumerate(lines) if line.startswith((f.name + " ", f"[{f.name}]"))
        )
        assert lines[index - 1].startswith("#"), f.name


def test_all_values_apply(tmp_path):
    path = write(
        tmp_path,
        """
theme = "nord"
mark_read_delay = 2.5
auto_refresh_minutes = 0
show_sidebar = false
show_summary = false
fetch_articles = true
mark_group_read = false
fold_events = false

[keys]
cursor_down = "j, down"
quit = "q"
""",
    )
    settings, problems = load_settings(path)
    assert problems == []
    assert settings == Settings(
        theme="nord",
        mark_read_delay=2.5,
        auto_refresh_minutes=0,
        show_sidebar=False,
        show_summary=False,
        fetch_articles=True,
        mark_group_read=False,
        fold_events=False,
        keys={"cursor_down": "j,down", "quit": "q"},
    )


def test_never_means_no_automatic_mark_read(tmp_path):
    settings, problems = load_settings(write(tmp_path, 'mark_read_delay = "never"\n'))
    assert problems == []
    assert settings.mark_read_delay is None


def test_integer_delay_is_a_float(tmp_path):
    settings, _ = load_settings(write(tmp_path, "mark_read_delay = 3\n"))
    assert settings.mark_read_delay == 3.0
    assert isinstance(settings.mark_read_delay, float)


def test_syntax_error_names_the_line_and_uses_defaults(tmp_path):
    path = write(
        tmp_path,
        'theme = "nord"\n\n# a comment\nshow_sidebar = false\n\n\nauto_refresh_minutes = = 5\n',
    )
    settings, problems = load_settings(path)
    assert settings == Settings()
    assert len(problems) == 1
    assert problems[0].startswith("config.toml line 7: ")
    assert "defaults" in problems[0]


def test_unterminated_string_at_end_is_reported(tmp_path):
    settings, problems = load_settings(write(tmp_path, 'show_sidebar = false\ntheme = "nord'))
    assert settings == Settings()
    assert len(problems) == 1 and problems[0].startswith("config.toml line 2: ")


def test_unknown_key_is_reported_with_line_and_the_rest_applies(tmp_path):
    path = write(tmp_path, 'theme = "nord"\nshow_sidebr = false\nshow_summary = false\n')
    settings, problems = load_settings(path)
    assert settings.theme == "nord"
    assert settings.show_summary is False
    assert settings.show_sidebar is True
    assert len(problems) == 1
    assert problems[0].startswith("config.toml line 2: ")
    assert "show_sidebr" in problems[0]
    assert "show_sidebar" in problems[0]  # the suggestion


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ("theme = 3", "theme"),
        ('theme = "  "', "theme"),
        ("mark_read_delay = -1", "mark_read_delay"),
        ('mark_read_delay = "soon"', "mark_read_delay"),
        ("mark_read_delay = true", "mark_read_delay"),
        ("mark_read_delay = inf", "mark_read_delay"),
        ("auto_refresh_minutes = 2.5", "auto_refresh_minutes"),
        ("auto_refresh_minutes = -5", "auto_refresh_minutes"),
        ("auto_refresh_minutes = true", "auto_refresh_minutes"),
        ('show_sidebar = "no"', "show_sidebar"),
        ("show_summary = 1", "show_summary"),
        ("fetch_articles = 0", "fetch_articles"),
        ("mark_group_read = []", "mark_group_read"),
        ('fold_events = "no"', "fold_events"),
        ('keys = "j"', "keys"),
    ],
)
def test_wrong_type_keeps_that_default_and_names_key_and_line(tmp_path, line, key):
    before = "show_summary = false\n" if key != "show_summary" else "\n"
    path = write(tmp_path, f"{before}\n{line}\n")
    settings, problems = load_settings(path)
    assert getattr(settings, key) == getattr(Settings(), key)
    if key != "show_summary":
        assert settings.show_summary is False  # the rest still applies
    assert len(problems) == 1
    assert problems[0].startswith("config.toml line 3: ")
    assert key in problems[0]


def test_bad_key_binding_is_skipped_others_kept(tmp_path):
    path = write(tmp_path, '[keys]\ncursor_down = "j"\ncursor_up = 5\nquit = ""\n')
    settings, problems = load_settings(path)
    assert settings.keys == {"cursor_down": "j"}
    assert [p.split(":")[0] for p in problems] == ["config.toml line 3", "config.toml line 4"]
    assert "keys.cursor_up" in problems[0]
    assert "keys.quit" in problems[1]


def test_unknown_table_is_reported(tmp_path):
    settings, problems = load_settings(write(tmp_path, "[colours]\nfg = 'red'\n"))
    assert settings == Settings()
    assert problems and problems[0].startswith("config.toml line 1: ") and "colours" in problems[0]


def test_non_utf8_file_is_a_problem_not_a_crash(tmp_path):
    path = tmp_path / "config.toml"
    path.write_bytes(b'theme = "nord"\ntheme2 = "caf\xe9"\n')
    settings, problems = load_settings(path)
    assert settings == Settings()
    assert problems == ["config.toml line 2: not UTF-8 text; using defaults"]


def test_unreadable_path_is_a_problem_not_a_crash(tmp_path):
    directory = tmp_path / "config.toml"
    directory.mkdir()
    settings, problems = load_settings(directory)
    assert settings == Settings()
    assert len(problems) == 1 and "cannot read" in problems[0]


def test_settings_are_frozen_and_hashable():
    settings = Settings()
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.theme = "nord"  # type: ignore[misc]
    assert hash(settings) == hash(Settings())


def test_every_field_has_a_check_or_is_keys():
    names = {f.name for f in dataclasses.fields(Settings)}
    assert names - {"keys"} == set(config._CHECKS)
