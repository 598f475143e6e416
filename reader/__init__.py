"""Newsdesk: a keyboard-driven news reader for the terminal.

The package is split into a core (everything outside ``reader.ui``), which never imports Textual or
Rich, and the Textual app in ``reader.ui``.
"""

__version__ = "0.1.0"
