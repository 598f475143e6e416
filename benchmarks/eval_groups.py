"""Grouping quality on labelled headlines: reader.cluster against two baselines.

Corpus: ../shared/corpus/clusters/uci-news-aggregator/ (6,366 headlines, 10-12 March 2014, each
labelled with the event it reports; 1,948 publishers). Headlines only: that is all it has.

The app's own path is measured: every publisher is a feed in a real Store; the headlines arrive in
time order, in refresh rounds of ROUND_S of corpus time, and in each round every feed with new
stories is stored with ``Store.save_stories_ids`` and grouped with ``group_new_stories``, as
``refresh.store_result`` does.

Tuning is honest: the thresholds are swept on the first half of the headlines by time (``--tune``)
and the numbers reported are for the second half, grouped from an empty database. The baselines:
exact (normalised) title match, and single-pass TF-IDF clustering (a headline joins the most alike
cluster centroid when the cosine reaches a threshold) at its best threshold on the reported half
itself, which flatters the baseline.

    .venv/bin/python benchmarks/eval_groups.py            # report on the second half
    .venv/bin/python benchmarks/eval_groups.py --tune     # sweep thresholds on the first half
    .venv/bin/python benchmarks/eval_groups.py --write    # and replace "## Grouping" in docs/quality.md
"""

from __future__ import annotations

import argparse
import csv
import itertools
import math
import re
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reader import cluster  # noqa: E402
from reader.models import ParsedStory  # noqa: E402
from reader.store import Store  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "clusters" / "uci-news-aggregator"
CSV = CORPUS / "uci_news_aggregator_first_6366_rows.csv"
QUALITY = ROOT / "docs" / "quality.md"
ROUND_S = 30 * 60


def load_rows() -> list[dict]:
    with CSV.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    rows.sort(key=lambda r: (int(r["TIMESTAMP"]), int(r["ID"])))
    return rows


# -- metrics -------------------------------------------------------------------------------------


def scores(gold: list[str], pred: list[object]) -> dict[str, float]:
    """Pairwise and B-cubed precision, recall and F1 of a predicted partition against the gold one."""
    n = len(gold)
    cells = Counter(zip(gold, pred))
    gold_sizes = Counter(gold)
    pred_sizes = Counter(pred)

    def pairs(k: int) -> int:
        return k * (k - 1) // 2

    tp = sum(pairs(c) for c in cells.values())
    pp = sum(pairs(c) for c in pred_sizes.values())
    gp = sum(pairs(c) for c in gold_sizes.values())
    p = tp / pp if pp else 1.0
    r = tp / gp if gp else 1.0
    b_p = sum(c * c / pred_sizes[pr] for (g, pr), c in cells.items()) / n
    b_r = sum(c * c / gold_sizes[g] for (g, pr), c in cells.items()) / n
    return {
        "pair_p": p, "pair_r": r, "pair_f1": f1(p, r),
        "b3_p": b_p, "b3_r": b_r, "b3_f1": f1(b_p, b_r),
        "clusters": len(pred_sizes),
    }


def f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


# -- baselines -----------------------------------------------------------------------------------

_WORD = re.compile(r"\w\w+")
_EN_STOP = frozenset(
    """a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had
    has have having he her here hers herself him himself his how i if in into is it its itself just
    me more most my myself no nor not now of off on once only or other our ours out over own same
    she should so some such than that the their theirs them then there these they this those
    through to too under until up very was we were what when where which while who whom why will
    with would you your yours""".split()
)


def exact_title(rows: list[dict]) -> list[str]:
    return [" ".join(_WORD.findall(r["TITLE"].lower())) for r in rows]


def tfidf_single_pass(rows: list[dict], threshold: float) -> list[int]:
    """Each headline joins the cluster whose centroid is most alike (cosine >= threshold), in order."""
    docs = [[w for w in _WORD.findall(r["TITLE"].lower()) if w not in _EN_STOP] for r in rows]
    df = Counter(t for d in docs for t in set(d))
    n = len(docs)
    idf = {t: math.log((n + 1) / (c + 1)) + 1 for t, c in df.items()}
    centroids: list[dict[str, float]] = []
    norms: list[float] = []
    postings: dict[str, set[int]] = defaultdict(set)
    out = []
    for d in docs:
        tf = Counter(d)
        v = {t: c * idf[t] for t, c in tf.items()}
        norm = math.sqrt(sum(w * w for w in v.values())) or 1.0
        v = {t: w / norm for t, w in v.items()}
        dots: dict[int, float] = defaultdict(float)
        for t, w in v.items():
            for c in postings.get(t, ()):
                dots[c] += w * centroids[c][t]
        best, best_sim = None, threshold
        for c, dot in dots.items():
            sim = dot / norms[c]
            if sim >= best_sim:
                best, best_sim = c, sim
        if best is None:
            best = len(centroids)
            centroids.append({})
            norms.append(0.0)
        cen = centroids[best]
        for t, w in v.items():
            cen[t] = cen.get(t, 0.0) + w
            postings[t].add(best)
        norms[best] = math.sqrt(sum(w * w for w in cen.values()))
        out.append(best)
    return out


def best_tfidf(rows: list[dict], gold: list[str], min_precision: float = 0.0) -> tuple[float, dict]:
    """The single-pass baseline at its best threshold (by B-cubed F1), among those whose B-cubed
    precision reaches ``min_precision``."""
    best = None
    for i in range(5, 95, 5):
        t = i / 100
        s = scores(gold, tfidf_single_pass(rows, t))
        if s["b3_p"] >= min_precision and (best is None or s["b3_f1"] > best[1]["b3_f1"]):
            best = (t, s)
    return best


# -- Newsdesk, through the Store -----------------------------------------------------------------


def newsdesk(rows: list[dict]) -> tuple[list[int], float, int]:
    """Group ``rows`` the way a refresh does; returns (group of each row, seconds grouping, calls)."""
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "eval.db")
        feeds: dict[str, int] = {}
        for r in rows:
            if r["PUBLISHER"] not in feeds:
                feeds[r["PUBLISHER"]] = store.add_feed(
                    f"https://feeds.example/{len(feeds)}", title=r["PUBLISHER"]
                ).id
        start = int(rows[0]["TIMESTAMP"]) // 1000
        rounds: dict[int, dict[int, list[ParsedStory]]] = defaultdict(lambda: defaultdict(list))
        for r in rows:
            published = int(r["TIMESTAMP"]) // 1000
            story = ParsedStory(uid=r["ID"], title=r["TITLE"], url=r["URL"], published=published,
                                content_hash=r["ID"])
            rounds[(published - start) // ROUND_S][feeds[r["PUBLISHER"]]].append(story)
        seconds = 0.0
        calls = 0
        for _, by_feed in sorted(rounds.items()):
            for feed_id, stories in by_feed.items():
                with store.write():
                    ids, _ = store.save_stories_ids(feed_id, stories)
                    t = time.perf_counter()
                    cluster.group_new_stories(store, ids)
                    seconds += time.perf_counter() - t
                    calls += 1
        group_of = dict(store.conn.execute(
            "SELECT s.uid, m.group_id FROM stories s JOIN group_members m ON m.story_id = s.id"
        ))
        store.close()
    return [group_of[r["ID"]] for r in rows], seconds, calls


def run_newsdesk(rows, gold, **params) -> dict:
    saved = {k: getattr(cluster, k) for k in params}
    try:
        for k, v in params.items():
            setattr(cluster, k, v)
        pred, seconds, calls = newsdesk(rows)
    finally:
        for k, v in saved.items():
            setattr(cluster, k, v)
    s = scores(gold, pred)
    s["seconds"] = seconds
    s["calls"] = calls
    return s


def fmt(name: str, s: dict) -> str:
    return (f"| {name} | {s['pair_p']:.3f} | {s['pair_r']:.3f} | {s['pair_f1']:.3f} | {s['b3_p']:.3f}"
            f" | {s['b3_r']:.3f} | {s['b3_f1']:.3f} | {s['clusters']} |")


HEADER = ("| method | pair P | pair R | pair F1 | B³ P | B³ R | B³ F1 | groups |\n"
          "|---|---|---|---|---|---|---|---|")


def feeds_check() -> None:
    """Group every story of the 98 real feeds in ../shared/corpus/feeds/ as if all were published
    within 40 hours, and print the groups of several feeds: nearly all are different stories, so
    every group is there to be judged by eye (a check of precision on real text, never tuned on)."""
    import dataclasses

    from reader.parse import parse_feed

    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "feeds.db", clock=lambda: 1_772_366_400)
        count = 0
        for path in sorted((ROOT.parent / "shared" / "corpus" / "feeds").iterdir()):
            if path.suffix == ".csv":
                continue
            parsed = parse_feed(path.read_bytes(), f"https://feeds.example/{path.name}")
            if not parsed.stories:
                continue
            feed = store.add_feed(f"https://feeds.example/{path.name}", title=path.name)
            stories = [dataclasses.replace(s, published=1_772_366_400 - 3600 - (i * 997) % (40 * 3600))
                       for i, s in enumerate(parsed.stories)]
            with store.write():
                ids, _ = store.save_stories_ids(feed.id, stories)
                cluster.group_new_stories(store, ids)
            count += len(ids)
        groups = store.multi_source_groups()
        print(f"{count} stories, {len(groups)} groups of several feeds:")
        for g in groups:
            rows = store.group_stories(g.id)
            same = len({canonical for canonical in (cluster.canonical_url(r.url) for r in rows)}) == 1
            print(f"  {'[same URL] ' if same else ''}" + " | ".join(f"{r.feed_title[:24]}: {r.title[:50]}" for r in rows))
        store.close()


def tune(rows: list[dict]) -> None:
    """Sweep the thresholds on ``rows`` (the first half); print B-cubed for each setting."""
    gold = [r["STORY"] for r in rows]
    results = []
    for story, group, merge in itertools.product((0.15, 0.20, 0.25, 0.30), (0.10, 0.15, 0.20), (0.3, 0.4, 0.5)):
        s = run_newsdesk(rows, gold, JOIN_STORY=story, JOIN_GROUP=group, MERGE_GROUPS=merge)
        results.append(((story, group, merge), s))
        print(f"JOIN_STORY={story:.2f} JOIN_GROUP={group:.2f} MERGE_GROUPS={merge:.1f}"
              f"  B3 P={s['b3_p']:.3f} R={s['b3_r']:.3f} F1={s['b3_f1']:.3f}", flush=True)
    ok = [(p, s) for p, s in results if s["b3_p"] >= 0.92]  # a margin over the 0.90 target
    best = max(ok or results, key=lambda ps: ps[1]["b3_f1"])
    print(f"best with B3 precision >= 0.92: {best[0]} F1={best[1]['b3_f1']:.3f}")


# Variants tried while looking for more recall without unsafe merges: (label, settings changed).
VARIANTS = [
    ("earlier settings: no joining by centroid, merges at 0.40 (0.50 with a feed in common)",
     {"JOIN_PROFILE": 2.0, "MERGE_GROUPS": 0.40, "MERGE_SHARED_FEED": 0.50}),
    ("a feed's second story may join its group at cosine 0.30", {"SAME_FEED_JOIN": 0.30}),
    ("joining by centroid from 0.20", {"JOIN_PROFILE": 0.20}),
    ("merges with a feed in common from 0.30", {"MERGE_SHARED_FEED": 0.30}),
    ("looser story joins: JOIN_STORY 0.15, JOIN_GROUP 0.10", {"JOIN_STORY": 0.15, "JOIN_GROUP": 0.10}),
    ("no speed limits on the candidate search", {"PROBE_BUDGET": 10**9, "PROBE_TERMS": 10**9,
                                                 "SCORE_TOP": 10**9}),
]


def variants(rows: list[dict]) -> str:
    """B-cubed of each variant on both halves, beside the shipped settings."""
    half = len(rows) // 2
    lines = ["| variant | first half B³ P | R | F1 | second half B³ P | R | F1 |", "|---|---|---|---|---|---|---|"]
    for label, params in [("**shipped settings**", {})] + VARIANTS:
        cells = []
        for part in (rows[:half], rows[half:]):
            s = run_newsdesk(part, [r["STORY"] for r in part], **params)
            cells += [f"{s['b3_p']:.3f}", f"{s['b3_r']:.3f}", f"{s['b3_f1']:.3f}"]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def report(rows: list[dict]) -> str:
    half = len(rows) // 2
    parts = {"first half (tuning)": rows[:half], "second half (reported)": rows[half:]}
    lines = []
    for name, part in parts.items():
        gold = [r["STORY"] for r in part]
        nd = run_newsdesk(part, gold)
        strict = run_newsdesk(part, gold, MERGE_SHARED_FEED=2.0)
        threshold, base = best_tfidf(part, gold)
        matched_t, matched = best_tfidf(part, gold, min_precision=0.90)
        exact = scores(gold, exact_title(part))
        lines.append(f"\n**{name}**: {len(part)} headlines, {len(set(gold))} events,"
                     f" {len({r['PUBLISHER'] for r in part})} publishers; grouped in {nd['calls']} calls,"
                     f" {nd['seconds']:.2f} s in group_new_stories\n")
        lines.append(HEADER)
        lines.append(fmt("exact title match", exact))
        lines.append(fmt(f"TF-IDF single pass, best threshold ({threshold:.2f})", base))
        lines.append(fmt(f"TF-IDF single pass, best with B³ P ≥ 0.90 ({matched_t:.2f})", matched))
        lines.append(fmt("**Newsdesk** (`reader.cluster`)", nd))
        lines.append(fmt("Newsdesk, never two stories of one feed in a group", strict))
        lines.append(f"\nNewsdesk's B³ F1 minus the baseline's: {nd['b3_f1'] - base['b3_f1']:+.3f} at its best"
                     f" threshold, {nd['b3_f1'] - matched['b3_f1']:+.3f} at matched precision (target"
                     f" +0.15); B³ precision {nd['b3_p']:.3f} (target 0.90).")
    return "\n".join(lines)


def write_section(body: str) -> None:
    """Replace our own section of docs/quality.md, leaving every other section as it is."""
    QUALITY.parent.mkdir(parents=True, exist_ok=True)
    text = QUALITY.read_text(encoding="utf-8") if QUALITY.exists() else "# Quality\n"
    section = "## Grouping\n\n" + body.strip() + "\n"
    match = re.search(r"^## Grouping\n.*?(?=^## |\Z)", text, flags=re.M | re.S)
    if match:
        text = text[: match.start()] + section + ("\n" if text[match.end():] else "") + text[match.end():]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    QUALITY.write_text(text, encoding="utf-8")


INTRO = f"""
Grouping stories from different feeds into one event (`reader/cluster.py`), measured with
`.venv/bin/python benchmarks/eval_groups.py --write` on the labelled headlines of
`../shared/corpus/clusters/uci-news-aggregator/` (6,366 headlines of 10-12 March 2014 with the
event each reports; headlines only, no text). Each publisher is a feed; the stories are stored and
grouped feed by feed in refresh rounds of {ROUND_S // 60} minutes of corpus time through
`Store.save_stories_ids` and `group_new_stories`, the path a refresh takes.

Tuning: JOIN_STORY, JOIN_GROUP and MERGE_GROUPS were swept on the first half by time (`--tune`),
and JOIN_PROFILE, MERGE_SHARED_FEED and the variants below were compared on it; the second half
was grouped once, from an empty database, with the settings chosen. The TF-IDF baseline is given
its best threshold on each half itself, which flatters it. "B³" is B-cubed.
"""

NOTES = """
What the numbers say:

- The target (B³ precision at least 0.90 and B³ F1 0.15 above the baseline's best) is not met:
  precision is, but F1 is about level with a baseline that is handed its best threshold. None of
  the variants below comes near +0.15 either, and the ones that gain a little F1 on the tuning half
  pay for it in precision.
- The events of this corpus are broad (every headline about Titanfall's launch, or about one
  episode of The Bachelor, is one "story"; one "story" of world markets holds copper prices, the
  yuan, a Chinese bond default and Hong Kong share prices), and in 18 hours there are only 44 of
  them, so plain TF-IDF with a very low threshold does well here: almost any shared word is the
  right event. In a real stream of thousands of unrelated stories that threshold would merge
  everything; the Newsdesk settings are the ones that stay safe there (see the checks below), and
  many of the "misses" counted here are sub-events a reader would want apart.
- What gained recall safely: a story may join a group of three or more by the group's centroid
  alone (JOIN_PROFILE; a name in common with its stories and no conflict still required), and two
  groups a new story fits merge from a centroid cosine of 0.30 (0.40 when they have a feed in
  common) unless each names a place the other never does. Together: +0.08 B³ F1 on the second half
  for half a point of precision. Merging groups with a feed in common from 0.30 would add another
  0.04, but brings the tuning half's precision to 0.903, at the floor, by the kind of merge that
  hides a feed's other stories: not taken.
- A fifth of the headlines are a publisher's second or later headline on the same event. A story
  never joins a group that already holds its feed by itself (letting it, from a cosine of 0.30,
  gained 0.002 B³ F1 on the tuning half, so it was not taken); only a merge of two alike groups
  brings two stories of one feed together. The "never two stories of one feed" row shows the literal rule and what it costs.
- The limits that keep grouping fast (at most PROBE_TERMS names probed, PROBE_BUDGET stories
  walked, SCORE_TOP groups scored) cost 0.015 to 0.02 B³ F1 here ("no speed limits"), and keep
  the cost of a story the same however many others share its words (docs/performance.md).
- Look-alike stories (a feed of forecasts, every text opening with the same boilerplate; the
  benchmark's "Feed i, story j" items): a copy (rule 2) must not name another place or number in
  its title, a title or opening that more than COPY_PROBE (32) stories of the window share is
  boilerplate and no evidence, a group is merged only through a story the new one does not
  conflict with, and a story's own feed's stories no longer take SCORE_TOP places. Here that
  changed one group of the second half (336 → 337; P, R and F1 the same to three decimals) and the
  first half's pair F1 by 0.001; 5,000 look-alike forecasts from 50 feeds now form no group
  instead of 784 (tests/test_cluster.py), and the realistic benchmark's groups differ in three,
  each checked against its generator's events: two wrong merges not made, one right one made
  (docs/performance.md).
- Checks outside this corpus, not tuned on: the demo's two planned events are found and its
  "wins Ohio" / "wins Iowa" pair stays apart (tests/test_cluster.py). `--feeds-check` groups the
  1,796 stories of the 98 real feeds of `../shared/corpus/feeds/` as if all were published within
  40 hours (so that nearly anything could be confused with anything): of its 34 groups, 26 are one
  post under one URL (a blog's RSS and Atom feeds; a test fixture copied into three files) and 8
  pair heise's and golem's reports (German): 7 of one event each, rightly, and 1 two different
  stories about one game (a review, a port rumour). One of the 7 also wrongly holds a 2017 column
  ("Is iPhone X Apple's Vista?") beside the 2018 iPhone XR launch, which only the squeezed dates
  put within two days of each other. The same 34 groups as before the changes above, and after
  the look-alike changes.
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tune", action="store_true", help="sweep thresholds on the first half")
    ap.add_argument("--write", action="store_true", help="replace the Grouping section of docs/quality.md")
    ap.add_argument("--feeds-check", action="store_true", help="group the corpus feeds and print the groups")
    args = ap.parse_args()
    if args.feeds_check:
        feeds_check()
        return
    rows = load_rows()
    if args.tune:
        tune(rows[: len(rows) // 2])
        return
    body = (INTRO + report(rows) + "\n\n**Variants tried** (B³ of each half; each row changes only what it"
            " names):\n\n" + variants(rows) + "\n" + NOTES)
    settings = ", ".join(f"{name}={getattr(cluster, name)}" for name in (
        "JOIN_STORY", "JOIN_STORY_TEXT", "JOIN_GROUP", "MIN_SHARED", "JOIN_PROFILE", "PROFILE_MIN",
        "SAME_FEED_JOIN", "MERGE_GROUPS", "MERGE_CANDIDATE", "MERGE_SHARED_FEED"))
    body += f"\nSettings: {settings}, WINDOW_S={cluster.WINDOW_S // 3600} h.\n"
    print(body)
    if args.write:
        write_section(body)
        print(f"wrote {QUALITY}")


if __name__ == "__main__":
    main()
