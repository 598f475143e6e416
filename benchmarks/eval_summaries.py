"""Summary bullets on CNN/DailyMail: reader.summarize.bullets against Lead-3 and TextRank.

Corpus: ../shared/corpus/summaries/cnndm_test_150.jsonl (150 test articles with their human
highlights), read by path. Every system runs in this one harness on the same articles:

- Newsdesk: ``reader.summarize.bullets(article, title)`` as the app calls it (up to 5 bullets, 3 to
  5 by length), and with ``max_bullets=3``. The corpus has no headlines, so the main rows use no
  title; the rows marked "URL title" use the words of the article's URL slug in its place.
- Lead-3: the first three sentences.
- TextRank (Mihalcea and Tarau, 2004): sentences are nodes, edges weigh the words two sentences
  share (stopwords removed, Porter-stemmed) divided by the sum of the logs of their lengths;
  PageRank (d = 0.85) ranks them; the top three are returned in document order.

Lead-3 and TextRank take their sentences from ``reader.summarize.split_sentences``, so only the
selection differs from Newsdesk's; Lead-3 on the corpus's own sentence split is a cross-check.

Scores are rouge-score's ROUGE-1, ROUGE-2 and ROUGE-Lsum F-measures (Porter stemming on), with
every summary's sentences and the reference highlights one per line (what ROUGE-Lsum expects).
Intervals: paired bootstrap over articles, 1,000 resamples, fixed seed; the same resamples serve
every system, so the interval of a difference is that of the paired difference.

    .venv/bin/pip install -e '.[bench]'            # rouge-score (nltk's Porter stemmer, numpy)
    .venv/bin/python benchmarks/eval_summaries.py            # print the tables
    .venv/bin/python benchmarks/eval_summaries.py --write    # and update the tables in docs/quality.md
    .venv/bin/python benchmarks/eval_summaries.py --max-words 35   # what another cap gives
    .venv/bin/python benchmarks/eval_summaries.py --versus-cap 35  # shipped minus a 35-word cap, paired
    .venv/bin/python benchmarks/eval_summaries.py --splitters      # our sentence rules vs pysbd
    .venv/bin/python benchmarks/eval_summaries.py --half dev       # the development half only

Halves (fixed before any change was chosen with them): the development half is the articles on the
odd lines of the corpus file (1, 3, ..., 149), the held-out half those on the even lines (2, ...,
150). Changes to the bullets are chosen on the development half only; the held-out half reports
them.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
from nltk.stem.porter import PorterStemmer
from rouge_score import rouge_scorer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reader import summarize  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "summaries" / "cnndm_test_150.jsonl"
QUALITY = ROOT / "docs" / "quality.md"
METRICS = ("rouge1", "rouge2", "rougeLsum")
LABELS = {"rouge1": "R-1", "rouge2": "R-2", "rougeLsum": "R-Lsum"}
RESAMPLES = 1000
SEED = 20261123
TIMING_WORDS = 2000

# -- baselines -----------------------------------------------------------------------------------

_WORD = re.compile(r"[^\W_]+")
_STEMMER = PorterStemmer()
_STOP = summarize.STOPWORDS["en"]


def lead3(sentences: list[str]) -> list[str]:
    return sentences[:3]


def textrank(sentences: list[str], n: int = 3, damping: float = 0.85) -> list[str]:
    """The ``n`` sentences PageRank ranks highest on the word-overlap graph, in document order."""
    if len(sentences) <= n:
        return list(sentences)
    bags = []
    for s in sentences:
        words = [w for w in _WORD.findall(s.lower()) if w not in _STOP]
        bags.append((len(words), {_STEMMER.stem(w) for w in words}))
    size = len(sentences)
    weights = np.zeros((size, size))
    for i in range(size):
        li, bi = bags[i]
        for j in range(i + 1, size):
            lj, bj = bags[j]
            if li < 2 or lj < 2:
                continue  # log(1) = 0: the original formula is undefined for one-word sentences
            shared = len(bi & bj)
            if shared:
                weights[i, j] = weights[j, i] = shared / (math.log(li) + math.log(lj))
    out = weights.sum(axis=1)
    # A sentence with no edges spreads its rank evenly (the usual fix for dangling nodes).
    transition = np.where(out[:, None] > 0, weights / np.where(out > 0, out, 1)[:, None], 1.0 / size)
    rank = np.full(size, 1.0 / size)
    for _ in range(200):
        new = (1 - damping) / size + damping * transition.T @ rank
        if np.abs(new - rank).sum() < 1e-9:
            rank = new
            break
        rank = new
    top = sorted(np.argsort(-rank, kind="stable")[:n])
    return [sentences[i] for i in top]


def url_title(url: str) -> str:
    """The words of an article URL's slug ("Gary-Locke-set-confirmed-..." -> "Gary Locke set ...")."""
    path = urlsplit(url.split("id_/", 1)[-1]).path.rstrip("/")
    parts = [p for p in path.split("/") if p]
    slug = max(parts[-2:], key=len, default="") if parts else ""
    slug = re.sub(r"\.\w+$", "", slug)
    slug = re.sub(r"^article-\d+$", "", slug)
    return " ".join(w for w in re.split(r"[-_]+", slug) if w and not w.isdigit())


# -- running -------------------------------------------------------------------------------------


HALVES = ("all", "dev", "held-out")


def load(half: str = "all") -> list[dict]:
    """The corpus's articles; "dev" those on its odd lines, "held-out" those on its even lines."""
    with CORPUS.open(encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    if half == "dev":
        return rows[0::2]
    if half == "held-out":
        return rows[1::2]
    return rows


def systems(rows: list[dict]) -> dict[str, list[list[str]]]:
    """Each system's summary of every article, as a list of sentences."""
    out: dict[str, list[list[str]]] = {
        "bullets": [], "bullets3": [], "bullets_t": [], "bullets3_t": [],
        "lead3": [], "textrank": [], "lead3_corpus": [],
    }
    for r in rows:
        text, title = r["article"], url_title(r["url"])
        sentences = summarize.split_sentences(text)
        out["bullets"].append(summarize.bullets(text))
        out["bullets3"].append(summarize.bullets(text, max_bullets=3))
        out["bullets_t"].append(summarize.bullets(text, title))
        out["bullets3_t"].append(summarize.bullets(text, title, max_bullets=3))
        out["lead3"].append(lead3(sentences))
        out["textrank"].append(textrank(sentences))
        out["lead3_corpus"].append(list(r["article_sentences"][:3]))
    return out


NAMES = {
    "bullets": "**Newsdesk bullets, as the app ships** (3–5, no title)",
    "bullets3": "Newsdesk bullets, at most 3 (no title)",
    "bullets_t": "Newsdesk bullets, as shipped, URL title",
    "bullets3_t": "Newsdesk bullets, at most 3, URL title",
    "lead3": "Lead-3",
    "textrank": "TextRank (top 3)",
    "lead3_corpus": "Lead-3 on the corpus's own sentence split (cross-check)",
}


SHORT = {
    "bullets": "bullets (as shipped)", "bullets3": "bullets (max 3)", "bullets_t": "bullets (as shipped, URL title)",
    "bullets3_t": "bullets (max 3, URL title)", "lead3": "Lead-3", "textrank": "TextRank",
}


def score_all(rows: list[dict], outputs: dict[str, list[list[str]]]) -> dict[str, np.ndarray]:
    """{system: array (articles, metrics)} of F-measures ×100."""
    # split_summaries=False: sentences come one per line; True would need nltk's punkt data.
    scorer = rouge_scorer.RougeScorer(list(METRICS), use_stemmer=True, split_summaries=False)
    refs = ["\n".join(r["reference_highlights"]) for r in rows]
    out = {}
    for name, summaries in outputs.items():
        table = np.zeros((len(rows), len(METRICS)))
        for i, (ref, sents) in enumerate(zip(refs, summaries)):
            result = scorer.score(ref, "\n".join(" ".join(s.split()) for s in sents))
            table[i] = [100 * result[m].fmeasure for m in METRICS]
        out[name] = table
    return out


def bootstrap(n: int) -> np.ndarray:
    """RESAMPLES rows of article indices drawn with replacement, the same for every system."""
    rng = np.random.default_rng(SEED)
    return rng.integers(0, n, size=(RESAMPLES, n))


def interval(values: np.ndarray, resamples: np.ndarray) -> tuple[float, float, float]:
    means = values[resamples].mean(axis=1)
    lo, hi = np.percentile(means, [2.5, 97.5])
    return float(values.mean()), float(lo), float(hi)


def timing(rows: list[dict]) -> dict[str, float]:
    per_article = []
    for r in rows:
        start = time.perf_counter()
        summarize.bullets(r["article"])
        per_article.append(1000 * (time.perf_counter() - start))
    # 2,000 words: corpus articles one per paragraph, cut at the first sentence end past 2,000 words.
    paragraphs, words = [], 0
    for r in rows:
        paragraphs.append(r["article"])
        words += len(r["article"].split())
        if words >= TIMING_WORDS:
            break
    long_text = "\n\n".join(paragraphs)
    tokens = long_text.split(" ")
    count, cut = 0, len(tokens)
    for i, tok in enumerate(tokens):
        count += len(tok.split())
        if count >= TIMING_WORDS and tok.rstrip("'\"’”").endswith((".", "!", "?")):
            cut = i + 1
            break
    long_text = " ".join(tokens[:cut])
    runs = []
    for _ in range(20):
        start = time.perf_counter()
        summarize.bullets(long_text)
        runs.append(1000 * (time.perf_counter() - start))
    return {
        "median": statistics.median(per_article),
        "p95": float(np.percentile(per_article, 95)),
        "max": max(per_article),
        "long_words": len(long_text.split()),
        "long_median": statistics.median(runs),
        "long_max": max(runs),
        "load": os.getloadavg()[0],
    }


# -- report --------------------------------------------------------------------------------------


def fmt(mean: float, lo: float, hi: float, signed: bool = False) -> str:
    f = "{:+.2f}" if signed else "{:.2f}"
    return f"{f.format(mean)} [{f.format(lo)}, {f.format(hi)}]"


def report(rows: list[dict], outputs, scores, times) -> str:
    resamples = bootstrap(len(rows))
    lines = []
    counts = [len(b) for b in outputs["bullets"]]
    lines.append(
        f"{len(rows)} articles ({statistics.mean(len(r['article'].split()) for r in rows):.0f} words"
        f" on average); references: {statistics.mean(len(r['reference_highlights']) for r in rows):.1f}"
        f" highlights, {statistics.mean(len(' '.join(r['reference_highlights']).split()) for r in rows):.0f}"
        f" words. F-measures ×100, mean [95% bootstrap interval]."
    )
    lines.append("")
    lines.append("| system | " + " | ".join(LABELS[m] for m in METRICS) + " | sentences | words |")
    lines.append("|---|" + "---|" * (len(METRICS) + 2))
    for name, title in NAMES.items():
        cells = [fmt(*interval(scores[name][:, k], resamples)) for k in range(len(METRICS))]
        n_sent = statistics.mean(len(s) for s in outputs[name])
        n_words = statistics.mean(sum(len(x.split()) for x in s) for s in outputs[name])
        lines.append(f"| {title} | " + " | ".join(cells) + f" | {n_sent:.1f} | {n_words:.0f} |")
    lines.append("")
    lines.append("Paired differences (same articles, same resamples):")
    lines.append("")
    lines.append("| difference | " + " | ".join(LABELS[m] for m in METRICS) + " |")
    lines.append("|---|" + "---|" * len(METRICS))
    for a, b in (("bullets", "lead3"), ("bullets", "textrank"), ("bullets3", "lead3"),
                 ("bullets3", "textrank"), ("bullets_t", "lead3"), ("bullets3_t", "lead3")):
        diff = scores[a] - scores[b]
        cells = [fmt(*interval(diff[:, k], resamples), signed=True) for k in range(len(METRICS))]
        lines.append(f"| {SHORT[a]} − {SHORT[b]} | " + " | ".join(cells) + " |")
    if len(rows) == len(load()):
        lines.append("")
        lines.append("The same differences on each half (development: odd lines; held out: even lines):")
        lines.append("")
        lines.append("| half | difference | " + " | ".join(LABELS[m] for m in METRICS) + " |")
        lines.append("|---|---|" + "---|" * len(METRICS))
        for half, part in (("development", slice(0, None, 2)), ("held out", slice(1, None, 2))):
            half_resamples = bootstrap(len(rows[part]))
            for a, b in (("bullets", "lead3"), ("bullets", "textrank")):
                diff = scores[a][part] - scores[b][part]
                cells = [fmt(*interval(diff[:, k], half_resamples), signed=True) for k in range(len(METRICS))]
                lines.append(f"| {half} | {SHORT[a]} − {SHORT[b]} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append(
        "Bullets as shipped: "
        + ", ".join(f"{c} for {counts.count(c)} article{'s' * (counts.count(c) != 1)}"
                    for c in sorted(set(counts))) + "."
    )
    lines.append("")
    lines.append(
        f"Speed of `bullets()` (one thread, {os.cpu_count()} CPUs, load average"
        f" {times['load']:.2f} when measured): median"
        f" {times['median']:.1f} ms per article, 95th percentile {times['p95']:.1f} ms, slowest"
        f" {times['max']:.1f} ms; a {times['long_words']:,}-word text (corpus articles one per"
        f" paragraph) {times['long_median']:.1f} ms median of 20 runs, {times['long_max']:.1f} ms at"
        f" most (target < 50 ms)."
    )
    return "\n".join(lines)


def compare_splitters(rows: list[dict]) -> str:
    """Newsdesk's sentence rules against pysbd 0.3.x on the split cases of tests/test_summarize.py
    (our own, written beside our rules, so they flatter them) and in speed on 2,000 words."""
    import pysbd

    sys.path.insert(0, str(ROOT / "tests"))
    import test_summarize

    [mark] = [m for m in test_summarize.test_split_sentences.pytestmark if m.name == "parametrize"]
    languages = {"en": "en", "de": "de", "fr": "fr", "es": "es", "pt": None}  # pysbd has no pt
    ours, theirs, tried, failed = 0, 0, 0, []
    for case in mark.args[1]:
        text, expected = case.values
        lang = case.id.split("-")[0]
        ours += summarize.split_sentences(text) == expected
        if languages[lang]:
            tried += 1
            got = [s.strip() for s in pysbd.Segmenter(language=languages[lang], clean=False).segment(text)]
            theirs += [s for s in got if s] == expected
            if [s for s in got if s] != expected:
                failed.append(case.id)
    text = " ".join(" ".join(r["article"] for r in rows[:4]).split()[:TIMING_WORDS])
    english = pysbd.Segmenter(language="en", clean=False)
    speed = {}
    for name, split in (("Newsdesk", summarize.split_sentences), ("pysbd", english.segment)):
        runs = []
        for _ in range(5):
            start = time.perf_counter()
            split(text)
            runs.append(1000 * (time.perf_counter() - start))
        speed[name] = statistics.median(runs)
    return (
        f"Split cases: Newsdesk {ours} of {len(mark.args[1])}; pysbd {theirs} of the {tried} in"
        f" languages it has (wrong: {', '.join(failed)}). {TIMING_WORDS:,} words of English:"
        f" Newsdesk {speed['Newsdesk']:.1f} ms, pysbd {speed['pysbd']:.1f} ms (median of 5;"
        f" load average {os.getloadavg()[0]:.2f})."
    )


def versus_cap(rows: list[dict], cap: int) -> str:
    """Shipped bullets minus bullets with another word cap, paired, on all articles and each half."""
    shipped = summarize.MAX_WORDS
    outputs = {}
    for name, words in (("shipped", shipped), ("other", cap)):
        summarize.MAX_WORDS = words
        outputs[name] = [summarize.bullets(r["article"]) for r in rows]
    summarize.MAX_WORDS = shipped
    scores = score_all(rows, outputs)
    lines = [f"Bullets with the {shipped}-word cap minus bullets with a {cap}-word cap, paired:", "",
             "| articles | bullets changed | " + " | ".join(LABELS[m] for m in METRICS) + " |",
             "|---|---|" + "---|" * len(METRICS)]
    for half, part in (("all", slice(None)), ("development", slice(0, None, 2)),
                       ("held out", slice(1, None, 2))):
        diff = (scores["shipped"] - scores["other"])[part]
        changed = sum(a != b for a, b in zip(outputs["shipped"][part], outputs["other"][part]))
        resamples = bootstrap(len(diff))
        cells = [fmt(*interval(diff[:, k], resamples), signed=True) for k in range(len(METRICS))]
        lines.append(f"| {half} | {changed} of {len(diff)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


BEGIN, END = "<!-- eval_summaries.py: begin -->", "<!-- eval_summaries.py: end -->"


def write_section(body: str) -> None:
    """Replace the measured part of "## Summaries" in docs/quality.md (between BEGIN and END),
    keeping the prose around it; the first time, append the section. Nothing else is touched."""
    text = QUALITY.read_text(encoding="utf-8")
    block = f"{BEGIN}\n\n{body.strip()}\n\n{END}"
    if BEGIN in text and END in text:
        text = text[: text.index(BEGIN)] + block + text[text.index(END) + len(END):]
    elif re.search(r"^## Summaries$", text, flags=re.M):
        raise SystemExit(f"docs/quality.md has a Summaries section without {BEGIN} ... {END}")
    else:
        text = text.rstrip("\n") + "\n\n## Summaries\n\n" + block + "\n"
    QUALITY.write_text(text, encoding="utf-8")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--write", action="store_true",
                    help="replace the measured part of the Summaries section of docs/quality.md")
    ap.add_argument("--max-words", type=int, metavar="N",
                    help=f"skip sentences longer than N words instead of {summarize.MAX_WORDS} (to see what the cap costs)")
    ap.add_argument("--versus-cap", type=int, metavar="N",
                    help="only the paired difference of the shipped bullets and bullets with an N-word cap")
    ap.add_argument("--splitters", action="store_true",
                    help="only compare the sentence rules with pysbd (pip install pysbd) and stop")
    ap.add_argument("--half", choices=HALVES, default="all",
                    help="all 150 articles, the development half (odd lines) or the held-out half (even lines)")
    ap.add_argument("--dump", metavar="FILE", help="write every system's summaries as JSON lines")
    args = ap.parse_args()
    if args.max_words:
        if args.write:
            ap.error("--write reports what ships; it does not go with --max-words")
        summarize.MAX_WORDS = args.max_words
    if args.write and args.half != "all":
        ap.error("--write reports all 150 articles")
    rows = load(args.half)
    if args.splitters:
        print(compare_splitters(rows))
        return 0
    if args.versus_cap:
        if args.half != "all":
            ap.error("--versus-cap reports all 150 articles and each half")
        print(versus_cap(rows, args.versus_cap))
        return 0
    outputs = systems(rows)
    scores = score_all(rows, outputs)
    times = timing(rows)
    body = report(rows, outputs, scores, times)
    print(body)
    if args.dump:
        with open(args.dump, "w", encoding="utf-8") as f:
            for i, r in enumerate(rows):
                f.write(json.dumps({"id": r["id"], **{k: v[i] for k, v in outputs.items()}}) + "\n")
    if args.write:
        write_section(body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
