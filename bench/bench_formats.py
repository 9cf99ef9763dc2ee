"""Time `ebbtide import` of a Telegram JSON and an SMS XML next to a WhatsApp export, N messages each.

Target (issue 4, part 7): every format imports at no less than half the WhatsApp speed. Each import
runs as a whole process into a fresh store (interpreter start-up, reading, time zones, people,
dedup and writing included), measured by bench/measure.py: the figure kept is the median wall
time of the runs and the largest peak RSS. ebbtide is installed from this checkout into a throwaway venv first (see bench_parse.py). The generators are our own and seeded (same N, same
files): two people, bursty timing, ~20 % emoji, a few multi-line and media messages.

    python bench/bench_formats.py                      # 1M messages each, 3 runs
    python bench/bench_formats.py --messages 100000 --runs 1

Prints a table: format, file MB, messages/s, wall s, peak MiB, speed relative to WhatsApp.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np

HERE = Path(__file__).resolve().parent
WORDS = (
    "ok yes no maybe love you miss tonight tomorrow work home dinner movie call later sure haha "
    "really what when where why how good great fine tired busy weekend coffee train late soon "
    "sorry thanks babe sweet cute funny weird crazy nice cool done back out free plans"
).split()
EMOJI = ["😂", "❤️", "😘", "👍", "🙈", "🥰", "🙂", "🇩🇪"]
START = datetime(2015, 3, 1, 9, 14, tzinfo=UTC)
LOCAL = timedelta(hours=1)  # the exporting computer's offset in the Telegram file


def _draws(n: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    gaps = np.where(rng.random(n) < 0.95, rng.exponential(60, n), rng.exponential(3600, n))
    return {
        "secs": np.cumsum(np.maximum(gaps, 1)).astype(np.int64),
        "n_words": rng.integers(1, 14, n),
        "words": rng.integers(0, len(WORDS), (n, 13)),
        "emoji": np.where(rng.random(n) < 0.2, rng.integers(0, len(EMOJI), n), -1),
        "multi": rng.random(n) < 0.05,
        "media": rng.random(n) < 0.03,
        "switch": rng.random(n) < 0.45,
    }


def _texts(d: dict[str, np.ndarray], n: int) -> list[str]:
    out = []
    for i in range(n):
        text = " ".join(WORDS[j] for j in d["words"][i, : d["n_words"][i]])
        if d["emoji"][i] >= 0:
            text += " " + EMOJI[d["emoji"][i]]
        if d["multi"][i]:
            text += "\n" + " ".join(WORDS[j] for j in d["words"][i, :3])
        out.append(text)
    return out


def _senders(d: dict[str, np.ndarray]) -> np.ndarray:
    return np.cumsum(d["switch"]) % 2  # 0 = me, 1 = the partner


def generate_telegram(n: int, path: Path, seed: int = 2) -> None:
    """A Telegram Desktop one-chat export (result.json) with date, date_unixtime and text_entities."""
    d = _draws(n, seed)
    texts, who = _texts(d, n), _senders(d)
    base = int(START.timestamp())
    names, ids = ("Alex Miller", "Sam 🐻"), ("user1001", "user2002")
    with path.open("w", encoding="utf-8") as f:
        f.write('{\n "name": "Sam 🐻",\n "type": "personal_chat",\n "id": 2002,\n "messages": [\n')
        for i in range(n):
            unix = base + int(d["secs"][i])
            local = (datetime.fromtimestamp(unix, UTC) + LOCAL).strftime("%Y-%m-%dT%H:%M:%S")
            s = int(who[i])
            msg: dict[str, object] = {"id": i + 1, "type": "message", "date": local, "date_unixtime": str(unix),
                                      "from": names[s], "from_id": ids[s]}
            if d["media"][i]:
                msg.update(photo="(File not included. Change data exporting settings to download.)",
                           width=1280, height=960, text="", text_entities=[])
            else:
                msg.update(text=texts[i], text_entities=[{"type": "plain", "text": texts[i]}])
            f.write("  " + json.dumps(msg, ensure_ascii=False) + (",\n" if i < n - 1 else "\n"))
        f.write(" ]\n}\n")


def generate_sms(n: int, path: Path, seed: int = 3) -> None:
    """An SMS Backup & Restore XML: one <sms/> per line, emoji partly as surrogate references."""
    d = _draws(n, seed)
    texts, who = _texts(d, n), _senders(d)
    base_ms = int(START.timestamp()) * 1000
    with path.open("w", encoding="utf-8") as f:
        f.write("<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n")
        f.write(f'<smses count="{n}" backup_set="bench" backup_date="{base_ms}" type="full">\n')
        for i in range(n):
            body = quoteattr(texts[i])  # escapes line breaks as &#10; too
            if i % 10 == 0:  # the app writes emoji as UTF-16 surrogate pairs now and then
                body = body.replace("😂", "&#55357;&#56834;")
            kind = 2 if who[i] == 0 else 1
            f.write(f'  <sms protocol="0" address="+447700900123" date="{base_ms + int(d["secs"][i]) * 1000}" '
                    f'type="{kind}" subject="null" body={body} toa="null" sc_toa="null" service_center="null" '
                    f'read="1" status="-1" locked="0" date_sent="0" sub_id="-1" readable_date="" '
                    f'contact_name="Sam" />\n')
        f.write("</smses>\n")


def generate_whatsapp(n: int, path: Path) -> None:
    sys.path.insert(0, str(HERE))
    from gen_whatsapp import generate

    path.write_text(generate(n), encoding="utf-8")


def measure_import(path: Path, work: Path, runs: int, ebbtide: list[str]) -> dict[str, float]:
    results = []
    for k in range(runs):
        db = work / f"{path.stem}_{k}.duckdb"
        cmd = [*ebbtide, "import", str(path), "--db", str(db), "--tz", "UTC"]
        out = subprocess.run([sys.executable, str(HERE / "measure.py"), "--", *cmd],
                             capture_output=True, text=True, check=True)
        r = json.loads(out.stdout)
        if r["returncode"] != 0:
            raise SystemExit(f"import failed: {path}\n{r['stderr_tail']}")
        results.append(r)
        db.unlink(missing_ok=True)
    return {"wall_s": statistics.median(r["wall_s"] for r in results),
            "peak_mib": max(r["peak_mib"] for r in results)}


def _ensure_self() -> list[str]:
    sys.path.insert(0, str(HERE))
    from bench_parse import ensure_self

    return ensure_self()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--messages", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--keep", action="store_true", help="keep the generated files (printed)")
    ap.add_argument("--ebbtide-cmd", help="time this command instead of a fresh install, e.g. 'ebbtide'")
    args = ap.parse_args()
    n = args.messages
    work = Path(tempfile.mkdtemp(prefix="ebbtide-bench-formats-"))
    files = {"whatsapp": work / "chat.txt", "telegram": work / "result.json", "sms": work / "sms.xml"}
    generate_whatsapp(n, files["whatsapp"])
    generate_telegram(n, files["telegram"])
    generate_sms(n, files["sms"])
    # ebbtide installed from this checkout into its own venv, as in bench_parse.py (byte code compiled)
    ebbtide = args.ebbtide_cmd.split() if args.ebbtide_cmd else _ensure_self()
    rows = {}
    for name, path in files.items():
        rows[name] = measure_import(path, work, args.runs, ebbtide) | {"mb": path.stat().st_size / 1e6}
    base = n / rows["whatsapp"]["wall_s"]
    print(f"{n:,} messages per file, {args.runs} run(s) each, median wall time, largest peak RSS")
    print(f"{'format':<10} {'file MB':>8} {'msg/s':>10} {'wall s':>8} {'peak MiB':>9} {'vs WhatsApp':>12}")
    for name, r in rows.items():
        speed = n / r["wall_s"]
        print(f"{name:<10} {r['mb']:>8.0f} {speed:>10,.0f} {r['wall_s']:>8.1f} {r['peak_mib']:>9.0f} "
              f"{speed / base:>11.0%}")
    if args.keep:
        print(f"files kept in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
