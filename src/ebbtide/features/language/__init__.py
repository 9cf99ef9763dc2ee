"""Per-message language features: affection, sentiment, questions, noncommittal answers, meet-ups,
space/stress/past-hurt/vulnerability/conflict/safety language and function-word counts.

The contract others build on is ``annotate_frame`` (a canonical message frame in, the same rows with
feature columns added), ``matches_for`` (the evidence spans of a few annotated rows, on demand) and
``annotate_texts`` (the same code path for single texts, used by the CLI).
"""

from ebbtide.features.language.annotate import ANNOTATION_SCHEMA, annotate_frame, matches_for
from ebbtide.features.language.lexicon import SUPPORTED_LANGS, lexicon_versions
from ebbtide.features.language.lsm import lsm_score
from ebbtide.features.language.texts import annotate_texts

__all__ = [
    "ANNOTATION_SCHEMA", "SUPPORTED_LANGS", "annotate_frame", "annotate_texts", "lexicon_versions", "lsm_score",
    "matches_for",
]
