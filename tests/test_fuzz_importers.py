"""Hypothesis-driven mutations of every format's fixtures (bench/fuzz_inputs.py) never crash.

Each example: Hypothesis picks a seed fixture (every format, files and zips), a mutation
(truncation, byte flips, invalid UTF-8, UTF-16/32 and other encodings, CRLF/CR/NUL line ends, huge
lines, deep JSON, wrong JSON types, big numbers, odd years, markup, XML entities and encodings,
nested, bomb, encrypted and damaged zips, sparse files, repeats, empty files, odd file names) and
the mutation's random choices. Reading must give messages or one of our errors, in words, never
Python's exception text. The budget is small (about a minute in CI); bench/fuzz_inputs.py runs
thousands of inputs through the CLI with memory and time watched from outside.
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from ebbtide.cli import app
from ebbtide.errors import EbbtideError
from ebbtide.importers import read_export

sys.path.insert(0, str(Path(__file__).parent))
from hostile_support import FUZZ  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


SEEDS = FUZZ.seeds()
MUTATIONS = sorted(FUZZ.MUTATIONS)
FORMATS = sorted({s.fmt for s in SEEDS})
BUDGET = int(os.environ.get("EBBTIDE_FUZZ_EXAMPLES", "120"))


def test_every_format_has_seeds() -> None:
    assert set(FORMATS) == {"whatsapp", "telegram", "messenger", "instagram", "imessage", "sms", "signal",
                            "discord", "line", "snapchat", "google_chat", "generic"}


def _check(inp: object, folder: Path) -> None:
    path = inp.write(folder)  # type: ignore[attr-defined]
    try:
        parsed = read_export(path)
    except EbbtideError as exc:
        assert FUZZ.classify(2, None, exc.message) == "clean", exc.message
        return
    assert parsed.messages.height >= 0


@settings(max_examples=BUDGET, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(fmt=st.sampled_from(FORMATS), mutation=st.sampled_from(MUTATIONS), data=st.data(),
       rnd=st.randoms(use_true_random=False))
def test_mutated_exports_read_or_fail_in_words(fmt: str, mutation: str, data: st.DataObject,
                                               rnd: random.Random) -> None:
    seed = data.draw(st.sampled_from([s for s in SEEDS if s.fmt == fmt]), label="seed")
    inp = FUZZ.mutate(seed, mutation, rnd, big=False)
    with tempfile.TemporaryDirectory() as tmp:
        _check(inp, Path(tmp))


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_mutation_of_each_format_through_the_cli(fmt: str, tmp_path: Path) -> None:
    """One input per mutation through `parse` or `import`: exit 0 or 2, no traceback, nothing raw."""
    runner = CliRunner()
    rnd = random.Random(fmt)
    pool = [s for s in SEEDS if s.fmt == fmt]
    for n, mutation in enumerate(MUTATIONS):
        if mutation in ("sparse", "zip_bomb", "huge_line", "repeat"):
            continue  # the large ones run in the Hypothesis test above and in bench/fuzz_inputs.py
        inp = FUZZ.mutate(rnd.choice(pool), mutation, random.Random(n), big=False)
        case = tmp_path / str(n)
        case.mkdir()
        path = inp.write(case)
        # parse and import in turn (both print the parse report; import also stores)
        args = (["parse", str(path), "-o", os.devnull] if n % 2 else
                ["import", str(path), "--db", str(case / "store.duckdb"), "--tz", "UTC"])
        result = runner.invoke(app, args)
        cls = FUZZ.classify(result.exit_code, result.exception, result.stdout + result.stderr)
        assert cls in ("ok", "clean"), (inp.mutation, args[0], result.exception, result.stderr[-500:])
