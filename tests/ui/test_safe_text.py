from reader.ui.widgets.safe_text import safe_url


def test_credentials_are_never_shown_even_in_a_broken_url():
    assert safe_url("https://bob:hunter2@[::1/feed") == "https://[::1/feed"
    assert "hunter2" not in safe_url("https://bob:hunter2@[::1]:8443/feed")


def test_ipv6_hosts_keep_their_brackets():
    assert safe_url("https://bob:pw@[2001:db8::1]:8443/feed") == "https://[2001:db8::1]:8443/feed"
    assert safe_url("https://example.org/x\x1b[31m") == "https://example.org/x"  # the whole escape goes
