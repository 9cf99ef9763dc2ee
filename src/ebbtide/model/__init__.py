"""Frozen records and enums shared by every layer (the bottom of the stack: imports nothing of ours)."""

from typing import TYPE_CHECKING

from ebbtide.model.messages import (
    MESSAGE_COLUMNS,
    MESSAGE_SCHEMA,
    DateOrder,
    Message,
    MessageKind,
    ParsedExport,
    ParseReport,
    Platform,
    UnplacedLine,
    empty_messages_frame,
    frame_to_messages,
    messages_to_frame,
    senders_by_volume,
    validate_messages_frame,
)

if TYPE_CHECKING:
    from ebbtide.model.analysis import (
        Assessment,
        Coverage,
        Dip,
        Evidence,
        FaqAnswer,
        FaqId,
        Insight,
        MetricChange,
        Pattern,
        PlanStep,
        Reason,
        ReasonId,
        SignId,
        SignResult,
        SignStatus,
        StrategyId,
    )
    from ebbtide.model.repair import RepairLine, Rupture

# The analysis records are imported when first asked for: ``ebbtide parse``, which needs only the message
# records, then never loads their dozen dataclasses and enums (about 10 ms of its start-up).
_LATER = {
    **dict.fromkeys(
        ("Assessment", "Coverage", "Dip", "Evidence", "FaqAnswer", "FaqId", "Insight", "MetricChange", "Pattern",
         "PlanStep", "Reason", "ReasonId", "SignId", "SignResult", "SignStatus", "StrategyId"),
        "ebbtide.model.analysis",
    ),
    "RepairLine": "ebbtide.model.repair",
    "Rupture": "ebbtide.model.repair",
}

if not TYPE_CHECKING:  # for type checkers every name is imported above

    def __getattr__(name: str) -> object:
        module = _LATER.get(name)
        if module is None:
            raise AttributeError(f"module 'ebbtide.model' has no attribute {name!r}")
        import importlib

        value = getattr(importlib.import_module(module), name)
        globals()[name] = value
        return value


__all__ = [
    "MESSAGE_COLUMNS", "MESSAGE_SCHEMA", "Assessment", "Coverage", "DateOrder", "Dip", "Evidence",
    "FaqAnswer", "FaqId", "Insight", "Message", "MessageKind", "MetricChange", "ParseReport",
    "ParsedExport", "Pattern", "PlanStep", "Platform", "Reason", "ReasonId", "RepairLine", "Rupture", "SignId",
    "SignResult",
    "SignStatus", "StrategyId", "UnplacedLine", "empty_messages_frame", "frame_to_messages",
    "messages_to_frame", "senders_by_volume", "validate_messages_frame",
]
