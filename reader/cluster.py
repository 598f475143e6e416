"""Stories told by several feeds: grouping them into one event, and one summary for the event.

When a refresh stores a feed's new stories, ``group_new_stories`` puts each into an existing group
or starts a new one. A story joins a group when

1. it has the same canonical URL as one of the group's stories (tracking parameters, case, a
   trailing slash and the fragment do not count) — the only way two stories of one feed meet;
2. its normalised title or the normalised start of its text is that of another feed's story
   published within WINDOW_S (a syndicated copy), neither names a place or a number in its title
   that the other never mentions, and no more than COPY_PROBE stories of the window have that
   title or start (more are boilerplate: "Here is your forecast for ..."); or
3. it tells the same event in other words: within WINDOW_S of a story of another feed, with a
   TF-IDF cosine of title and lead of at least JOIN_STORY (JOIN_STORY_TEXT when either has a
   lead: more words, more overlap by chance), at least MIN_SHARED words and a name or number in
   common, and no conflict — neither names a place or a number in its title that the other never
   mentions, so "wins Ohio by 16 points" and "wins Iowa by 5 points" stay apart — and with a
   cosine of at least JOIN_GROUP to the centroid of the group; or, for a group of PROFILE_MIN
   stories or more in the window, with a cosine of at least JOIN_PROFILE to its centroid alone
   (the words its reports keep repeating), a name in common and no conflict with its stories found.

A story never joins a group that already holds its feed, except by rule 1; but when a new story
fits two groups whose centroids are alike (MERGE_GROUPS; MERGE_SHARED_FEED if they have a feed in
common), neither names a place that the other never does, and the story does not conflict with the
story that pointed it at the second, the two were one event all along and are merged. A wrong
merge hides a story and a missed one only shows a line twice, so the thresholds, and every
shortcut taken for speed, lean towards missing. The thresholds were chosen on the first half (by
time) of the labelled headlines in ``../shared/corpus/clusters/`` and checked on the second half
(``benchmarks/eval_groups.py``, results in docs/quality.md).

Incremental: each story's weighted term vector is stored beside its group. A call loads only the
grouped stories within WINDOW_S of the new ones (document frequencies are counted over them, in
groups rather than stories: a term that a hundred reports of one event repeat is still that
event's own word) and keeps them in memory for the next call on the same Store — a refresh groups
feed by feed — for as long as the database's grouping generation says nobody else wrote groups
meanwhile. Nothing reads the whole history. The work per story is bounded whatever the data: a
story probes at most PROBE_TERMS of its names and PROBE_BUDGET stories, scores SCORE_TOP groups
(its own feed's stories apart, and only once it joins a group: they can only point at a group to
merge with) and looks at COPY_PROBE copies; a group's counts are added up as it grows, never
recounted; a merge moves the smaller group. The window is kept in few objects (tuples, arrays) for
Python's cycle collector, which walks every container object again at each full collection.
Stories stored before grouping existed are grouped PENDING_BATCH at a time, at the end of each
refresh (``group_pending``). What grouping reads in a story depends on the story alone
(``story_features``): a refresh reads it in its parser processes and passes it in. Timing:
``benchmarks/groups.py``.

Pure Python; the SQL is in ``reader.store``.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import itertools
import math
import re
import weakref
from array import array
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from reader.models import GroupSource, GroupSummary, Story
from reader.store import Store
from reader.summarize import STOPWORDS, bullets

__all__ = [
    "canonical_url",
    "features_key",
    "group_bullets",
    "group_new_stories",
    "group_pending",
    "group_summary",
    "story_features",
    "story_summary",
]

WINDOW_S = 48 * 3600  # stories further apart than this are not one event (rules 2 and 3)
JOIN_STORY = 0.20  # cosine of two bare headlines (neither story has a lead)
JOIN_STORY_TEXT = 0.30  # cosine when either has a lead: more words, more overlap by chance
JOIN_GROUP = 0.15  # cosine to the centroid of the group's stories within the window
MIN_SHARED = 2  # words in common: one ("dance", "rails", "second") is a coincidence
MERGE_GROUPS = 0.30  # centroid cosine at which two groups that a new story fits are merged
MERGE_CANDIDATE = 0.20  # a group with a story this like the new one is checked for a merge too
SAME_FEED_JOIN = 2.0  # cosine at which a story joins a group that holds its feed (2: never)
JOIN_PROFILE = 0.25  # cosine to a group's centroid alone that lets a story join it
PROFILE_MIN = 3  # stories a group needs in the window before its centroid alone is trusted
MERGE_SHARED_FEED = 0.40  # the centroid cosine two groups with a feed in common need to merge
TITLE_WEIGHT = 2  # a title word counts as much as this many words of the lead
LEAD_WORDS = 40  # how much of the text after the title describes the event
LEAD_CHARS = 12 * LEAD_WORDS  # read no more of the text than this (words are shorter)
TEXT_WORDS = 15  # a lead this long makes a story one "with a lead" (JOIN_STORY_TEXT)
KEY_MIN_WORDS = 5  # shorter titles ("Morning briefing") are no evidence of a copy
LEAD_KEY_WORDS = 25  # the words at the start of the text compared for a copy
# Speed (benchmarks/groups.py); each limit can only miss a merge, never make one.
VECTOR_TERMS = 20  # a story is compared by its heaviest terms only
PROBE_TERMS = 8  # it looks for others through at most this many of its names, rarest first,
PROBE_BUDGET = 200  # and no further than the name that would take it past this many stories
SCORE_TOP = 12  # of the groups found, the cosine of those with the most names in common only
WINDOW_ITEMS = 200_000  # stories kept in memory between calls on one Store, at most (~3 KB each)
PENDING_BATCH = 2000  # stories stored before grouping existed, grouped at the end of each refresh
COPY_PROBE = 32  # a title or text more stories of the window have is boilerplate, not a copy (rule 2)

# -- canonical URLs ------------------------------------------------------------------------------

# Query parameters that say how a reader arrived, never which page it is.
_TRACKING = frozenset(
    """fbclid gclid dclid gbraid wbraid msclkid yclid twclid igshid ttclid li_fat_id mc_cid mc_eid
    _ga _gl _hsenc _hsmi hsctatracking mkt_tok oly_anon_id oly_enc_id vero_id vero_conv
    ref ref_src ref_url referrer referer src_ref cmpid ncid sr_share spm smid soc_src soc_trk
    ito wt.mc_id wt.tsrc ocid taid track rss feedtype partner at_medium at_campaign at_source
    at_link at_ptr at_custom1 at_custom2 at_custom3 at_custom4 guccounter guce_referrer
    guce_referrer_sig cid_source utm""".split()
)
_CONTROL = re.compile(r"[\x00-\x20\x7f]")
# An http(s) URL that is already canonical but for its scheme: a lower-case host without "www.",
# a port or a final dot, a path without empty segments or a final slash, no query, no fragment.
_PLAIN_URL = re.compile(
    r"https?://(?!www\.)([a-z0-9-]+(?:\.[a-z0-9-]+)*)((?:/[A-Za-z0-9._~%!$&'()*+,;=:@-]+)+)?\Z"
)
_TRACKING_PREFIXES = ("utm_", "at_", "pk_", "mtm_", "matomo_", "hmb_", "_bta_", "__s", "stm_")


def canonical_url(url: str | None) -> str:
    """The address of the page a URL names, without what only tracks the visit.

    Scheme and host are lower-cased, ``http`` becomes ``https``, ``www.`` and default ports go, as do
    the fragment, a trailing slash, empty or tracking query parameters (utm_*, fbclid, gclid, mc_cid,
    ref, ...); the rest of the query is sorted. "" for what is not an http(s) URL.
    """
    if not url:
        return ""
    plain = _PLAIN_URL.match(url)
    if plain:  # most links: nothing to take off, and no need to take the URL apart (7 µs)
        return "https://" + plain[1] + (plain[2] or "/")
    return _canonical_url_parsed(url)


def _canonical_url_parsed(url: str) -> str:
    """canonical_url the long way, for any URL."""
    url = _CONTROL.sub("", url)  # as browsers do with tabs and newlines, and spaces at the ends
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").rstrip(".")
        port = parts.port
    except ValueError:
        return ""
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not host:
        return ""
    if host.startswith("www."):
        host = host[4:]
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    path = re.sub(r"/{2,}", "/", parts.path) or "/"
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    query = ""
    if parts.query:
        query = urlencode(sorted(
            (k, v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if v and k.lower() not in _TRACKING and not k.lower().startswith(_TRACKING_PREFIXES)
        ))
    return urlunsplit(("https", netloc, path, query, ""))


# -- words, names, numbers and places ------------------------------------------------------------

_STOP = STOPWORDS["en"] | frozenset(
    """says say saying update updated updates report reports reported via amid after over
    just more than how why what who new latest first last live video watch photos
    exclusive breaking analysis opinion review today tonight yesterday tomorrow week weekend""".split()
)
# Dates say when, not what: a day of the month and the names of months and weekdays are no evidence.
_MONTHS = frozenset(
    """january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec""".split()
)
_WEEKDAYS = frozenset("monday tuesday wednesday thursday friday saturday sunday".split())
_STOP |= _MONTHS | _WEEKDAYS
# Other languages' function words, for a story in one of them (picked by which list it hits most).
_STOPS = {lang: (_STOP if lang == "en" else words | _MONTHS | _WEEKDAYS) for lang, words in STOPWORDS.items()}


_LANGUAGES_OF: dict[str, tuple[str, ...]] = {}
for _lang, _words in STOPWORDS.items():
    for _word in _words:
        _LANGUAGES_OF[_word] = _LANGUAGES_OF.get(_word, ()) + (_lang,)


def _stopwords(tokens: list[str]) -> frozenset[str]:
    """The function words of the language ``tokens`` are in (the one whose list they hit most)."""
    english = STOPWORDS["en"]
    tokens = tokens[:30]
    if sum([t in english for t in tokens]) * 4 >= len(tokens):
        return _STOP  # clearly English, the common case: no need to count the others
    hits = Counter(lang for t in tokens for lang in _LANGUAGES_OF.get(t, ()))
    best = max(hits, key=lambda lang: (hits[lang], lang == "en"), default="en")
    return _STOPS[best]


# A number ("1,100", "1.24", "4:12", "5G", "30th"), or a word, which may hold digits ("HTML5", "S5").
_TOKEN = re.compile(r"\d+(?:[.,:]\d+)*[^\W_]*|[^\W\d_][^\W_]*(?:['’][^\W\d_]+)?")
_PIECE = re.compile(r"(\W*)(" + _TOKEN.pattern + ")")  # (what came before a word, the word)
_NUMBER = re.compile(r"\d+(?:[.,:]\d+)*")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?:\D|$))")  # the comma of "1,100", not of "1,5"
_ORDINAL = frozenset(("st", "nd", "rd", "th"))
_SENTENCE_END = re.compile(r"[.!?:;\"“”]\s*$")

# US states, countries and a few regions: two stories that each put a different one of these in
# the title, and never mention the other's, are about different events.
_PLACES = frozenset(
    """alabama alaska arizona arkansas california colorado connecticut delaware florida georgia
    hawaii idaho illinois indiana iowa kansas kentucky louisiana maine maryland massachusetts
    michigan minnesota mississippi missouri montana nebraska nevada new_hampshire new_jersey
    new_mexico new_york north_carolina north_dakota ohio oklahoma oregon pennsylvania
    rhode_island south_carolina south_dakota tennessee texas utah vermont virginia washington
    west_virginia wisconsin wyoming
    afghanistan albania algeria andorra angola argentina armenia australia austria azerbaijan
    bahamas bahrain bangladesh barbados belarus belgium belize benin bhutan bolivia bosnia
    botswana brazil brunei bulgaria burkina_faso burundi cambodia cameroon canada chad chile china
    colombia comoros congo costa_rica croatia cuba cyprus czechia czech_republic denmark djibouti
    dominica ecuador egypt el_salvador eritrea estonia eswatini ethiopia fiji finland france gabon
    gambia germany ghana greece grenada guatemala guinea guyana haiti honduras hungary iceland
    india indonesia iran iraq ireland israel italy jamaica japan jordan kazakhstan kenya kiribati
    kosovo kuwait kyrgyzstan laos latvia lebanon lesotho liberia libya liechtenstein lithuania
    luxembourg madagascar malawi malaysia maldives mali malta mauritania mauritius mexico
    micronesia moldova monaco mongolia montenegro morocco mozambique myanmar namibia nauru nepal
    netherlands new_zealand nicaragua niger nigeria north_korea north_macedonia norway oman
    pakistan palau palestine panama paraguay peru philippines poland portugal qatar romania
    russia rwanda samoa san_marino saudi_arabia senegal serbia seychelles sierra_leone singapore
    slovakia slovenia somalia south_africa south_korea south_sudan spain sri_lanka sudan suriname
    sweden switzerland syria taiwan tajikistan tanzania thailand togo tonga tunisia turkey
    turkmenistan tuvalu uganda ukraine united_arab_emirates uzbekistan vanuatu venezuela vietnam
    yemen zambia zimbabwe scotland wales england crimea gaza""".split()
)
_PLACE_FIRST = frozenset(p.split("_")[0] for p in _PLACES if "_" in p)
_PLACE_WORDS = _PLACES | _PLACE_FIRST


@functools.lru_cache(maxsize=1 << 16)  # news repeats its words: most are stemmed once
def _stem(word: str) -> str:
    """A light English stemmer: plurals and -ed/-ing, so "votes", "voted" and "voting" meet."""
    if len(word) > 4 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif len(word) > 3 and word[-1] == "s" and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if len(word) > 5 and word.endswith("ing"):
        word = word[:-3]
    elif len(word) > 4 and word.endswith("ed"):
        word = word[:-2]
    if len(word) > 3 and word[-1] == "e":
        word = word[:-1]
    if len(word) > 3 and word[-1] == "y":
        word = word[:-1] + "i"
    return word


_NONE: frozenset = frozenset()  # one empty set shared by every story without marks of a kind


def _frozen(values: Iterable[str]) -> frozenset[str]:
    return frozenset(values) or _NONE


@dataclass(frozen=True, slots=True)
class _Marks:
    """What two reports of one event have in common, and what tells two events apart."""

    # Frozensets in a story to group; tuples in a story of the window (``kept``).
    names: Collection[str]  # stemmed capitalised words, places, numbers
    title: Collection[str]  # "#number" and "@place" in the title
    all: Collection[str]  # "#number" and "@place" in title and lead
    text: bool  # the story has a lead (TEXT_WORDS or more)
    copies: tuple[int, ...] = ()  # hashes of its normalised title and lead (rule 2)

    def kept(self) -> "_Marks":
        """These marks as a story of the window keeps them: in tuples of strings, which Python's
        cycle collector stops looking at, where a set is walked at every full collection (a
        window of 100,000 stories made grouping spend a fifth of its time there)."""
        return _Marks(tuple(self.names), tuple(self.title), tuple(self.all), self.text, self.copies)

    def encode(self) -> str:
        parts = [n for n in self.names if n[0] not in "#@^+="]
        parts += [("^" + m if m in self.title else m) for m in self.all]
        parts += [f"={key}" for key in self.copies]
        if self.text:
            parts.append("+")
        return " ".join(parts)

    @staticmethod
    def decode(value: str) -> "_Marks":
        names: set[str] = set()
        title: set[str] = set()
        marks: set[str] = set()
        text = False
        copies = []
        for token in value.split():
            if token == "+":
                text = True
                continue
            if token[0] == "=":
                copies.append(int(token[1:]))
                continue
            if token[0] == "^":
                token = token[1:]
                title.add(token)
            if token[0] in "#@":
                marks.add(token)
                if token[0] == "@" or len(token) > 2:
                    names.add(token[1:])
            else:
                names.add(token)
        return _Marks(_frozen(names), _frozen(title), _frozen(marks), text, tuple(copies))


def _conflict(a: _Marks | _Group, b: _Marks | _Group) -> bool:
    """Each names a place (or each a number) in its title that the other never mentions."""
    a_title, b_title = a.title, b.title
    if not a_title or not b_title:
        return False
    # (Plain loops: this runs for most stories a new one finds, and a comprehension is a call.)
    b_all = b.all
    a_only = ""  # the kinds of a's own marks: "@" (a place), "#" (a number)
    for m in a_title:
        if m not in b_all:
            a_only += m[0]
    if not a_only:
        return False
    a_all = a.all
    for m in b_title:
        if m not in a_all and m[0] in a_only:
            return True
    return False


class _Reader:
    """Terms, names and marks of a story's title and lead."""

    def __init__(self, stop: frozenset[str]):
        self.stop = stop
        self.terms: dict[str, int] = {}
        self.names: set[str] = set()
        self.marks: set[str] = set()

    def read(self, pieces: list[tuple[str, str]], lowered: list[str], weight: int, title: bool) -> None:
        """Add the terms of a text's ``pieces`` (_PIECE.findall) and their ``lowered`` words."""
        terms, names = self.terms, self.names
        known = _TERM_OF.get(self.stop)
        if known is None or len(known) > _TERM_CACHE:
            known = _TERM_OF[self.stop] = {}
        skip = False
        for i, (gap, token) in enumerate(pieces):
            if skip:
                skip = False
                continue
            low = lowered[i]
            term = known.get(low, _UNKNOWN)
            if term is _UNKNOWN:
                term = known[low] = _term(low, self.stop)
            if term is None:  # a function word, the most common case
                continue
            if term == "#":
                self._number(token, low, lowered, i, weight)
                continue
            if term[0] == "@":  # what may be (the start of) a place's name
                low = term[1:]
                if low in _PLACE_FIRST and i + 1 < len(lowered) and f"{low}_{lowered[i + 1]}" in _PLACES:
                    place, skip = f"{low}_{lowered[i + 1]}", True
                elif low in _PLACES:
                    place = low
                else:  # "north", "san": only the start of a place's name
                    term = _term(low, self.stop, place=False)
                    if term is None:
                        continue
                    place = None
                if place is not None:
                    terms[place] = terms.get(place, 0) + weight
                    names.add(place)
                    self.marks.add("@" + place)
                    continue
            terms[term] = terms.get(term, 0) + weight
            # A capital inside a sentence marks a name; one after its end says nothing.
            if token[0].isupper() and (title or i > 0 and _ENDS.isdisjoint(gap)):
                names.add(term)

    def _number(self, token: str, low: str, lowered: list[str], i: int, weight: int) -> None:
        digits = _NUMBER.match(token).group()
        unit = low[len(digits):]
        if unit in _ORDINAL:
            unit = ""
        number = _THOUSANDS.sub("", digits).replace(",", ".") if "," in digits else digits
        near_month = (i > 0 and lowered[i - 1] in _MONTHS) or (i + 1 < len(lowered) and lowered[i + 1] in _MONTHS)
        if not unit and len(number) <= 2 and near_month:
            return  # "March 10", "30th June": a date says when, not what
        term = number + unit  # "1.24", "5g"
        self.terms[term] = self.terms.get(term, 0) + weight
        if unit or not (len(number) == 4 and number[:2] in ("19", "20")):  # nor does a year
            self.marks.add("#" + term)
            if len(term) > 1:  # "1" and "2" are in too many stories to tie two together
                self.names.add(term)


_ENDS = frozenset(".!?:;")
_UNKNOWN = object()
_TERM_CACHE = 1 << 17  # words remembered per language, then forgotten all at once
_TERM_OF: dict[frozenset[str], dict[str, str | None]] = {}  # stop words -> word -> term


def _term(low: str, stop: frozenset[str], place: bool = True) -> str | None:
    """The term a lower-cased word counts as: None for a function word or a letter, "#" for a
    number, "@" and the word for what may be (the start of) a place's name, else its stem."""
    if low[0].isdecimal():  # what \d matches; "²" is a word
        return "#"
    if "'" in low:
        base, _, suffix = low.partition("'")
        low = base if suffix == "s" else base + suffix
    if low in stop:
        return None
    if place and low in _PLACE_WORDS:
        return "@" + low  # never a term: a word starts with a letter
    if len(low) < 2:
        return None
    return _stem(low)


@dataclass(slots=True, eq=False)
class _New:
    """A story to group."""

    story_id: int
    feed_id: int
    published: int
    url_key: int | None  # hash of the canonical URL (rule 1)
    terms: dict[str, int]
    marks: _Marks
    vector: dict[str, float] = field(default_factory=dict)
    kept: _Marks | None = None  # its marks as the window keeps them, when given so


@dataclass(slots=True, eq=False)
class _Lead:
    """What the start of a text reads as; kept for a while, as syndicated copies repeat it."""

    pieces: list[tuple[str, str]]  # _PIECE.findall, cut to the words read
    words: list[str]  # lower-cased
    key: tuple[int, ...]  # its copy key (rule 2), if it is long enough


# Texts seen twice lately, each with what it read as: (terms, names, marks) by stop words. Tuples
# and plain dicts of strings, which Python's cycle collector soon stops looking at.
_LEADS: dict[str, tuple[tuple[str, ...], tuple[int, ...], dict]] = {}
_SEEN: set[int] = set()  # hashes of the texts seen once lately
_LEADS_KEPT = 1024


def _lead(text: str) -> _Lead:
    wanted = max(LEAD_WORDS, LEAD_KEY_WORDS)
    # Most texts hold the words wanted within 7 characters per word; finding one word more than
    # wanted there shows the last one wanted was not cut. Else all of LEAD_CHARS: same words.
    pieces = _PIECE.findall(text[: 7 * wanted])
    if len(pieces) <= wanted and len(text) > 7 * wanted:
        pieces = _PIECE.findall(text)
    del pieces[wanted:]
    words = [token.lower().replace("’", "'") for _, token in pieces]
    key = words[:LEAD_KEY_WORDS]
    return _Lead(pieces, words, (_hash("l " + " ".join(key)),) if len(key) >= LEAD_KEY_WORDS else ())


def _new(story_id: int, feed_id: int, published: int, url: str | None, title: str, text: str) -> _New:
    url_key, terms, marks = _read(url, title, text)
    return _New(story_id, feed_id, published, url_key, terms, marks)


def _read(url: str | None, title: str, text: str) -> tuple[int | None, dict[str, int], _Marks]:
    """What grouping reads in one story: its URL key, weighted terms and marks."""
    head = _PIECE.findall(title)  # (what came before the word, the word)
    head_words = [token.lower().replace("’", "'") for _, token in head]
    text = text[:LEAD_CHARS]
    kept = _LEADS.get(text)
    if kept is None:
        lead = _lead(text)
        words, lead_key, lead_pieces = lead.words, lead.key, len(lead.pieces)
    else:
        words, lead_key, readings = kept
        lead, lead_pieces = None, len(words)
    stop = _stopwords(head_words + list(words[:30]))
    reader = _Reader(stop)
    reader.read(head, head_words, TITLE_WEIGHT, title=True)
    title_marks = _frozen(reader.marks)
    if kept is None and hash(text) not in _SEEN:  # the common case: a text seen once
        if len(_SEEN) >= 16 * _LEADS_KEPT:
            _SEEN.clear()
        _SEEN.add(hash(text))
        reader.read(lead.pieces[:LEAD_WORDS], lead.words[:LEAD_WORDS], 1, title=False)  # adds to the title's
    else:  # a text that comes again (copies, boilerplate): read once, kept for a while
        if kept is None:
            if len(_LEADS) >= _LEADS_KEPT:
                _LEADS.clear()
            readings = {}
            _LEADS[text] = (tuple(lead.words), lead.key, readings)
        reading = readings.get(stop)
        if reading is None:
            lead = lead or _lead(text)
            alone = _Reader(stop)
            alone.read(lead.pieces[:LEAD_WORDS], lead.words[:LEAD_WORDS], 1, title=False)
            reading = readings[stop] = (alone.terms, tuple(alone.names), tuple(alone.marks))
        terms = reader.terms
        for t, c in reading[0].items():
            terms[t] = terms.get(t, 0) + c
        reader.names.update(reading[1])
        reader.marks.update(reading[2])
    key = canonical_url(url)
    marks = _Marks(_frozen(reader.names), title_marks, _frozen(reader.marks), lead_pieces >= TEXT_WORDS,
                   _copy_keys(head_words) + lead_key)
    return (_hash(key) if key else None), reader.terms, marks


# What story_features returns: plain values, cheap to send from a parser process.
Features = tuple  # (url key, terms, their counts, names, title marks, marks, has a lead, copy keys)


def story_features(url: str | None, title: str, text: str) -> Features:
    """What grouping reads in a story, which depends on the story alone: computed where it is
    parsed (a worker process in a refresh), so the process that groups only searches and counts.
    ``text`` may be whole; only its start is read. Pure, and the same in every process."""
    url_key, terms, marks = _read(url, title or "", (text or "")[:LEAD_CHARS])
    return (url_key, tuple(terms), tuple(terms.values()), tuple(marks.names), tuple(marks.title),
            tuple(marks.all), marks.text, marks.copies)


def features_key(url: str | None, title: str | None, text: str | None) -> tuple[str | None, str, str]:
    """The key of a story's features in ``group_new_stories(..., features=)``: all they are read from."""
    return url, title or "", (text or "")[:LEAD_CHARS]


def _from_features(story_id: int, feed_id: int, published: int, features: Features) -> _New:
    url_key, words, counts, names, title, marks, text, copies = features
    # Names are looked up in sets; the few marks of a title are as quickly found in a tuple.
    return _New(story_id, feed_id, published, url_key, dict(zip(words, counts)),
                _Marks(_frozen(names), title, marks, text, copies), kept=_Marks(names, title, marks, text, copies))


def _copy_keys(title_words: list[str]) -> tuple[int, ...]:
    """The key two copies of one story share by title, normalised (_lead has the text's)."""
    if len([w for w in title_words if w not in _STOP]) >= KEY_MIN_WORDS:
        return (_hash("t " + " ".join(title_words)),)
    return ()


def _hash(text: str) -> int:
    """A 64-bit key for a text (SQLite's INTEGER), the same in every process."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big", signed=True)


_LOGS = [0.0]  # _LOGS[n] is log(n + 1), for the IDF of every story
_TF = [0.0] + [1.0 + math.log(c) for c in range(1, 256)]  # _TF[c] is 1 + log(c), for a term's count c


_first = itemgetter(0)


def _weigh(terms: dict[str, int], df: dict[str, int], groups: int) -> dict[str, float]:
    """TF-IDF of a story's VECTOR_TERMS heaviest terms, unit length; ``df`` counts the groups of
    the window that have each term. The light rest are words most stories have: they would only
    blur the cosine and lengthen every comparison."""
    logs = _LOGS
    if groups >= len(logs):  # a document frequency is at most the window's group count
        logs.extend(map(math.log, range(len(logs) + 1, 2 * groups + 2)))
    top = logs[groups] + 1.0
    get, log, tf = df.get, math.log, _TF
    try:
        weights = [(tf[c] * (top - logs[get(t, 0)]), t) for t, c in terms.items()]
    except IndexError:  # a term said 256 times; else never (no term is in more groups than there are)
        weights = [((1.0 + log(c)) * (top - log(get(t, 0) + 1)), t) for t, c in terms.items()]
    if len(weights) > VECTOR_TERMS:
        # By weight alone: among equal weights (words of the lead said once, in no other story
        # yet) the sort keeps reading order, so the first words of the text are kept, not the
        # alphabetically last (the ship that named an event, "aurelia", lost to "went").
        weights.sort(key=_first, reverse=True)
        del weights[VECTOR_TERMS:]
    norm = math.sqrt(sum([w * w for w, _ in weights]))
    return {t: w / norm for w, t in weights} if norm else {}


def _encode_vector(vector: dict[str, float]) -> str:
    # (%-formatting writes the same text as f"{t} {w:.3f}" in half the time: no format-spec parsing)
    return " ".join(["%s %.3f" % item for item in vector.items()])


def _decode_vector(value: str) -> dict[str, float]:
    parts = value.split()
    return dict(zip(parts[0::2], map(float, parts[1::2])))


def _dot(a: dict[str, float], b: dict[str, float]) -> float:
    return sum([a[t] * b[t] for t in a.keys() & b.keys()])  # (the smaller one is walked)


# -- the window of recent stories ----------------------------------------------------------------


@dataclass(slots=True, eq=False)
class _Item:
    """A grouped story in the window."""

    story_id: int
    feed_id: int
    published: int
    group: _Group
    vector: dict[str, float]
    marks: _Marks


@dataclass(slots=True, eq=False)
class _Group:
    id: int
    feeds: set[int]  # of all its stories, also those outside the window
    members: list[_Item] = field(default_factory=list)  # those within the window
    centroid: dict[str, float] = field(default_factory=dict)
    square: float = 0.0  # the centroid's squared norm, kept up as stories come (a big group's
    # centroid has thousands of terms: summing them again for every new story grew with the group)
    new: bool = False  # begun by this call, not yet stored
    # The places its stories name in titles, and in titles or leads: two groups that each name a
    # place the other never does are two events (_conflict). Numbers differ too often within one.
    # Tuples until a second story names a place (most groups are one story, and a tuple of strings
    # is no work for Python's cycle collector), sets from then on.
    title: Collection[str] = ()
    all: Collection[str] = ()

    def add(self, item: _Item) -> None:
        self.members.append(item)
        if item.marks.all:
            places = tuple([m for m in item.marks.all if m[0] == "@"])
            if places:
                title = tuple([m for m in item.marks.title if m[0] == "@"])
                if not self.all:
                    self.title, self.all = title, places
                else:
                    if type(self.all) is tuple:
                        self.title, self.all = set(self.title), set(self.all)
                    self.title.update(title)
                    self.all.update(places)
        centroid = self.centroid
        square = self.square
        if not centroid:  # its first story (most groups have one): the same sums, fewer steps
            self.centroid = dict(item.vector)
            for w in item.vector.values():
                square += w * w
            self.square = square
            return
        for t, w in item.vector.items():
            old = centroid.get(t, 0.0)
            centroid[t] = new = old + w
            square += new * new - old * old
        self.square = square

    def centroid_norm(self) -> float:
        return math.sqrt(self.square) if self.square > 0.0 else 0.0

    def likeness(self, vector: dict[str, float]) -> float:
        norm = self.centroid_norm()
        if not norm:
            return 0.0
        centroid = self.centroid
        return sum([vector[t] * centroid[t] for t in vector.keys() & centroid.keys()]) / norm


def _alike(a: _Group, b: _Group) -> float:
    na, nb = a.centroid_norm(), b.centroid_norm()
    return _dot(a.centroid, b.centroid) / (na * nb) if na and nb else 0.0


class _Window:
    """The grouped stories of some time spans, indexed by term; kept between calls on one Store."""

    def __init__(self, generation: int):
        self.generation = generation
        self.items: dict[int, _Item] = {}
        self.groups: dict[int, _Group] = {}
        # term -> (stories, their weights of it): a list and an array, not a tuple per story, which
        # Python's cycle collector would walk again at every full collection as the window grows.
        self.postings: dict[str, tuple[list[_Item], array[float]]] = {}
        self.spans: list[tuple[int, int]] = []  # loaded [lo, hi] publication times, disjoint, sorted
        # Document frequency for TF-IDF counts groups, not stories: a term that a hundred reports
        # of one event repeat is still that event's own word. It is counted over the window's
        # groups (their stories' vectors), so nothing but the window is read.
        self.df: dict[str, int] = {}
        self.live = 0  # groups with a story in the window
        # copy key (rule 2) -> the story with it, or a list of the stories when several have it
        # (most keys are one story's title: a list each would be 100,000 more objects to collect)
        self.copies: dict[int, _Item | list[_Item]] = {}

    def missing(self, lo: int, hi: int) -> list[tuple[int, int]]:
        out = []
        cursor = lo
        for a, b in self.spans:
            if b < cursor:
                continue
            if a > hi:
                break
            if a > cursor:
                out.append((cursor, a - 1))
            cursor = max(cursor, b + 1)
        if cursor <= hi:
            out.append((cursor, hi))
        return out

    def loaded(self, lo: int, hi: int) -> None:
        merged: list[tuple[int, int]] = []
        for a, b in sorted(self.spans + [(lo, hi)]):
            if merged and a <= merged[-1][1] + 1:
                merged[-1] = (merged[-1][0], max(merged[-1][1], b))
            else:
                merged.append((a, b))
        self.spans = merged

    def add(self, item: _Item) -> None:
        self.items[item.story_id] = item
        copies = self.copies
        for key in item.marks.copies:
            held = copies.get(key)
            if held is None:
                copies[key] = item
            elif type(held) is list:
                held.append(item)
            else:
                copies[key] = [held, item]
        group = item.group
        if not group.members:
            self.live += 1
        centroid, df, vector = group.centroid, self.df, item.vector
        for t in vector.keys() - centroid.keys() if centroid else vector:
            df[t] = df.get(t, 0) + 1
        # New stories look for others by name (_scores). A story with a lead is found by its names;
        # a bare headline has few words and every one of them may be the one it shares.
        postings = self.postings
        for t in vector.keys() & item.marks.names if item.marks.text else vector:
            posting = postings.get(t)
            if posting is None:
                posting = postings[t] = ([], array("d"))
            posting[0].append(item)
            posting[1].append(vector[t])
        group.add(item)

    def group(self, group_id: int, store: Store) -> _Group:
        """A group by id; one outside the window (a URL match) is known by its feeds only."""
        group = self.groups.get(group_id)
        if group is None:
            feeds = store.group_feeds([group_id]).get(group_id, set())
            group = self.groups[group_id] = _Group(group_id, set(feeds))
        return group

    def merge(self, a: _Group, b: _Group) -> _Group:
        """One group of two: it keeps the lower id (a stored group's, when one is) and the bigger
        one's members, centroid and object, and takes in the smaller's, so a merge costs the
        smaller group's size, never the bigger's. Returns it; the other object is dead."""
        low = a if a.id < b.id else b
        big, small = (a, b) if len(a.members) >= len(b.members) else (b, a)
        for t in small.centroid.keys() & big.centroid.keys():
            self.df[t] -= 1
        if small.members and big.members:
            self.live -= 1
        for item in small.members:
            item.group = big
            big.add(item)
        big.feeds |= small.feeds
        del self.groups[a.id], self.groups[b.id]
        big.id, big.new = low.id, low.new
        self.groups[big.id] = big
        return big

    def load(self, store: Store, lo: int, hi: int) -> None:
        """Bring the grouped stories published in [lo, hi] into the window."""
        found: list[int] = []
        for a, b in self.missing(lo, hi):
            for story_id, group_id, feed_id, published, vector, marks in store.grouped_between(a, b):
                if story_id in self.items:
                    continue
                group = self.groups.get(group_id)
                if group is None:
                    group = self.groups[group_id] = _Group(group_id, set())
                    found.append(group_id)
                self.add(_Item(story_id, feed_id, published, group, _decode_vector(vector),
                               _Marks.decode(marks).kept()))
            self.loaded(a, b)
        for group_id, feeds in store.group_feeds(found).items():
            self.groups[group_id].feeds |= feeds


# One window per open Store; it goes when the Store does.
_windows: "weakref.WeakKeyDictionary[Store, _Window]" = weakref.WeakKeyDictionary()


# -- grouping ------------------------------------------------------------------------------------


def _scores(
    s: _New, window: _Window, threshold: float
) -> tuple[dict[_Item, float | None], Callable[[], dict[_Item, float | None]] | None]:
    """Cosine of the story with the window's stories that share a name with it and may reach
    ``threshold`` (rule 3 wants a name in common, so no other story can join it anyway); None for
    a story that conflicts with it (_conflict); those of stories in a group that holds its feed
    only when asked (the second value: it adds them, but for those in conflict, to the first and
    returns it; None when there are none).

    They are found through the postings of the story's rarest names, at most PROBE_TERMS of them
    and PROBE_BUDGET stories in all: a common name finds too much to be worth walking (a story that
    shares only such names is missed: a missed merge, never a wrong one). Its own feed's stories
    are passed over. The cosine is then completed from each found story's own terms. Most of the
    window is never touched.
    """
    vector = s.vector
    postings = window.postings
    # The rarest names first: they find the reports of the same event for the least work.
    probe = sorted([(len(postings[t][0]), t) for t in s.marks.names if t in vector and t in postings])
    # The story's own feed's are passed over: rule 3 never joins them, they only point at groups
    # to merge with (found again below if it comes to that); in a feed of look-alike stories they
    # would be all it finds, and take the places of other feeds' stories among the SCORE_TOP.
    found: dict[_Item, float] = {}
    feed_id = s.feed_id if SAME_FEED_JOIN > 1 else None
    walked: dict[str, float] = {}
    budget = PROBE_BUDGET
    for size, t in probe[:PROBE_TERMS]:
        if size > budget:
            break
        budget -= size
        walked[t] = w = vector[t]
        more = {item: w * weight for item, weight in zip(*postings[t]) if item.feed_id != feed_id}
        if found:
            # The same sums as adding name by name (0.0 + x is x), and the same order: those found
            # before keep their places, the newly found follow in the order of the name's postings.
            for item in more.keys() & found.keys():
                more[item] += found[item]
            found.update(more)
        else:
            found = more
    tail = {t: w for t, w in vector.items() if t not in walked}
    # The most the tail can add (Cauchy-Schwarz): its norm; the vector has unit length.
    bound = math.sqrt(max(0.0, 1.0 - sum([vector[t] ** 2 for t in walked])))
    scores: dict[_Item, float | None] = {}
    # A story of a group that holds this story's feed can only point at a group to merge with,
    # which matters only once the story joins a group: its cosine is completed then, if ever.
    defer = SAME_FEED_JOIN > 1
    later: list[tuple[_Item, float]] = []
    marks = s.marks
    for item, partial in _best_of_groups(found):
        if partial + bound >= threshold:
            if defer and s.feed_id in item.group.feeds:
                later.append((item, partial))
            elif _conflict(marks, item.marks):
                scores[item] = None  # never joined, never a pointer to a merge: no cosine needed
            else:
                theirs = item.vector
                scores[item] = partial + sum([tail[t] * theirs[t] for t in tail.keys() & theirs.keys()])
    if later or feed_id is not None and walked:
        def complete() -> dict[_Item, float | None]:
            mine: dict[_Item, float] = {}
            for t, w in walked.items():  # the same walk, the same sums
                for item, weight in zip(*postings[t]):
                    if item.feed_id == feed_id:
                        mine[item] = mine.get(item, 0.0) + w * weight
            for item, partial in itertools.chain(later, _best_of_groups(mine)):
                if partial + bound >= threshold and not _conflict(marks, item.marks):
                    theirs = item.vector
                    scores[item] = partial + sum([tail[t] * theirs[t] for t in tail.keys() & theirs.keys()])
            return scores

        return scores, complete
    return scores, None


def _best_of_groups(found: dict[_Item, float]) -> Iterable[tuple[_Item, float]]:
    """Exact cosines only for the story of each group with the most names in common, and for the
    SCORE_TOP groups with the most: the others would rarely be the best, and a common name finds
    hundreds."""
    if len(found) <= SCORE_TOP:
        return found.items()
    kept: dict[_Group, tuple[_Item, float]] = {}
    for item, partial in sorted(found.items(), key=itemgetter(1), reverse=True):
        if item.group not in kept:
            kept[item.group] = (item, partial)
            if len(kept) == SCORE_TOP:
                break
    return kept.values()


def _joinable(s: _New, window: _Window) -> tuple[list[_Group], list[_Group]]:
    """The groups rule 3 lets the story join, the most alike first; and the groups to check for a
    merge with the first (the others it could join, and those with a story MERGE_CANDIDATE alike)."""
    scores, complete = _scores(s, window, min(JOIN_STORY, JOIN_STORY_TEXT, MERGE_CANDIDATE))
    best: dict[_Group, float] = {}
    seen: dict[_Group, list[_Item]] = {}
    for item, score in scores.items():
        if abs(item.published - s.published) > WINDOW_S:
            continue
        seen.setdefault(item.group, []).append(item)
        if score is None:  # in conflict: it also keeps the story from joining its group (below)
            continue
        threshold = JOIN_STORY_TEXT if s.marks.text or item.marks.text else JOIN_STORY
        if item.feed_id == s.feed_id:
            threshold = max(threshold, SAME_FEED_JOIN)
        if (
            score < threshold
            or score <= best.get(item.group, 0.0)
            or s.marks.names.isdisjoint(item.marks.names)
            or len(s.vector.keys() & item.vector.keys()) < MIN_SHARED
        ):
            continue
        best[item.group] = score
    ranked = []
    for group, score in best.items():
        if s.feed_id in group.feeds and score < SAME_FEED_JOIN:
            continue
        central = group.likeness(s.vector)
        if central >= JOIN_GROUP:
            ranked.append((score + central, group))
    for group, found in seen.items():
        if group in best or len(group.members) < PROFILE_MIN or (s.feed_id in group.feeds and SAME_FEED_JOIN > 1):
            continue
        central = group.likeness(s.vector)
        if central >= JOIN_PROFILE and not any(scores[i] is None for i in found) and any(
            not s.marks.names.isdisjoint(i.marks.names) for i in found
        ):
            ranked.append((central, group))
    ranked.sort(key=lambda sg: -sg[0])
    joinable = [g for _, g in ranked]
    if not joinable:
        return [], []
    if complete is not None:
        scores = complete()
    # Other groups with a story about as like it: perhaps the same event, found twice. (Not one
    # whose story names another place or number in its title: "story 3" and "story 4" of a feed
    # of look-alikes are two stories, however alike their words.)
    others = {
        item.group
        for item, score in scores.items()
        if score is not None and score >= MERGE_CANDIDATE and abs(item.published - s.published) <= WINDOW_S
    }
    others.difference_update(joinable)
    return joinable, joinable[1:] + sorted(others, key=lambda g: g.id)


def _by_keys(
    s: _New, urls: dict[int, int], window: _Window, store: Store, redirect: dict[int, int]
) -> _Group | None:
    """The group of a story with the same canonical URL, or of another feed's copy (rules 1, 2)."""
    if s.url_key is not None and s.url_key in urls:
        return window.group(_follow(urls[s.url_key], redirect), store)
    for key in s.marks.copies:
        # A title or start of text that more than COPY_PROBE stories of the window have is
        # boilerplate ("Here is your forecast for ..."), not a copy of one story: no evidence.
        held = window.copies.get(key)
        if held is None or type(held) is list and len(held) > COPY_PROBE:
            continue
        for item in reversed(held) if type(held) is list else (held,):
            if (
                item.feed_id != s.feed_id
                and abs(item.published - s.published) <= WINDOW_S
                and s.feed_id not in item.group.feeds
                # A copy keeps its title's places and numbers: two texts that start alike under
                # "Ohio: high of 21" and "Iowa: high of 15" are a forecast's boilerplate.
                and not _conflict(s.marks, item.marks)
            ):
                return item.group
    return None


def _follow(group_id: int, redirect: dict[int, int]) -> int:
    while group_id in redirect:
        group_id = redirect[group_id]
    return group_id


def _spans(news: list[_New]) -> list[tuple[int, int]]:
    """The publication times the new stories must be compared with, as few disjoint spans."""
    spans: list[tuple[int, int]] = []
    for s in news:  # sorted by publication
        lo, hi = s.published - WINDOW_S, s.published + WINDOW_S
        if spans and lo <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], hi))
        else:
            spans.append((lo, hi))
    return spans


def group_new_stories(
    store: Store, story_ids: Iterable[int], features: Mapping[tuple, Features] | None = None
) -> list[int]:
    """Put newly stored stories into groups; returns the ids of the groups that gained stories.

    Stories already grouped stay where they are, so calling twice changes nothing. Call it inside
    the transaction that stored the stories (as ``refresh.store_result`` does) or after it.
    ``features`` may hold what ``story_features`` read in some of them, by ``features_key``
    (a refresh reads them in its parser processes); the others are read here.
    """
    try:
        return _group_new_stories(store, story_ids, features)
    except BaseException:
        # The window may hold what was never written (or is rolled back with the transaction):
        # the next call reads it again from the database.
        _windows.pop(store, None)
        raise


def _group_new_stories(
    store: Store, story_ids: Iterable[int], features: Mapping[tuple, Features] | None
) -> list[int]:
    with store.write(), _collector_paused():
        rows = store.grouping_inputs(story_ids, LEAD_CHARS)
        if not rows:
            return []
        news = []
        for sid, fid, pub, url, title, text in rows:
            title, text = title or "", text or ""
            # Keyed by all they are read from: features found are those this story would give.
            read = features.get((url, title, text)) if features else None
            news.append(_new(sid, fid, pub, url, title, text) if read is None else _from_features(sid, fid, pub, read))
        news.sort(key=lambda s: (s.published, s.story_id))
        window = _windows.get(store)
        generation = store.group_generation()
        # A Store kept open for days (the app) would keep every story it ever grouped: start over.
        if window is None or window.generation != generation or len(window.items) > WINDOW_ITEMS:
            window = _windows[store] = _Window(generation)
        for lo, hi in _spans(news):
            window.load(store, lo, hi)

        # Rule 1 has no time limit: the only lookup outside the window.
        urls = store.group_url_matches({s.url_key for s in news if s.url_key is not None})

        next_id = store.next_group_id()
        touched: dict[int, _Group] = {}
        redirect: dict[int, int] = {}  # merged group -> the group it went into
        merges: list[tuple[int, int]] = []  # stored groups merged into stored ones
        items: list[_Item] = []
        for s in news:
            s.vector = _weigh(s.terms, window.df, window.live)
            group = _by_keys(s, urls, window, store, redirect)
            if group is None:
                joinable, others = _joinable(s, window)
                if joinable:
                    group = joinable[0]
                    for other in others:
                        if window.groups.get(other.id) is not other or other is group:
                            continue  # merged into another already
                        # A story that fits two alike groups shows they were one event all along.
                        alike = _alike(group, other)
                        if alike >= MERGE_GROUPS and not _conflict(group, other) and (
                            alike >= MERGE_SHARED_FEED or not group.feeds & other.feeds
                        ):
                            gone_id, gone_new = max(group.id, other.id), (group if group.id > other.id else other).new
                            group = window.merge(group, other)
                            redirect[gone_id] = group.id
                            if not gone_new:  # (then neither is the other: its id is lower)
                                merges.append((gone_id, group.id))
                            touched.pop(gone_id, None)
            if group is None:
                group = window.groups[next_id] = _Group(next_id, set(), new=True)
                next_id += 1
            group.feeds.add(s.feed_id)
            touched[group.id] = group
            item = _Item(s.story_id, s.feed_id, s.published, group, s.vector, s.kept or s.marks.kept())
            window.add(item)
            items.append(item)
            if s.url_key is not None:
                urls.setdefault(s.url_key, group.id)

        members = [
            (i.story_id, i.group.id, i.feed_id, i.published, s.url_key, _encode_vector(i.vector),
             i.marks.encode())
            for i, s in zip(items, news)
        ]
        added: dict[int, list[_Item]] = {}
        for i in items:
            added.setdefault(i.group.id, []).append(i)
        new_groups = []
        grown = []
        for g in touched.values():
            mine = added[g.id]
            first = min(mine, key=lambda m: (m.published, m.story_id))
            last = max(m.published for m in mine)
            if g.new:  # all its stories are new: a new group only ever takes in new ones
                new_groups.append((g.id, first.story_id, len(mine), len(g.feeds), first.published, last))
            else:
                grown.append((g.id, len(mine), len(g.feeds), first.published, first.story_id, last))
            g.new = False
        window.generation = store.save_grouping(new_groups, members, grown, merges)
        return list(touched)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Grouping makes a great many small objects and no garbage cycles; Python's cycle collector
    would scan the whole window again and again meanwhile (a fifth of the time of a big refresh)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def group_pending(store: Store, since: int | None = None, limit: int | None = None) -> list[int]:
    """Group the stories that have no group yet (stored before grouping existed, or by code that
    did not call ``group_new_stories``), those published from ``since`` on, the newest ``limit``
    of them; returns the ids of the groups that gained stories. A refresh calls it with
    PENDING_BATCH, so an old database is grouped a batch at a time, newest first."""
    with store.write():
        if not store.has_ungrouped():
            return []
        return group_new_stories(store, store.ungrouped_story_ids(since, limit))


# -- one summary for a group ---------------------------------------------------------------------

REDUNDANT = 0.35  # cosine above which two bullets say the same thing (other words, same news)
MMR_LAMBDA = 0.7
NEW_SOURCE_BONUS = 0.15  # a bullet from a source not yet quoted: the summary draws on all of them


@dataclass(slots=True, eq=False)
class _Candidate:
    source: int
    rank: int
    text: str
    vector: dict[str, float]
    relevance: float = 0.0


def _unit(terms: dict[str, int]) -> dict[str, float]:
    norm = math.sqrt(sum(c * c for c in terms.values()))
    return {t: c / norm for t, c in terms.items()} if norm else {}


def _sentence_vector(text: str) -> dict[str, float]:
    pieces = _PIECE.findall(text)
    words = [token.lower().replace("’", "'") for _, token in pieces]
    reader = _Reader(_stopwords(words))
    reader.read(pieces, words, 1, title=False)
    return _unit(reader.terms)


def group_bullets(texts_with_titles: Sequence[tuple[str, str]], max_bullets: int = 5) -> list[str]:
    """Bullets for one event told by several stories, each a whole sentence of one of them.

    Each story's own bullets (``summarize.bullets``) are the candidates. They are ranked by their
    place in their story and by how much the other stories say the same, then picked by maximal
    marginal relevance with a bonus for a story not yet quoted; a candidate too like a chosen
    bullet (cosine above REDUNDANT) is never taken. Most important first. Stories without text
    give their titles instead, when no story has text.
    """
    if max_bullets <= 0:
        return []
    candidates: list[_Candidate] = []
    for source, (text, title) in enumerate(texts_with_titles):
        for rank, sentence in enumerate(bullets(text or "", title or "", max_bullets=5)):
            candidates.append(_Candidate(source, rank, sentence, _sentence_vector(sentence)))
    if not candidates:
        for source, (_, title) in enumerate(texts_with_titles):
            if title and title.strip():
                candidates.append(_Candidate(source, 0, title.strip(), _sentence_vector(title)))
    sources = {c.source for c in candidates}
    titles = _unit(sum((Counter(_sentence_vector(t)) for _, t in texts_with_titles if t), Counter()))
    for c in candidates:
        others = [o for o in candidates if o.source != c.source]
        support = max((_dot(c.vector, o.vector) for o in others), default=0.0)
        position = 1.0 / (1.0 + c.rank / 2.0)
        c.relevance = 0.45 * position + 0.35 * support + 0.20 * _dot(c.vector, titles)
        if len(sources) == 1:
            c.relevance = 0.7 * position + 0.3 * _dot(c.vector, titles)

    chosen: list[_Candidate] = []
    pool = list(candidates)
    quoted: set[int] = set()
    while pool and len(chosen) < max_bullets:
        def score(c: _Candidate) -> float:
            overlap = max((_dot(c.vector, x.vector) for x in chosen), default=0.0)
            bonus = NEW_SOURCE_BONUS if c.source not in quoted else 0.0
            return MMR_LAMBDA * c.relevance - (1 - MMR_LAMBDA) * overlap + bonus

        best = max(pool, key=score)
        chosen.append(best)
        quoted.add(best.source)
        pool = [c for c in pool if c is not best and _dot(c.vector, best.vector) <= REDUNDANT
                and c.text != best.text]
    return [c.text for c in chosen]


# -- summaries, computed once and kept -----------------------------------------------------------

# Part of every kept summary's key: bump it when summarize.bullets or group_bullets would choose
# differently, and every kept summary is computed again when next shown.
SUMMARY_VERSION = 3


def _summary_input(store: Store, story: Story) -> tuple[str, str]:
    """What a story's bullets are made from, and which it is: its extracted article when it has
    one ("article"), else the feed's own text ("feed")."""
    article = store.article_text(story.id)
    if article and article.strip():
        return article, "article"
    return story.text, "feed"


def _summary_key(max_bullets: int, inputs: Sequence[tuple[int, str, str, str]]) -> str:
    """A digest of all a summary is computed from: (story id, "article" or "feed", title, text) of
    each story, in order. Fields are length-prefixed, so no two different inputs share a key."""
    digest = hashlib.sha1(usedforsecurity=False)
    fields = [str(SUMMARY_VERSION), str(max_bullets)]
    for story_id, source, title, text in inputs:
        fields += [str(story_id), source, title, text]
    for value in fields:
        data = value.encode("utf-8", "surrogatepass")
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return f"{SUMMARY_VERSION}:{digest.hexdigest()}"


def group_summary(store: Store, group_id: int, max_bullets: int = 5) -> GroupSummary | None:
    """Bullets drawn from every story of a group, and the stories (sources) themselves.

    The bullets are kept in the database with the key of their inputs (every story's text, title,
    and whether its extracted article was used): computed again only when one of them changes or a
    story joins or leaves the group."""
    group = store.get_group(group_id)
    if group is None:
        return None
    stories = [s for s in (store.get_story(i) for i in group.story_ids) if s is not None]
    inputs = [(s, *_summary_input(store, s)) for s in stories]
    key = _summary_key(max_bullets, [(s.id, source, s.title, text) for s, text, source in inputs])
    chosen = store.cached_group_summary(group.id, key)
    if chosen is None:
        chosen = group_bullets([(text, s.title) for s, text, _ in inputs], max_bullets)
        store.keep_group_summary(group.id, key, chosen)
    return GroupSummary(
        bullets=tuple(chosen),
        sources=tuple(GroupSource(s.feed_title, s.title, s.published, s.id) for s in stories),
        feeds=group.feeds,
        title=group.title,
    )


def story_summary(store: Store, story_id: int, max_bullets: int = 5) -> GroupSummary | None:
    """The summary of the event a story belongs to, or of the story alone; None if no such story.

    A story alone is summed up from its extracted article when it has one, else from the feed's
    text; its bullets are kept like an event's (see group_summary)."""
    group = store.group_of(story_id)
    if group is not None and len(group.story_ids) > 1:
        return group_summary(store, group.id, max_bullets)
    story = store.get_story(story_id)
    if story is None:
        return None
    text, source = _summary_input(store, story)
    key = _summary_key(max_bullets, [(story.id, source, story.title, text)])
    chosen = store.cached_story_summary(story.id, key)
    if chosen is None:
        chosen = bullets(text, story.title, max_bullets)
        store.keep_story_summary(story.id, key, chosen)
    return GroupSummary(
        bullets=tuple(chosen),
        sources=(GroupSource(story.feed_title, story.title, story.published, story.id),),
        feeds=1,
        title=story.title,
    )
