"""Operating characteristics of the signals layer on two simulators (docs/validation.md).

    python bench/validate_signals.py run --sim 1 --seeds 0-199      # ebbtide.simulate (tuned on)
    python bench/validate_signals.py run --sim 2 --seeds 0-199      # bench/sim2.py (never tuned on)
    python bench/validate_signals.py run --sim both --seeds 0-19    # quick look while iterating
    python bench/validate_signals.py report                          # tables (Markdown) + SVG figures

Each seed writes one record per story to ``bench/out/validation/validation-sim{N}.jsonl`` (appended; a seed
already there is skipped, so an interrupted run resumes). The signals layer is called directly on
feature frames (no CLI, no store); features are built once per chat and the chat is assessed at
several "today"s. At most 2 worker processes (this machine has 2 shared cores). With
``EBBTIDE_BENCH_CACHE=DIR`` the feature frames are kept in DIR, so a second run only re-assesses.

Stories per seed (weeks counted from the first day of the chat):

* ``stable`` — 78 weeks of an ordinary couple (sim 2: holidays, a busy month, travel, another app
  for a while, DST); assessed every 4 weeks from week 26 to 78 (one couple-year of monthly checks).
  A **false alarm** is a check whose verdict says someone is pulling away (partner or me pulling away,
  pursue-withdraw, mutual drift); consecutive alarmed checks are one episode. Rate = episodes per
  couple-year. ``too_early`` (both began writing less in the same week, under six weeks ago: no verdict
  yet) and ``insufficient_data`` are not alarms; they are counted apart ("held back").
* ``drop20``/``drop35``/``drop50`` — one-sided drop of the partner beginning at week 26, assessed at
  4, 6, 8, 12, 26 and 52 weeks after the onset. **Detected** = the verdict counts the partner as
  pulling away (partner pulling away, pursue-withdraw or mutual drift). **Onset error** = the
  ``since`` of the partner's first detected behavioural sign (decreased communication or change in
  engagement) minus the planted onset.
  Effect size: sim 1 — the partner's rate of starting conversations falls by X (withdraw level X/0.8;
  slower, rarer, shorter replies move with it as that simulator's model says); sim 2 — starts and
  follow-ups fall by X, replies x (1 - X/2), latency x (1 + 2X) (bench/sim2.py).
* ``one_sided``/``mutual``/``pursue_withdraw``/``me`` — a 50 % change at week 26 of a 40-week chat
  (mutual: both, an 8-week fade), assessed at the end; with the last check of ``stable``, the rows of
  the **pattern confusion matrix**.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections import defaultdict
from datetime import date, timedelta
from multiprocessing import Pool
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
RESULTS = HERE / "out" / "validation"  # raw records (not in git); the summary goes to docs/validation/
ONSET_WEEK = 26
SINCE_ONSET = (4, 6, 8, 12, 26, 52)
EFFECTS = (0.20, 0.35, 0.50)
STABLE_CHECKS = tuple(range(26, 79, 4))  # weeks (14 checks over the second year... weeks 26-78)
PATTERN_STORIES = ("one_sided", "mutual", "pursue_withdraw", "me")
PATTERN_WEEKS = 40
AWAY = {"partner_pulling_away", "pursue_withdraw", "mutual_drift"}
ALARM = AWAY | {"me_pulling_away"}  # a verdict that says someone is pulling away


# ---- the two simulators behind one interface ---------------------------------------------------------
def make_chat(sim: int, story: str, seed: int):  # -> (messages frame, me, partner, onset date | None, start)
    if sim == 1:
        return _sim1(story, seed)
    return _sim2(story, seed)


def _sim1(story: str, seed: int):
    from ebbtide.simulate import simulate_couple
    from ebbtide.simulate.couple import simulate_trajectory
    from ebbtide.simulate.scenarios import Trajectory, _ramp

    start = date(2025, 1, 6)
    if story == "stable":
        chat = simulate_couple("stable", seed=seed, weeks=78, start=start)
        return chat.messages, "Alex", "Sam", None, start
    weeks = 78 if story.startswith("drop") else PATTERN_WEEKS
    t = Trajectory.flat(weeks)
    if story.startswith("drop"):
        x = int(story[4:]) / 100
        _ramp(t.withdraw["partner"], ONSET_WEEK, 2, x / 0.8)
    elif story == "one_sided":
        _ramp(t.withdraw["partner"], ONSET_WEEK, 2, 0.5 / 0.8)
    elif story == "mutual":
        _ramp(t.withdraw["partner"], ONSET_WEEK, 8, 0.5 / 0.8)
        _ramp(t.withdraw["me"], ONSET_WEEK, 8, 0.5 / 0.8)
    elif story == "pursue_withdraw":
        _ramp(t.withdraw["partner"], ONSET_WEEK, 2, 0.5 / 0.8)
        _ramp(t.pursue["me"], ONSET_WEEK, 2, 1.0)
    elif story == "me":
        _ramp(t.withdraw["me"], ONSET_WEEK, 2, 0.5 / 0.8)
    frame = simulate_trajectory(t, seed=seed, label=f"bench-{story}", start=start)
    return frame, "Alex", "Sam", start + timedelta(weeks=ONSET_WEEK), start


def _sim2(story: str, seed: int):
    import numpy as np
    from sim2 import START, Change, Story, default_events, simulate2

    rng = np.random.default_rng([seed, 7, len(story)])
    if story == "stable":
        st = Story("stable", 78, (), default_events(rng, 78))
    else:
        weeks = 78 if story.startswith("drop") else PATTERN_WEEKS
        ev = default_events(rng, ONSET_WEEK, quiet_end=4)  # ordinary life before the change
        ch: tuple = ()
        if story.startswith("drop"):
            ch = (Change("partner", ONSET_WEEK, int(story[4:]) / 100),)
        elif story == "one_sided":
            ch = (Change("partner", ONSET_WEEK, 0.5),)
        elif story == "mutual":
            ch = (Change("partner", ONSET_WEEK, 0.5, ramp=8), Change("me", ONSET_WEEK, 0.5, ramp=8))
        elif story == "pursue_withdraw":
            ch = (Change("partner", ONSET_WEEK, 0.5), Change("me", ONSET_WEEK, 0.8, kind="pursue"))
        elif story == "me":
            ch = (Change("me", ONSET_WEEK, 0.5),)
        st = Story(story, weeks, ch, ev)
    frame, truth = simulate2(st, seed)
    onset = START + timedelta(weeks=ONSET_WEEK) if story != "stable" else None
    return frame, truth.me, truth.partner, onset, START


# ---- one task: one seed, one story --------------------------------------------------------------------
def _behavioural_since(a, person: str):
    from ebbtide.model import SignId, SignStatus

    for sign in (SignId.DECREASED_COMMUNICATION, SignId.CHANGE_IN_ENGAGEMENT):
        for s in a.signs:
            if s.person == person and s.sign is sign and s.status is SignStatus.DETECTED and s.since:
                return s
    return None


def run_task(task: tuple[int, str, int]) -> dict:
    sim, story, seed = task
    import polars as pl

    from ebbtide.pipeline import Pipeline

    t0 = time.perf_counter()
    cache = os.environ.get("EBBTIDE_BENCH_CACHE")  # a folder: features kept between runs (tuning loops)
    cached = Path(cache) / f"sim{sim}-{story}-{seed}.parquet" if cache else None
    if cached is not None and cached.exists():
        feats = pl.read_parquet(cached)
        meta = json.loads(cached.with_suffix(".json").read_text())
        me, partner, start = meta["me"], meta["partner"], date.fromisoformat(meta["start"])
        onset = date.fromisoformat(meta["onset"]) if meta["onset"] else None
        pipe = Pipeline(me=me, partner=partner, with_matches=False, features=feats)
    else:
        frame, me, partner, onset, start = make_chat(sim, story, seed)
        pipe = Pipeline(me=me, partner=partner, with_matches=False).fit(frame)  # features once, assessed often
        assert pipe.features is not None
        feats = pipe.features
        if cached is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            feats.drop([c for c, t in feats.schema.items() if t == pl.Object]).write_parquet(cached)
            cached.with_suffix(".json").write_text(json.dumps(
                {"me": me, "partner": partner, "start": str(start), "onset": str(onset) if onset else None}))
    rec: dict = {"sim": sim, "story": story, "seed": seed, "messages": feats.height}
    if story == "stable":
        checks = []
        for w in STABLE_CHECKS:
            a = pipe.assess(today=start + timedelta(weeks=w, days=-1), seed=seed)
            checks.append({"week": w, "pattern": a.pattern.value,
                           "signs": sorted({f"{s.person == me and 'me' or 'partner'}:{s.sign.value}"
                                            for s in a.signs if s.status.value == "detected"})})
        rec["checks"] = checks
    elif story.startswith("drop"):
        evals = []
        for k in SINCE_ONSET:
            a = pipe.assess(today=onset + timedelta(weeks=k, days=-1), seed=seed)
            s = _behavioural_since(a, partner)
            evals.append({"weeks_since_onset": k, "pattern": a.pattern.value,
                          "detected": a.pattern.value in AWAY,
                          "onset_error_days": (s.since - onset).days if s else None,
                          "onset_range_days": [(s.since_low - onset).days, (s.since_high - onset).days]
                          if s and s.since_low and s.since_high else None})
        rec["evals"] = evals
    else:
        a = pipe.assess(seed=seed)
        rec["pattern"] = a.pattern.value
        who = me if story == "me" else partner
        s = _behavioural_since(a, who)
        rec["onset_error_days"] = (s.since - onset).days if s and onset else None
    rec["seconds"] = round(time.perf_counter() - t0, 2)
    return rec


def _stories() -> list[str]:
    return ["stable", *(f"drop{int(x * 100)}" for x in EFFECTS), *PATTERN_STORIES]


def run(sims: list[int], seeds: list[int], workers: int, stories: list[str] | None = None) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    tasks = []
    for sim in sims:
        done = {(r["story"], r["seed"]) for r in load(sim)}
        tasks += [(sim, st, s) for s in seeds for st in (stories or _stories()) if (st, s) not in done]
    tasks.sort(key=lambda t: (t[2], t[0], t[1]))  # seed by seed, both simulators: a cut-short run stays balanced
    print(f"{len(tasks)} tasks on {workers} worker(s)", flush=True)
    t0 = time.perf_counter()
    with Pool(workers, maxtasksperchild=20) as pool:
        for i, rec in enumerate(pool.imap_unordered(run_task, tasks), 1):
            path = RESULTS / f"validation-sim{rec['sim']}.jsonl"
            with path.open("a") as fh:
                fh.write(json.dumps(rec) + "\n")
            if i % 10 == 0 or i == len(tasks):
                print(f"{i}/{len(tasks)} done, {time.perf_counter() - t0:.0f} s", flush=True)


def load(sim: int) -> list[dict]:
    path = RESULTS / f"validation-sim{sim}.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


# ---- summary -----------------------------------------------------------------------------------------
def _pct(xs: list[float], q: float) -> float | None:
    if not xs:
        return None
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, math.ceil(q * len(s)) - 1))]


def summarise(sim: int) -> dict:
    recs = load(sim)
    out: dict = {"sim": sim}
    stable = [r for r in recs if r["story"] == "stable"]
    episodes = 0
    alarm_checks = 0
    held_checks = 0
    sign_alarms: dict[str, int] = defaultdict(int)
    for r in stable:
        prev = False
        for c in r["checks"]:
            alarm = c["pattern"] in ALARM
            held_checks += c["pattern"] in ("too_early", "insufficient_data")
            alarm_checks += alarm
            episodes += alarm and not prev
            prev = alarm
            for s in c["signs"]:
                sign_alarms[s] += 1
    near_event = 0
    if sim == 2 and stable:  # which alarms came within 6 weeks after a holiday, busy month, trip or app switch
        import numpy as np
        from sim2 import default_events

        for r in stable:
            ev = default_events(np.random.default_rng([r["seed"], 7, len("stable")]), 78)
            for c in r["checks"]:
                if c["pattern"] in ALARM and any(e.start < c["week"] and e.end > c["week"] - 6 for e in ev):
                    near_event += 1
    years = len(stable) * (STABLE_CHECKS[-1] - STABLE_CHECKS[0]) / 52 if stable else 0
    out["stable"] = {"couples": len(stable), "couple_years": round(years, 1), "episodes": episodes,
                     "per_10_couple_years": round(10 * episodes / years, 2) if years else None,
                     "alarmed_checks": alarm_checks, "held_back_checks": held_checks, "checks": sum(len(r["checks"]) for r in stable),
                     "alarmed_checks_within_6_weeks_after_a_life_event": near_event if sim == 2 else None,
                     "sign_alarms_per_check": {k: round(v / max(1, sum(len(r["checks"]) for r in stable)), 4)
                                               for k, v in sorted(sign_alarms.items())}}
    det: dict = {}
    onset: dict = {}
    for x in EFFECTS:
        name = f"drop{int(x * 100)}"
        rs = [r for r in recs if r["story"] == name]
        det[name] = {}
        for k in SINCE_ONSET:
            ev = [e for r in rs for e in r["evals"] if e["weeks_since_onset"] == k]
            det[name][k] = round(sum(e["detected"] for e in ev) / len(ev), 3) if ev else None
        errs = [abs(e["onset_error_days"]) for r in rs for e in r["evals"]
                if e["weeks_since_onset"] >= 6 and e["detected"] and e["onset_error_days"] is not None]
        covered = [e for r in rs for e in r["evals"] if e["weeks_since_onset"] >= 6 and e["onset_range_days"]]
        onset[name] = {"n": len(errs), "median_abs_days": _pct(errs, 0.5), "p90_abs_days": _pct(errs, 0.9),
                       "within_14_days": round(sum(e <= 14 for e in errs) / len(errs), 3) if errs else None,
                       "within_21_days": round(sum(e <= 21 for e in errs) / len(errs), 3) if errs else None,
                       "range_holds_truth": round(sum(lo - 3 <= 0 <= hi + 3 for lo, hi in
                                                      (e["onset_range_days"] for e in covered)) / len(covered), 3)
                       if covered else None,
                       "n_seeds": len(rs)}
    out["detection"] = det
    out["onset"] = onset
    conf: dict = {}
    for st in PATTERN_STORIES:
        rs = [r for r in recs if r["story"] == st]
        counts: dict[str, int] = defaultdict(int)
        for r in rs:
            counts[r["pattern"]] += 1
        conf[st] = dict(counts)
    last = defaultdict(int)
    for r in stable:
        last[r["checks"][-1]["pattern"]] += 1
    conf["stable"] = dict(last)
    out["confusion"] = conf
    secs = [r["seconds"] for r in recs]
    out["seconds_per_story"] = round(sum(secs) / len(secs), 2) if secs else None
    return out


COLUMNS = ("partner_pulling_away", "mutual_drift", "pursue_withdraw", "me_pulling_away", "stable",
           "too_early", "insufficient_data")
SHORT = {"partner_pulling_away": "partner away", "mutual_drift": "mutual", "pursue_withdraw": "pursue–withdraw",
         "me_pulling_away": "me away", "stable": "stable", "too_early": "too early",
         "insufficient_data": "too little data"}
ROW_LABEL = {"one_sided": "one-sided (partner)", "mutual": "mutual drift", "pursue_withdraw": "pursue–withdraw",
             "me": "me pulling away", "stable": "stable"}


def markdown(s: dict) -> str:
    lines = [f"### Simulator {s['sim']}", ""]
    st = s["stable"]
    lines += [f"**False alarms:** {st['episodes']} episodes in {st['couple_years']} stable couple-years "
              f"({st['couples']} couples, monthly checks) = **{st['per_10_couple_years']} per 10 couple-years**; "
              f"{st['alarmed_checks']} of {st['checks']} checks alarmed, {st.get('held_back_checks', 0)} held back "
              "(too early or too little data)"
              + (f", {st['alarmed_checks_within_6_weeks_after_a_life_event']} of them within 6 weeks after a "
                 "holiday, busy month, trip or stretch on another app." if s["sim"] == 2 else "."), ""]
    lines += ["| effect | " + " | ".join(f"{k} wk" for k in SINCE_ONSET) + " |",
              "|---|" + "---|" * len(SINCE_ONSET)]
    for name, row in s["detection"].items():
        lines.append(f"| {name[4:]} % drop | " + " | ".join(
            "—" if row[k] is None else f"{100 * row[k]:.0f} %" for k in SINCE_ONSET) + " |")
    lines += ["", "| effect | onsets dated (≥ 6 wk) | median abs. error | 90th pct | within 2 wk | within 3 wk "
              "| range holds truth (±3 d) |", "|---|---|---|---|---|---|---|"]
    for name, o in s["onset"].items():
        def f(v: float | None, pct: bool = False) -> str:
            return "—" if v is None else (f"{100 * v:.0f} %" if pct else f"{v:.0f} d")
        lines.append(f"| {name[4:]} % drop | {o['n']} | {f(o['median_abs_days'])} | {f(o['p90_abs_days'])} | "
                     f"{f(o['within_14_days'], True)} | {f(o['within_21_days'], True)} | "
                     f"{f(o['range_holds_truth'], True)} |")
    lines += ["", "| planted \\ verdict | " + " | ".join(c.replace("_", " ") for c in COLUMNS) + " |",
              "|---|" + "---|" * len(COLUMNS)]
    for row, counts in s["confusion"].items():
        n = sum(counts.values())
        lines.append(f"| {ROW_LABEL[row]} (n={n}) | " + " | ".join(
            f"**{counts.get(c, 0)}**" if _diag(row, c) else str(counts.get(c, 0)) for c in COLUMNS) + " |")
    return "\n".join(lines)


def _diag(row: str, col: str) -> bool:
    return {"one_sided": "partner_pulling_away", "mutual": "mutual_drift", "pursue_withdraw": "pursue_withdraw",
            "me": "me_pulling_away", "stable": "stable"}[row] == col


# ---- SVG figures (no plotting library needed) ----------------------------------------------------------
def svg_detection(sums: list[dict], path: Path) -> None:
    w, h, m = 640, 300, 50
    colors = {"drop20": "#9ecae1", "drop35": "#4292c6", "drop50": "#08519c"}
    xs = list(SINCE_ONSET)
    def px(k: int) -> float:
        return m + (w - 2 * m) * (math.log(k) - math.log(xs[0])) / (math.log(xs[-1]) - math.log(xs[0]))
    def py(v: float) -> float:
        return h - m + (2 * m - h) * v
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w * len(sums)}" height="{h}" font-family="sans-serif" '
           'font-size="11">']
    for i, s in enumerate(sums):
        ox = i * w
        out.append(f'<g transform="translate({ox},0)"><text x="{w / 2}" y="18" text-anchor="middle" font-size="13">'
                   f'Simulator {s["sim"]}: share detected vs weeks since onset</text>')
        for v in (0, 0.5, 0.9, 1.0):
            out.append(f'<line x1="{m}" x2="{w - m}" y1="{py(v):.1f}" y2="{py(v):.1f}" stroke="#ddd"/>'
                       f'<text x="{m - 6}" y="{py(v) + 4:.1f}" text-anchor="end">{v * 100:.0f}%</text>')
        for k in xs:
            out.append(f'<text x="{px(k):.1f}" y="{h - m + 16}" text-anchor="middle">{k}</text>')
        for name, row in s["detection"].items():
            pts = [(px(k), py(row[k])) for k in xs if row[k] is not None]
            if pts:
                out.append(f'<polyline fill="none" stroke="{colors[name]}" stroke-width="2" points="'
                           + " ".join(f"{x:.1f},{y:.1f}" for x, y in pts) + '"/>')
                out.append(f'<text x="{pts[-1][0] + 4:.1f}" y="{pts[-1][1] - 4:.1f}" fill="{colors[name]}">'
                           f'{name[4:]}%</text>')
        out.append(f'<text x="{w / 2}" y="{h - 10}" text-anchor="middle">weeks since the planted onset (log scale)'
                   '</text></g>')
    out.append("</svg>")
    path.write_text("\n".join(out))


def svg_confusion(sums: list[dict], path: Path) -> None:
    cell, left, top = 70, 150, 70
    rows = list(ROW_LABEL)
    width = left + cell * len(COLUMNS) + 20
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width * len(sums)}" height="{top + cell * len(rows) + 20}"'
           ' font-family="sans-serif" font-size="11">']
    for i, s in enumerate(sums):
        out.append(f'<g transform="translate({i * width},0)"><text x="{left}" y="16" font-size="13">Simulator '
                   f'{s["sim"]}: planted (rows) vs verdict (columns)</text>')
        for j, c in enumerate(COLUMNS):
            out.append(f'<text x="{left + j * cell + cell / 2}" y="{top - 8}" text-anchor="middle" '
                       f'font-size="10">{SHORT[c]}</text>')
        for r, row in enumerate(rows):
            counts = s["confusion"].get(row, {})
            n = max(1, sum(counts.values()))
            out.append(f'<text x="{left - 6}" y="{top + r * cell + cell / 2 + 4}" text-anchor="end">{ROW_LABEL[row]}'
                       '</text>')
            for j, c in enumerate(COLUMNS):
                v = counts.get(c, 0) / n
                shade = int(255 - 200 * v)
                out.append(f'<rect x="{left + j * cell}" y="{top + r * cell}" width="{cell - 2}" height="{cell - 2}" '
                           f'fill="rgb({shade},{shade},255)"/><text x="{left + j * cell + cell / 2}" '
                           f'y="{top + r * cell + cell / 2 + 4}" text-anchor="middle">{100 * v:.0f}%</text>')
        out.append("</g>")
    out.append("</svg>")
    path.write_text("\n".join(out))


def report(fig_dir: Path) -> None:
    sums = [summarise(s) for s in (1, 2) if load(s)]
    fig_dir.mkdir(parents=True, exist_ok=True)
    svg_detection(sums, fig_dir / "detection.svg")
    svg_confusion(sums, fig_dir / "confusion.svg")
    (fig_dir / "summary.json").write_text(json.dumps(sums, indent=1, default=str) + "\n")
    for s in sums:
        print(markdown(s), "\n")


def _seeds(text: str) -> list[int]:
    if "-" in text:
        a, b = text.split("-")
        return list(range(int(a), int(b) + 1))
    return [int(x) for x in text.split(",")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--sim", choices=["1", "2", "both"], default="both")
    r.add_argument("--seeds", default="0-199", help="e.g. 0-199 (the figures), 0-19 (a quick look)")
    r.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    r.add_argument("--stories", help="comma-separated subset, e.g. stable,drop35 (default: all)")
    r.add_argument("--out", help="folder for the raw records (default bench/out/validation)")
    p = sub.add_parser("report")
    p.add_argument("--figures", default=str(HERE.parent / "docs" / "validation"))
    p.add_argument("--out", help="folder of the raw records (default bench/out/validation)")
    args = ap.parse_args()
    if args.cmd == "run":
        sims = [1, 2] if args.sim == "both" else [int(args.sim)]
        if args.out:
            global RESULTS
            RESULTS = Path(args.out)
        run(sims, _seeds(args.seeds), max(1, min(args.workers, 2)), args.stories.split(",") if args.stories else None)
    else:
        if args.out:
            RESULTS = Path(args.out)
        report(Path(args.figures))


if __name__ == "__main__":
    main()
