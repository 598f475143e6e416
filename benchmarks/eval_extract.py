"""Full-text extraction quality on the shared corpus of real article pages.

For each page of ``../shared/corpus/articles/`` (read by path, never copied), the page is decoded and
extracted as the app does (``reader.extract``), the Markdown is turned back into the words a person
reads (``markdown_to_text``, image references left out: they are pictures, not prose), and compared
with the page's ground truth:

* ``expected.txt`` (human-annotated article body) or the text of ``expected.html`` (Readability's
  expected output, UTF-8): word-level precision, recall and F1 (bags of lower-cased words);
* ``expected-segments.json``: the share of its "with" passages present in the text and of its
  "without" passages absent (whitespace and case folded).

The feed's title and teaser, which the app passes to the extractor, are stood in for by the page's
own ``og:title``/``<title>`` and ``og:description``/``description`` (what feeds usually carry).

    .venv/bin/python benchmarks/eval_extract.py                # every variant, the app's last
    .venv/bin/python benchmarks/eval_extract.py --pages        # and the app's score page by page
    .venv/bin/python benchmarks/eval_extract.py --variant app  # one variant
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import statistics
import sys
import time
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CORPUS = ROOT.parent / "shared" / "corpus" / "articles"

from reader import extract  # noqa: E402

WORD = re.compile(r"\w+")
IMAGE = re.compile(r"!\[(?:\\.|[^\\\]])*\]" + extract._DESTINATION)

TARGET_F1 = 0.96
TARGET_MIN_F1 = 0.75
TARGET_MEDIAN_MS = 50.0


@dataclass
class Page:
    name: str
    html: bytes
    url: str | None
    title: str | None
    teaser: str | None
    expected: str | None  # full text, when the page has it
    with_: list[str]
    without: list[str]


@dataclass
class Score:
    name: str
    precision: float | None
    recall: float | None
    f1: float | None
    with_found: int
    with_total: int
    without_absent: int
    without_total: int
    seconds: float
    missing: list[str]
    present: list[str]


def load_pages(latin1_expected: bool = False) -> list[Page]:
    import lxml.html

    pages = []
    for folder in sorted(p for p in CORPUS.iterdir() if p.is_dir()):
        html = (folder / "source.html").read_bytes()
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        expected = None
        if (folder / "expected.txt").exists():
            expected = (folder / "expected.txt").read_text(encoding="utf-8")
        elif (folder / "expected.html").exists():
            # Readability's files are UTF-8 without a charset declaration: decode before parsing
            raw = (folder / "expected.html").read_bytes()
            expected = lxml.html.fromstring(raw if latin1_expected else raw.decode("utf-8")).text_content()
        with_, without = [], []
        if (folder / "expected-segments.json").exists():
            segments = json.loads((folder / "expected-segments.json").read_text(encoding="utf-8"))
            with_, without = segments.get("with", []), segments.get("without", [])
        title, teaser = page_title_and_teaser(html)
        pages.append(Page(folder.name, html, meta.get("url"), title, teaser, expected, with_, without))
    return pages


def page_title_and_teaser(html: bytes) -> tuple[str | None, str | None]:
    """What a feed would likely say: the page's og:title and og:description (or their fallbacks)."""
    import lxml.html

    tree = lxml.html.fromstring(extract.decode_page(html, None))

    def meta(*names: str) -> str | None:
        for name in names:
            for attr in ("property", "name"):
                found = tree.xpath(f"//meta[@{attr}=$n]/@content", n=name)
                if found and found[0].strip():
                    return found[0].strip()
        return None

    title = meta("og:title", "twitter:title") or (tree.findtext(".//title") or "").strip() or None
    return title, meta("og:description", "twitter:description", "description")


def words(text: str) -> list[str]:
    return WORD.findall(text.casefold())


def folded(text: str) -> str:
    return " ".join(text.split()).casefold()


def reading_text(markdown: str) -> str:
    return extract.markdown_to_text(IMAGE.sub("", markdown))


def score(page: Page, markdown: str, seconds: float) -> Score:
    text = reading_text(markdown)
    p = r = f = None
    if page.expected is not None:
        got, want = Counter(words(text)), Counter(words(page.expected))
        common = sum((got & want).values())
        p = common / max(1, sum(got.values()))
        r = common / max(1, sum(want.values()))
        f = 2 * p * r / (p + r) if p + r else 0.0
    flat = folded(text)
    missing = [w for w in page.with_ if folded(w) not in flat]
    present = [w for w in page.without if folded(w) in flat]
    return Score(
        page.name, p, r, f,
        len(page.with_) - len(missing), len(page.with_),
        len(page.without) - len(present), len(page.without),
        seconds, missing, present,
    )


# -- variants ----------------------------------------------------------------------------------------

Variant = Callable[[Page], str]


def trafilatura_plain(page: Page) -> str:
    """The reference: trafilatura.extract on the page's bytes, every setting at its default."""
    import trafilatura

    return trafilatura.extract(page.html) or ""


def trafilatura_markdown(**options) -> Variant:
    """trafilatura as the app configures it (Markdown, links, images, no comments), nothing after."""

    def run(page: Page) -> str:
        import trafilatura

        html = extract.decode_page(page.html, None)
        return trafilatura.extract(html, url=page.url, **{**extract._TRAFILATURA_OPTIONS, **options}) or ""

    return run


def cleaned(page: Page, **options) -> str:
    """trafilatura with ``options``, then the app's cleaning of its tree."""
    body = extract._extract_tree(extract.decode_page(page.html, None), page.url, **options)
    if body is None:
        return ""
    extract._clean_tree(body, page.url, page.title)
    return "" if extract._is_link_only(body) else extract._finish(extract._serialise(body))


def app(page: Page) -> str:
    """Exactly what a worker does with a fetched page (decode, extract, look for a paywall)."""
    markdown, _problem = extract._read_page(page.html, None, page.url, page.title)
    return markdown


def without(step: str) -> Variant:
    """The app with one cleaning step turned off."""

    def run(page: Page) -> str:
        original = getattr(extract, step)
        setattr(extract, step, lambda *args, **kwargs: [])
        try:
            return app(page)
        finally:
            setattr(extract, step, original)

    return run


def without_title(page: Page) -> str:
    return app(Page(**{**page.__dict__, "title": None}))


def teaser_coverage(page: Page, markdown: str) -> float:
    teaser = Counter(words(page.teaser or ""))
    return sum((teaser & Counter(words(reading_text(markdown)))).values()) / max(1, sum(teaser.values()))


def recall_when_teaser_missing(page: Page) -> str:
    """Feed text as a hint: when the text lacks most of the teaser, try favor_recall, keep it if it
    has more of the teaser."""
    markdown = app(page)
    if page.teaser and teaser_coverage(page, markdown) < 0.5:
        other = cleaned(page, favor_recall=True)
        if teaser_coverage(page, other) > teaser_coverage(page, markdown):
            return other
    return markdown


def precision_when_it_keeps_the_teaser(page: Page) -> str:
    """Feed text as a hint: take favor_precision when it keeps the teaser as well as the default
    does and loses at most a tenth of the words."""
    markdown = app(page)
    other = cleaned(page, favor_precision=True)
    if (teaser_coverage(page, other) >= teaser_coverage(page, markdown)
            and len(words(reading_text(other))) >= 0.9 * len(words(reading_text(markdown)))):
        return other
    return markdown


def recall_when_short(page: Page) -> str:
    """Fall back to favor_recall when the default text is short (under 200 words), if it is longer."""
    markdown = app(page)
    if len(words(reading_text(markdown))) < 200:
        other = cleaned(page, favor_recall=True)
        if len(words(reading_text(other))) > len(words(reading_text(markdown))):
            return other
    return markdown


VARIANTS: dict[str, tuple[str, Variant]] = {
    "plain": ("trafilatura.extract(page): plain text, every default", trafilatura_plain),
    "default": ("trafilatura, Markdown + links + images, no comments", trafilatura_markdown()),
    "precision": ("… with favor_precision", trafilatura_markdown(favor_precision=True)),
    "recall": ("… with favor_recall", trafilatura_markdown(favor_recall=True)),
    "app-precision": ("app cleaning on favor_precision", lambda page: cleaned(page, favor_precision=True)),
    "app-recall": ("app cleaning on favor_recall", lambda page: cleaned(page, favor_recall=True)),
    "no-link-runs": ("app without dropping runs of links", without("_drop_link_runs")),
    "no-link-blocks": ("app without dropping link-only blocks (and their labels)", without("_drop_link_blocks")),
    "no-captions": ("app without dropping captions repeating alt text", without("_drop_repeated_captions")),
    "no-title": ("app without dropping the headline (no title given)", without_title),
    "hint-recall": ("app + teaser hint: favor_recall when the teaser is missing", recall_when_teaser_missing),
    "hint-precision": ("app + teaser hint: favor_precision when it keeps the teaser", precision_when_it_keeps_the_teaser),
    "short-recall": ("app + favor_recall when under 200 words", recall_when_short),
    "app": ("**app** (default settings + cleaning + title), as shipped", app),
}


def evaluate(pages: list[Page], variant: Variant, repeat: int) -> list[Score]:
    """Each page's score, and its time: the median of ``repeat`` runs."""
    scores = []
    for page in pages:
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            markdown = variant(page)
            times.append(time.perf_counter() - started)
        scores.append(score(page, markdown, statistics.median(times)))
    return scores


def summary(label: str, scores: list[Score]) -> dict:
    full = [s for s in scores if s.f1 is not None]
    ms = sorted(s.seconds * 1000 for s in scores)
    return {
        "label": label,
        "f1": statistics.mean(s.f1 for s in full),
        "precision": statistics.mean(s.precision for s in full),
        "recall": statistics.mean(s.recall for s in full),
        "min_f1": min(s.f1 for s in full),
        "below": sum(s.f1 < TARGET_MIN_F1 for s in full),
        "pages": len(full),
        "with": (sum(s.with_found for s in scores), sum(s.with_total for s in scores)),
        "without": (sum(s.without_absent for s in scores), sum(s.without_total for s in scores)),
        "median_ms": statistics.median(ms),
        "p90_ms": ms[int(0.9 * (len(ms) - 1))],
    }


def print_table(rows: list[dict]) -> None:
    print(
        "| variant | mean F1 | P | R | worst F1 | pages < 0.75 | \"with\" present | \"without\" absent"
        " | median ms | p90 ms |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['label']} | {r['f1']:.4f} | {r['precision']:.3f} | {r['recall']:.3f} | {r['min_f1']:.3f}"
            f" | {r['below']} | {r['with'][0]}/{r['with'][1]} | {r['without'][0]}/{r['without'][1]}"
            f" | {r['median_ms']:.1f} | {r['p90_ms']:.1f} |"
        )


def print_worst(scores: list[Score], n: int = 5) -> None:
    full = sorted((s for s in scores if s.f1 is not None), key=lambda s: s.f1)
    print(f"\nWorst {n} pages (last variant shown):\n")
    print("| page | F1 | P | R |")
    print("|---|---|---|---|")
    for s in full[:n]:
        print(f"| {s.name} | {s.f1:.3f} | {s.precision:.3f} | {s.recall:.3f} |")
    for s in scores:
        for w in s.missing:
            print(f"  missing in {s.name}: {w[:70]!r}")
        for w in s.present:
            print(f"  present in {s.name}: {w[:70]!r}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variant", choices=list(VARIANTS), action="append", help="only these variants")
    parser.add_argument("--pages", action="store_true", help="print the app's score for every page")
    parser.add_argument("--repeat", type=int, default=3, help="runs per page for its time (median)")
    parser.add_argument("--latin1-expected", action="store_true",
                        help="read expected.html as lxml does without a charset (Latin-1), to compare"
                        " with figures computed that way")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    logging.disable(logging.WARNING)  # trafilatura logs every page it finds thin
    pages = load_pages(latin1_expected=args.latin1_expected)
    names = args.variant or list(VARIANTS)
    app(pages[0])  # imports first, so the first page's time is the extraction's, not Python's
    rows, shipped = [], None
    for name in names:
        label, variant = VARIANTS[name]
        scores = evaluate(pages, variant, args.repeat)
        rows.append(summary(label, scores))
        if name == "app" or shipped is None:
            shipped = scores
    print(f"{len(pages)} pages; word F1 over the {rows[0]['pages']} with a full expected text;"
          f" time: median over pages of each page's median of {args.repeat} runs\n")
    print_table(rows)
    print_worst(shipped)
    final = summary("", shipped)
    print("\nTargets (last variant shown):")
    print(f"  mean word F1 >= {TARGET_F1}: {final['f1']:.4f} {'met' if final['f1'] >= TARGET_F1 else 'NOT met'}")
    print(f"  no page below {TARGET_MIN_F1}: worst {final['min_f1']:.3f}"
          f" {'met' if final['below'] == 0 else 'NOT met'}")
    segments_ok = final["with"][0] == final["with"][1] and final["without"][0] == final["without"][1]
    print(f"  every \"with\" present, no \"without\": {'met' if segments_ok else 'NOT met'}")
    print(f"  median time < {TARGET_MEDIAN_MS:g} ms: {final['median_ms']:.1f} ms"
          f" {'met' if final['median_ms'] < TARGET_MEDIAN_MS else 'NOT met'}")
    if args.pages:
        print("\n| page | F1 | P | R | with | without | ms |\n|---|---|---|---|---|---|---|")
        for s in shipped:
            f = " | | " if s.f1 is None else f"{s.f1:.3f} | {s.precision:.3f} | {s.recall:.3f}"
            print(f"| {s.name} | {f} | {s.with_found}/{s.with_total} | {s.without_absent}/{s.without_total}"
                  f" | {s.seconds * 1000:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
