"""The one orchestration of the analysis: features -> assess -> explain.

Every face calls this module and nothing else runs the three steps: the CLI (``analyze``,
``demo``), the web app, the Python API (``ebbtide.analyze``) and the benchmarks. Shaped like
ruptures' configure -> fit -> predict::

    pipe = Pipeline(me="Alex", partner="Sam", baseline=None)   # configure
    pipe.fit(messages)                                         # features, once
    analysis = pipe.predict()                                  # assess + explain -> Analysis

``fit`` measures every message once (the slow part); ``assess``/``predict`` can then run as of
different dates (``today=``) without measuring again, which is what the signal validation does.

It also holds the pure, non-interactive answers to "who are the two people": matching a given
name, the people who take part in a group (``active_people``) and a ``START:END`` baseline.
The faces add their own questions (the CLI asks on a terminal; the web app asks on a page).

Layer: above ``insight`` (it imports ``features``, ``signals`` and ``insight`` lazily, so importing
this module is cheap), below ``report``, ``web``, ``cli`` and ``api``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING, Any

from ebbtide.errors import EbbtideError, UnknownParticipant
from ebbtide.model import senders_by_volume

if TYPE_CHECKING:
    import polars as pl

    from ebbtide.model import Assessment, Evidence, Insight, ReasonId

participants = senders_by_volume  # one definition, in ebbtide.model
ACTIVE_SHARE = 0.05  # in a group, someone who wrote at least 5 % of the messages is taking part

Step = Callable[[str], AbstractContextManager[Any]]
"""A context manager factory around a long step (the CLI shows a spinner); default: nothing."""


@contextlib.contextmanager
def _quiet(_: str) -> Iterator[None]:
    yield


@dataclass(frozen=True, slots=True)
class Analysis:
    """One couple analysed: what was measured (assessment), what it may mean (insight), the
    per-message features and the couple's messages they came from."""

    assessment: Assessment
    insight: Insight
    features: pl.DataFrame
    messages: pl.DataFrame


# --------------------------------------------------------------------------- who is who (no questions)
def match_name(name: str, people: Sequence[str]) -> str | None:
    """``name`` as written in the chat: exact, else the one case-insensitive match, else None."""
    if name in people:
        return name
    folded = [p for p in people if p.casefold() == name.strip().casefold()]
    return folded[0] if len(folded) == 1 else None


def active_people(messages: pl.DataFrame) -> list[str]:
    """People who wrote at least ACTIVE_SHARE of the messages (most first)."""
    import polars as pl

    people = messages.filter((pl.col("sender") != "") & (pl.col("kind") != "system"))
    counts = people.group_by("sender").len().sort(["len", "sender"], descending=[True, False])
    floor = ACTIVE_SHARE * max(people.height, 1)
    return [str(s) for s, n in counts.iter_rows() if n >= floor]


def named(name: str, people: Sequence[str], where: str) -> str:
    """``name`` as it stands among ``people``, or the error naming who did write."""
    found = match_name(name, people)
    if found is None:
        raise UnknownParticipant(f"'{name}' did not write in this conversation", where=where,
                                 fix="Choose one of: " + ", ".join(people))
    return found


def nobody_wrote(where: str) -> EbbtideError:
    return EbbtideError("nobody wrote any messages in this conversation", where=where,
                        fix="Check the export holds the chat's messages, not only system lines.")


def other_people(people: Sequence[str], me: str, where: str) -> list[str]:
    """Everyone but ``me`` (most messages first); an error when nobody else wrote."""
    others = [p for p in people if p != me]
    if not others:
        raise EbbtideError(f"only {me} wrote in this conversation", where=where,
                           fix="ebbtide needs messages from both people.")
    return others


def group_refusal(me: str, others: Sequence[str], where: str, flag: str) -> EbbtideError:
    """The error for a group chat where the other person was not named (``flag``: how to name them)."""
    listing = ", ".join(others)
    return EbbtideError(
        f"this is a group chat: {len(others) + 1} people write in it regularly ({me}, {listing})", where=where,
        fix=f"ebbtide looks at one relationship between two people. Name the other person with {flag}, "
            f"one of: {listing}")


def group_note(people: Sequence[str], me: str, partner: str) -> tuple[str, ...]:
    """The coverage note when a group chat is analysed for two of its people."""
    if len(people) <= 2:
        return ()
    left_out = len(people) - 2
    return (f"This is a group chat; only {me} and {partner} are analysed ({left_out} other "
            f"{'person is' if left_out == 1 else 'people are'} left out).",)


def parse_baseline(value: str | None, where: str = "--baseline") -> tuple[date, date] | None:
    """``START:END`` (ISO dates, inclusive) -> (start, end); clear errors otherwise."""
    if not value:
        return None
    fix = "Write it as START:END with dates like 2025-01-06:2025-03-02."
    parts = value.split(":")
    if len(parts) != 2:
        raise EbbtideError(f"'{value}' is not a START:END range", where=where, fix=fix)
    try:
        start, end = date.fromisoformat(parts[0].strip()), date.fromisoformat(parts[1].strip())
    except ValueError:
        raise EbbtideError(f"'{value}' does not hold two dates (YYYY-MM-DD)", where=where, fix=fix) from None
    if end < start:
        raise EbbtideError(f"the baseline ends ({end}) before it starts ({start})", where=where, fix=fix)
    return start, end


# --------------------------------------------------------------------------- the pipeline
@dataclass(slots=True)
class Pipeline:
    """features -> assess -> explain for one couple (no I/O, no questions).

    Configure with the two people and the baseline; ``fit(messages)`` builds the features of
    their messages (system lines kept, everyone else's left out); ``predict()`` assesses and
    explains. Evidence spans: by default (``with_matches=None``) found only for the messages a report
    shows; ``False`` skips them (for the validation bench); ``True`` computes them for every message.
    """

    me: str
    partner: str
    baseline: tuple[date, date] | None = None
    with_matches: bool | None = None
    step: Step = _quiet
    messages: pl.DataFrame | None = field(default=None, repr=False)
    features: pl.DataFrame | None = field(default=None, repr=False)
    #: what ``predict`` measures once per fit and keeps (the ruptures); shared with copies made by
    #: ``dataclasses.replace`` (the web app changes only the baseline)
    memo: dict[str, Any] = field(default_factory=dict, repr=False)

    def fit(self, messages: pl.DataFrame) -> Pipeline:
        """Measure every message of the couple once (the slow part). Returns ``self``.

        The safety grammar runs here, once (``signals.safety.with_safety``): the assessment's safety
        flags and the explanation's hostility trigger both read its columns."""
        import polars as pl

        from ebbtide.features import build_features
        from ebbtide.signals.safety import with_safety

        couple = messages.filter(pl.col("sender").is_in([self.me, self.partner, ""]))
        with self.step("measuring conversations and words"):
            self.features = with_safety(build_features(couple, with_matches=self.with_matches))
        self.messages = messages
        self.memo = {}
        return self

    def _fitted(self) -> pl.DataFrame:
        if self.features is None:
            raise EbbtideError("the pipeline has not been fitted", where="Pipeline.predict",
                               fix="Call fit(messages) first.")
        return self.features

    def assess(self, *, today: date | None = None, seed: int = 0) -> Assessment:
        """The five signs for both people against their own baseline, as of ``today``."""
        from ebbtide.signals import assess

        features = self._fitted()
        with self.step("comparing the recent weeks with your own usual"):
            return assess(features, me=self.me, partner=self.partner, baseline=self.baseline, today=today,
                          seed=seed)

    def predict(
        self,
        *,
        today: date | None = None,
        safety_answer: bool | str | None = None,
        safety_source: str = "answer",
        reflection: Mapping[ReasonId, int] | None = None,
        notes: tuple[str, ...] = (),
        adjust: Callable[[Assessment], Assessment] | None = None,
        hints: Callable[[Assessment], Mapping[ReasonId, Sequence[Evidence]]] | None = None,
        assessment: Assessment | None = None,
    ) -> Analysis:
        """Assess, then explain: the whole analysis.

        ``safety_answer``/``safety_source``/``reflection``: as ``ebbtide.insight.explain``.
        ``notes``: added to the coverage notes (e.g. "a group chat; two people analysed").
        ``adjust``: changes the assessment before it is explained (the web app adds the journal);
        ``hints``: reason hints from outside the chat, given the assessment (the journal's).
        ``assessment``: this pipeline's ``assess()`` result when already made (the web app keeps it
        while only the journal, the safety answers or the reflection change).
        """
        from ebbtide.insight import explain

        features = self._fitted()
        if assessment is None:
            assessment = self.assess(today=today)
        if notes:
            coverage = replace(assessment.coverage, notes=tuple(assessment.coverage.notes) + notes)
            assessment = replace(assessment, coverage=coverage)
        if adjust is not None:
            assessment = adjust(assessment)
        insight = explain(assessment, features=features, safety_answer=safety_answer, safety_source=safety_source,
                          reflection=reflection or None, hints=hints(assessment) if hints else None)
        from ebbtide.insight.repair import add_repair
        from ebbtide.signals.ruptures import find_ruptures

        if "ruptures" not in self.memo:  # they read every message, not the assessment: once per fit
            self.memo["ruptures"] = find_ruptures(features, me=self.me, partner=self.partner)
        # ruptures and repairs (docs/repair.md)
        assessment, insight = add_repair(assessment, insight, features, ruptures=self.memo["ruptures"])
        assert self.messages is not None
        return Analysis(assessment, insight, features, self.messages)


def run_analysis(
    messages: pl.DataFrame,
    *,
    me: str,
    partner: str,
    baseline: tuple[date, date] | None = None,
    afraid: bool | str | None = None,
    notes: tuple[str, ...] = (),
    today: date | None = None,
    step: Step = _quiet,
) -> Analysis:
    """``Pipeline(me, partner, baseline).fit(messages).predict(...)`` in one call."""
    pipe = Pipeline(me=me, partner=partner, baseline=baseline, step=step).fit(messages)
    return pipe.predict(today=today, safety_answer=afraid, notes=notes)


__all__ = ["ACTIVE_SHARE", "Analysis", "Pipeline", "active_people", "group_note", "group_refusal", "match_name",
           "named", "nobody_wrote", "other_people", "parse_baseline", "participants", "run_analysis"]
