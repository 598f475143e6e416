from reader.ui.widgets.safe_text import safe_url


def test_credentials_are_never_shown_even_in_a_broken_url():
    assert safe_url("https://bob:hunter2@[::1/feed") == "https://[::1/feed"
    assert "hunter2" not in safe_url("https://bob:hunter2@[::1]:8443/feed")


def test_ipv6_hosts_keep_their_brackets():
    assert safe_url("https://bob:pw@[2001:db8::1]:8443/feed") == "https://[2001:db8::1]:8443/feed"
    assert safe_url("https://example.org/x\x1b[31m") == "https://example.org/x"  # the whole escape goes


def test_a_user_part_that_breaks_url_parsing_still_hides_the_password():
    # found by hypothesis: urlsplit refuses "[" in the authority, and the regex missed it
    assert "PW0000" not in safe_url("https:// [:PW0000@example.org/")
