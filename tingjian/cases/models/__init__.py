from .case import (
    Case,
    CaseLink,
    CaseNumberSequence,
    ChannelKind,
    CloseReason,
    LinkKind,
    ResolutionCode,
    Severity,
    Stage,
    StageChangeOutsideEngine,
)
from .conversation import Direction, Mention, Message, Note
from .policy import Override, PolicyVersion, QAReview

__all__ = [
    "Case", "CaseLink", "CaseNumberSequence", "ChannelKind", "CloseReason", "Direction",
    "LinkKind", "Mention", "Message", "Note", "Override", "PolicyVersion", "QAReview",
    "ResolutionCode", "Severity", "Stage", "StageChangeOutsideEngine",
]
