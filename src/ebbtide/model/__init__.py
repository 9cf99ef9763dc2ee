"""Frozen records and enums shared by every layer (the bottom of the stack: imports nothing of ours)."""

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
from ebbtide.model.repair import RepairLine, Rupture

__all__ = [
    "MESSAGE_COLUMNS", "MESSAGE_SCHEMA", "Assessment", "Coverage", "DateOrder", "Dip", "Evidence",
    "FaqAnswer", "FaqId", "Insight", "Message", "MessageKind", "MetricChange", "ParseReport",
    "ParsedExport", "Pattern", "PlanStep", "Platform", "Reason", "ReasonId", "RepairLine", "Rupture", "SignId",
    "SignResult",
    "SignStatus", "StrategyId", "UnplacedLine", "empty_messages_frame", "frame_to_messages",
    "messages_to_frame", "senders_by_volume", "validate_messages_frame",
]
