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
    WaitingOn,
)
from .conversation import Attachment, DeliveryStatus, Direction, Mention, Message, Note
from .policy import Override, PolicyVersion, QAReview

__all__ = [
    "Attachment", "Case", "CaseLink", "DeliveryStatus", "CaseNumberSequence", "ChannelKind", "CloseReason", "Direction",
    "LinkKind", "Mention", "Message", "Note", "Override", "PolicyVersion", "QAReview",
    "ResolutionCode", "Severity", "Stage", "StageChangeOutsideEngine", "WaitingOn",
]
