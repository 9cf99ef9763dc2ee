"""Rupture and repair words: precision and recall per category and language on our labelled set.

    python bench/repair_quality.py --part held     # the figures in docs/repair.md
    python bench/repair_quality.py --part dev      # the part the lists were written against

The set (tests/fixtures/repair/labelled.jsonl) was written for ebbtide: everyday messages in five
languages, with hard negatives (negation, "sorry I'm late", sympathy, laughter after an insult).
Every second item of each language is held apart ("held") and was not looked at while writing the lists.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).parents[1] / "src"))

from ebbtide.features.repair import CATEGORIES, COLUMNS, mark_texts  # noqa: E402

SET = Path(__file__).parents[1] / "tests" / "fixtures" / "repair" / "labelled.jsonl"


def load(part: str) -> list[dict]:
    rows = [json.loads(line) for line in SET.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if part == "all" or r["part"] == part]


def scores(rows: list[dict]) -> dict[tuple[str, str], tuple[int, int, int]]:
    """(lang or 'all', category) -> (true positives, false positives, false negatives)."""
    marked = mark_texts(pl.Series([r["text"] for r in rows]))
    out: dict[tuple[str, str], list[int]] = {}
    for i, r in enumerate(rows):
        for cat in CATEGORIES:
            got, want = bool(marked[COLUMNS[cat]][i]), cat in r["labels"]
            for key in ((r["lang"], cat), ("all", cat)):
                t = out.setdefault(key, [0, 0, 0])
                t[0] += got and want
                t[1] += got and not want
                t[2] += want and not got
    return {k: (v[0], v[1], v[2]) for k, v in out.items()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--part", choices=("dev", "held", "all"), default="held")
    args = ap.parse_args(argv)
    rows = load(args.part)
    table = scores(rows)
    print(f"{len(rows)} messages ({args.part})")
    print(f"{'lang':5} {'category':10} {'precision':>10} {'recall':>8} {'tp':>4} {'fp':>4} {'fn':>4}")
    for (lang, cat), (tp, fp, fn) in sorted(table.items()):
        if tp + fp + fn == 0:
            continue
        p = f"{tp / (tp + fp):.2f}" if tp + fp else "-"
        r = f"{tp / (tp + fn):.2f}" if tp + fn else "-"
        print(f"{lang:5} {cat:10} {p:>10} {r:>8} {tp:4} {fp:4} {fn:4}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
