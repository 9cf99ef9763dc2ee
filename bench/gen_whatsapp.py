"""Write a two-person Android en-US WhatsApp export of N messages for the benchmarks.

The mix follows the peers' benchmark (../shared/research/peers.md §8) so figures are comparable:
5 % multi-line, 3 % <Media omitted>, 0.5 % deleted, 1 % URLs, 2 % bodies containing ": ",
about 20 % with emoji (ZWJ sequences and flags included), 0.3 % system lines, the encryption notice,
U+202F before AM/PM (Android 2023+), bursty timing. Seeded, so the same N gives the same file.

    python bench/gen_whatsapp.py 1000000 /tmp/chat_1m.txt
"""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

WORDS = (
    "ok yes no maybe love you miss tonight tomorrow work home dinner movie call later sure haha "
    "really what when where why how good great fine tired busy weekend coffee train late soon "
    "sorry thanks babe sweet cute funny weird crazy nice cool done back out free plans"
).split()
EMOJI = ["😂", "❤️", "😘", "👍", "🙈", "👨‍👩‍👧", "🇩🇪", "❤️‍🩹", "🥰", "🙂"]
SENDERS = ["Alex Miller", "Sam 🐻"]
NNBSP = "\u202f"


def _stamp(t: datetime) -> str:
    hour12 = t.hour % 12 or 12
    ampm = "AM" if t.hour < 12 else "PM"
    return f"{t.month}/{t.day}/{t.year % 100:02d}, {hour12}:{t.minute:02d}{NNBSP}{ampm}"


def generate(n: int, seed: int = 1) -> str:
    """The whole export as one string; random draws are made as arrays up front (fast)."""
    rng = np.random.default_rng(seed)
    gaps = np.where(rng.random(n) < 0.95, rng.exponential(60, n), rng.exponential(3600, n))
    kind = rng.random(n)
    n_words = rng.integers(1, 14, n)
    word_idx = rng.integers(0, len(WORDS), (n, 13))
    with_emoji = rng.random(n) < 0.2
    emoji_idx = rng.integers(0, len(EMOJI), n)
    extra_lines = np.where(rng.random(n) < 0.05, rng.integers(1, 4, n), 0)
    extra_idx = rng.integers(0, len(WORDS), (n, 12))
    switch = rng.random(n) < 0.45
    system = rng.random(n) < 0.003
    t = datetime(2015, 3, 1, 9, 14)
    lines = [f"{_stamp(t)} - Messages and calls are end-to-end encrypted. No one outside of this chat, "
             "not even WhatsApp, can read or listen to them. Tap to learn more."]
    speaker = 0
    stamp_cache: dict[tuple[int, int, int, int, int], str] = {}
    for i in range(n):
        t += timedelta(seconds=float(gaps[i]))
        key = (t.year, t.month, t.day, t.hour, t.minute)
        stamp = stamp_cache.get(key)
        if stamp is None:
            stamp = stamp_cache[key] = _stamp(t)
        if switch[i]:
            speaker = 1 - speaker
        if system[i]:
            lines.append(f"{stamp} - {SENDERS[speaker]} changed the group description")
        k = kind[i]
        if k < 0.03:
            body = "<Media omitted>"
        elif k < 0.035:
            body = "This message was deleted"
        else:
            body = " ".join(WORDS[j] for j in word_idx[i, : n_words[i]])
            if k < 0.045:
                body += f" https://example.org/p/{i}"
            elif k < 0.065:
                body = "note: " + body
            if with_emoji[i]:
                body += " " + EMOJI[emoji_idx[i]]
            for e in range(extra_lines[i]):
                body += "\n" + " ".join(WORDS[j] for j in extra_idx[i, 4 * e : 4 * e + 4])
        lines.append(f"{stamp} - {SENDERS[speaker]}: {body}")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> None:
    n = int(argv[1]) if len(argv) > 1 else 1_000_000
    out = Path(argv[2]) if len(argv) > 2 else Path(f"/tmp/ebbtide_chat_{n}.txt")
    out.write_text(generate(n), encoding="utf-8")
    print(f"wrote {n:,} messages to {out} ({out.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main(sys.argv)
