"""Safety detection quality: precision and recall per class and language on our own labelled set.

    python bench/bench_safety.py                 # the development part (the one patterns were tuned on)
    python bench/bench_safety.py --part held     # the part held apart: final figures only (docs/safety.md)
    python bench/bench_safety.py --errors        # also list the misses and false alarms (dev part only)
    python bench/bench_safety.py --part held --source held5   # the sixth round's blind held-apart set

The set (bench/data/safety/<lang>.txt) and its labelling guide are described in docs/safety.md.
Each line is a template; {a|b} expands to one message per choice. About 30 % of the lines, chosen by
a hash of the line, form the held-apart part: whole templates, so that a phrasing seen while tuning
never counts in the final figures.
"""

from __future__ import annotations

import argparse
import itertools
import re
import sys
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from ebbtide.signals.safety import CLEAR, LANGS, classify_texts  # noqa: E402

DATA = HERE / "data" / "safety"
MAX_PER_LINE = 4
HELD_SHARE = 3  # tenths of the lines held apart
POSITIVE = (*CLEAR, "contempt")
_BRACES = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True)
class Item:
    lang: str
    label: str  # control, threat, self_harm, contempt, ambiguous, none
    kind: str  # for "none": figure, joke, quote, game, concert, abuse_other, distance, care, everyday
    text: str
    part: str  # dev or held
    source: str = "round1"  # round1 (<lang>.txt), dev2, dev3, held3, dev4, held4, dev5 or held5 (the file's suffix)


def expand(template: str) -> list[str]:
    """``{a|b} x {c|d}`` -> up to MAX_PER_LINE messages, varying every slot (diagonal first)."""
    slots = [m.group(1).split("|") for m in _BRACES.finditer(template)]
    if not slots:
        return [template]
    pieces = _BRACES.split(template)
    combos = [tuple(s[i % len(s)] for s in slots) for i in range(max(len(s) for s in slots))]
    for c in itertools.product(*slots):
        if c not in combos:
            combos.append(c)
    out = []
    for combo in combos[:MAX_PER_LINE]:
        text = pieces[0]
        for k, choice in enumerate(combo):
            text += choice + pieces[2 * k + 2]
        out.append(text)
    return out


def part_of(lang: str, line: str) -> str:
    return "held" if zlib.crc32(f"{lang}:{line}".encode()) % 10 < HELD_SHARE else "dev"


def load(lang: str) -> list[Item]:
    """The labelled items of ``lang``: ``<lang>.txt`` (split dev/held by line), when present
    ``<lang>_dev2.txt`` (second-round items written after the first held-apart look: all dev), and
    ``<lang>_dev3.txt`` (third round, written blind to the patterns: all development) and
    ``<lang>_held3.txt`` (third round, by another writer, blind: held apart for the third round's figures,
    development since the fourth round), ``<lang>_dev4.txt`` (fourth round, new writers, blind: development)
    and ``<lang>_held4.txt`` (fourth round, by new writers, blind: held apart for the fourth and fifth rounds'
    figures, development since the sixth round), ``<lang>_dev5.txt`` (fifth round: our own hard negatives for
    the new rules, development) and ``<lang>_held5.txt`` (sixth round, by new writers, blind: all held apart)."""
    items = []
    for name, fixed in ((f"{lang}.txt", None), (f"{lang}_dev2.txt", "dev"), (f"{lang}_dev3.txt", "dev"),
                        (f"{lang}_held3.txt", "dev"), (f"{lang}_dev4.txt", "dev"), (f"{lang}_held4.txt", "dev"),
                        (f"{lang}_dev5.txt", "dev"), (f"{lang}_held5.txt", "held")):
        if not (DATA / name).exists():
            continue
        for raw in (DATA / name).read_text(encoding="utf-8").splitlines():
            if not raw.strip() or raw.lstrip().startswith("#"):
                continue
            label, _, template = raw.partition("\t")
            label, _, kind = label.strip().partition("/")
            part = fixed or part_of(lang, template.strip())
            source = name.removesuffix(".txt").partition("_")[2] or "round1"
            items.extend(Item(lang, label, kind or label, t, part, source) for t in expand(template.strip()))
    return items


def level(cls: str | None) -> str:
    return "clear" if cls in CLEAR else (cls or "none")


def report(items: list[Item], predicted: list[str | None]) -> dict[str, dict[str, float]]:
    """Figures for one language and part (fractions; counts under "n_...")."""
    out: dict[str, dict[str, float]] = {}
    for cls in POSITIVE:
        gold = [i for i, it in enumerate(items) if it.label == cls]
        pred = [i for i, p in enumerate(predicted) if p == cls]
        # recall: clear danger counts when flagged at the clear level (any of the three classes);
        # contempt when flagged as contempt or as clear danger.
        ok = CLEAR if cls in CLEAR else (*CLEAR, "contempt")
        found = sum(1 for i in gold if predicted[i] in ok)
        exact = sum(1 for i in pred if items[i].label == cls)
        out[cls] = {"n": len(gold), "recall": found / len(gold) if gold else float("nan"),
                    "precision": exact / len(pred) if pred else float("nan"), "flagged": len(pred)}
    clear_pred = [i for i, p in enumerate(predicted) if p in CLEAR]
    clear_ok = sum(1 for i in clear_pred if items[i].label in CLEAR)
    out["clear"] = {"precision": clear_ok / len(clear_pred) if clear_pred else float("nan"),
                    "flagged": len(clear_pred)}
    amb = [i for i, it in enumerate(items) if it.label == "ambiguous"]
    out["ambiguous"] = {"n": len(amb),
                        "asked": sum(1 for i in amb if predicted[i] is not None) / len(amb) if amb else float("nan"),
                        "to_clear": sum(1 for i in amb if predicted[i] in CLEAR) / len(amb) if amb else float("nan")}
    for name, select in (("everyday", lambda it: it.kind == "everyday"),
                         ("hard", lambda it: it.label == "none" and it.kind != "everyday")):
        idx = [i for i, it in enumerate(items) if select(it)]
        out[name] = {"n": len(idx),
                     "any_flag": sum(1 for i in idx if predicted[i] is not None) / len(idx) if idx else float("nan"),
                     "clear_flag": sum(1 for i in idx if predicted[i] in CLEAR) / len(idx) if idx else float("nan")}
    return out


def _print(lang: str, figures: dict[str, dict[str, float]]) -> None:
    for cls in POSITIVE:
        f = figures[cls]
        print(f"{lang:4} {cls:10} {f['n']:4.0f} {_pct(f['recall']):>6} {_pct(f['precision']):>6}")
    print(f"{lang:4} {'clear lvl':10} {'':4} {'':>6} {_pct(figures['clear']['precision']):>6}")
    a, e, h = figures["ambiguous"], figures["everyday"], figures["hard"]
    print(f"{lang:4} ambiguous n={a['n']:.0f}: asked {_pct(a['asked'])}, raised to safety-first {_pct(a['to_clear'])}")
    print(f"{lang:4} everyday  n={e['n']:.0f}: any flag {_pct(e['any_flag'])}, safety-first {_pct(e['clear_flag'])}")
    print(f"{lang:4} hard neg  n={h['n']:.0f}: any flag {_pct(h['any_flag'])}, safety-first {_pct(h['clear_flag'])}")


def _pct(x: float) -> str:
    return "   –" if x != x else f"{x:4.2f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--part", choices=("dev", "held", "all"), default="dev")
    ap.add_argument("--errors", action="store_true", help="list misses and false alarms (not with --part held)")
    ap.add_argument("--lang", choices=LANGS, action="append")
    ap.add_argument("--source", choices=("all", "round1", "dev2", "dev3", "held3", "dev4", "held4", "dev5", "held5"),
                    default="all", help="one file of the set: dev3, held3, dev4, held4 and held5 were written blind to "
                    "the patterns (held5 is the held-apart set since the sixth round)")
    args = ap.parse_args(argv)
    if args.errors and args.part != "dev":
        ap.error("--errors only on the development part: the held part is for final figures only")
    langs = args.lang or list(LANGS)
    print(f"part: {args.part}   (recall of control/threat/self-harm: flagged as clear danger; "
          f"contempt: flagged as contempt or clear danger)")
    print(f"{'lang':4} {'class':10} {'n':>4} {'recall':>6} {'prec':>6}")
    sizes: Counter[str] = Counter()
    pooled_items: list[Item] = []
    pooled_pred: list[str | None] = []
    for lang in [*langs, "all"] if len(langs) > 1 else langs:
        if lang == "all":
            _print(lang, report(pooled_items, pooled_pred))
            continue
        all_items = load(lang)
        for it in all_items:
            sizes[f"{lang} {'positive' if it.label in POSITIVE else it.label if it.label == 'ambiguous' else 'everyday' if it.kind == 'everyday' else 'hard negative'} {it.part}"] += 1
        items = [it for it in all_items if (args.part == "all" or it.part == args.part)
                 and args.source in ("all", it.source)]
        predicted = classify_texts([it.text for it in items])
        pooled_items.extend(items)
        pooled_pred.extend(predicted)
        _print(lang, report(items, predicted))
        if args.errors:
            by: dict[str, list[str]] = defaultdict(list)
            for it, p in zip(items, predicted, strict=True):
                wrong = (it.label in CLEAR and p not in CLEAR) or (it.label == "contempt" and p not in (*CLEAR, "contempt")) \
                    or (it.label == "none" and p is not None) or (it.label == "ambiguous" and p in CLEAR) \
                    or (it.label == "ambiguous" and p is None)
                if wrong:
                    by[f"{it.label}/{it.kind}"].append(f"{p!s:10} {it.text}")
            for key, lines in sorted(by.items()):
                print(f"  -- {key}")
                for line in lines:
                    print(f"     {line}")
    print("\nset sizes (messages):")
    for key in sorted(sizes):
        print(f"  {key}: {sizes[key]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
