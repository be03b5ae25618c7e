"""An email as the service keeps it: what was rendered, for which event and order, and
how far its delivery has got."""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from emailservice.notices import EmailKind


class DeliveryState(enum.Enum):
    # Recorded, not yet taken by the mail server (or the mail directory).
    PENDING = "pending"
    SENT = "sent"
    # Given up: refused for good, or still not taken after the give-up time.
    FAILED = "failed"


@dataclass(frozen=True)
class EmailRecord:
    id: str
    event_id: str
    event_type: str
    kind: EmailKind
    order_id: str
    sender: str
    recipient: str
    subject: str
    # The RFC 5322 Message-ID, fixed when the email is recorded, so every attempt sends
    # the same message and a mailbox can tell a repeat from a new email.
    message_id: str
    text: str
    html: str
    created_at: datetime
    state: DeliveryState = DeliveryState.PENDING
    attempts: int = 0
    sent_at: datetime | None = None
