"""The one shape every channel adapter has (``channels/adapters/<kind>.py`` or ``<kind>/``).

An adapter knows a platform's protocol and nothing about our database: it is given a
``ChannelConfig`` (the channel's settings with its secrets decrypted) and plain bytes, and
returns plain data. The webhook view, the ingest task and the outbound task
(``channels.services`` / ``channels.tasks``) do the storing, threading and retrying.

Three moments, three methods:

* ``accept`` runs **inside the webhook request**: verify the signature, split the delivery
  into events, each with the platform's own id. Nothing slow, nothing remote.
* ``parse`` runs **in the ingest task**: one stored event → what it means
  (a customer message, a follow, a delivery receipt, or nothing to do).
* ``send`` runs **in the outbound task**: deliver one reply, or raise ``DeliveryError``
  saying in plain words what went wrong and whether trying again can help.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from django.utils.translation import gettext as _

# Errors an adapter raises. The webhook view maps them to HTTP: 403, 400 (+ quarantine), 413.


class SignatureInvalid(Exception):
    """The request's signature is missing or wrong: answer 403, store nothing."""


class MalformedPayload(Exception):
    """The body cannot be read (bad XML/JSON, missing fields): answer 400, quarantine the body."""


class DeliveryError(Exception):
    """Sending failed. ``message`` is shown to the agent as is, so it is plain words.

    ``retry`` is True when trying again later may succeed (network, 5xx, rate limit) and
    False when it cannot (window closed, recipient blocked us, bad credentials).
    """

    def __init__(self, message: str, *, retry: bool, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.retry = retry
        self.code = code


@dataclass(frozen=True)
class ChannelConfig:
    """A channel as an adapter sees it: its settings, its decrypted secrets, its API base URL."""

    kind: str
    name: str
    config: Mapping[str, Any] = field(default_factory=dict)
    secrets: Mapping[str, str] = field(default_factory=dict)
    # Platform API base URL (a setting, so tests point it at a local fake server).
    api_base: str = ""
    # State the channel keeps between calls (e.g. a cached access token); the adapter may
    # return changes in SendResult.state_changes.
    state: Mapping[str, Any] = field(default_factory=dict)

    def secret(self, key: str) -> str:
        return self.secrets.get(key, "") or ""

    def setting(self, key: str, default: Any = "") -> Any:
        value = self.config.get(key, default)
        return default if value is None else value


@dataclass(frozen=True)
class IncomingEvent:
    """One event of a webhook delivery, as stored (InboundEvent): unique per channel + external_id."""

    external_id: str
    payload: bytes
    content_type: str = "application/json"
    meta: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Accepted:
    """What ``accept`` found: the events to store and what to answer the platform."""

    events: list[IncomingEvent]
    response_body: bytes = b"OK"
    response_content_type: str = "text/plain; charset=utf-8"


@dataclass(frozen=True)
class Contact:
    """Who wrote: one handle on one platform (an ``IdentityKind`` value and the id)."""

    kind: str  # customers.models.IdentityKind value: line, wechat_openid, messenger, instagram, email, phone
    handle: str
    display_name: str = ""
    unionid: str = ""  # WeChat: the same person across official accounts, when known
    reach: int | None = None  # followers/friends, where the payload carries it
    # Handles the customer *gave* (a form's phone and email, the caller's number): matched
    # deterministically. Handles merely mentioned in text are found by the intake, not here.
    given: tuple[tuple[str, str], ...] = ()
    language: str = ""


@dataclass(frozen=True)
class AttachmentIn:
    """A file that came with a message: its bytes when the payload carries them, else a
    platform reference (``media_ref``) the ingest fetches later with ``fetch_media``."""

    kind: str  # image | audio | video | file | location | link | sticker
    filename: str = ""
    content_type: str = ""
    content: bytes | None = None
    media_ref: str = ""
    size: int | None = None
    note: str = ""  # e.g. "not fetched: 40 MB, over the 25 MB limit"


@dataclass(frozen=True)
class CustomerMessage:
    """Something the customer said: becomes a Message on a case."""

    external_id: str
    contact: Contact
    text: str
    sent_at: datetime
    channel: str  # cases.models.ChannelKind value (line, wechat, messenger, instagram, email, webform, phone, api)
    subject: str = ""
    is_public: bool = False  # a comment on a public post, visible to everyone
    attachments: tuple[AttachmentIn, ...] = ()
    # Email threading: Message-IDs this one answers (In-Reply-To first, then References).
    thread_refs: tuple[str, ...] = ()
    case_number_hint: str = ""  # e.g. from "[C-2026-000123]" in a subject
    reply_token: str = ""  # LINE: lets us answer free of charge for a short while
    # Where a public reply would go (a comment id on Facebook/Instagram).
    public_reply_target: str = ""
    # Case fields a form or an import supplied (branch, category, product codes; severity).
    fields: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ContactEvent:
    """A follow, unfollow, subscribe, menu click…: the customer is recognised, no case is opened."""

    contact: Contact
    action: str  # follow | unfollow | click | postback | other
    at: datetime
    detail: str = ""
    reply_token: str = ""


@dataclass(frozen=True)
class DeliveryReceipt:
    """The platform confirms our outbound messages arrived (or were read)."""

    platform_message_ids: tuple[str, ...]
    status: str  # delivered | read | failed
    at: datetime
    detail: str = ""


@dataclass(frozen=True)
class Nothing:
    """An event we store but need not act on (an echo of our own message, a ping)."""

    reason: str


ParsedEvent = CustomerMessage | ContactEvent | DeliveryReceipt | Nothing


@dataclass(frozen=True)
class Recipient:
    """Where a reply goes."""

    handle: str  # the customer's id on the platform, an email address, a comment id
    kind: str  # IdentityKind value of handle (or "comment" for a public reply)
    display_name: str = ""
    reply_token: str = ""  # LINE, when still valid
    last_inbound_at: datetime | None = None  # for the platforms' reply windows
    # Email threading of our reply.
    subject: str = ""
    in_reply_to: str = ""
    references: tuple[str, ...] = ()
    public: bool = False  # answer publicly (a comment) rather than in private


@dataclass(frozen=True)
class OutgoingMessage:
    text: str
    case_number: str
    # Idempotency key for the platform where it supports one (LINE's X-Line-Retry-Key).
    retry_key: str
    attachments: tuple[AttachmentIn, ...] = ()


@dataclass(frozen=True)
class SendResult:
    platform_message_id: str = ""
    mode: str = ""  # reply | push | customer_service | send_api | private_reply | comment | smtp
    state_changes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Profile:
    display_name: str = ""
    unionid: str = ""
    language: str = ""
    reach: int | None = None
    # What the channel should remember after the look-up (e.g. a freshly fetched access
    # token: WeChat allows only so many token requests a day).
    state_changes: Mapping[str, Any] = field(default_factory=dict)


class Adapter(ABC):
    """Base class: each platform subclasses it and fills what it supports."""

    kind: ClassVar[str]
    label: ClassVar[str]
    # Keys `tingjian channels add KIND NAME --set key=value` accepts, by the platform's names.
    secret_keys: ClassVar[tuple[str, ...]] = ()
    config_keys: ClassVar[tuple[str, ...]] = ()
    required_keys: ClassVar[tuple[str, ...]] = ()
    # Which setting holds the platform's API base URL (e.g. "TINGJIAN_LINE_API_BASE").
    api_base_setting: ClassVar[str] = ""
    # True when the platform calls us (a webhook); False for polled or uploaded channels.
    has_webhook: ClassVar[bool] = True

    def verify_url(self, channel: ChannelConfig, query: Mapping[str, str]) -> bytes:
        """Answer the platform's GET check of the webhook URL, or raise SignatureInvalid."""
        raise SignatureInvalid("this channel has no URL verification")

    def accept(
        self, channel: ChannelConfig, body: bytes, headers: Mapping[str, str], query: Mapping[str, str]
    ) -> Accepted:
        """Verify and split a webhook delivery; channels without a webhook refuse every request."""
        raise SignatureInvalid("this channel takes no webhook requests")

    @abstractmethod
    def parse(self, channel: ChannelConfig, event: IncomingEvent) -> list[ParsedEvent]:
        """What one stored event means; every channel has this."""

    def send(self, channel: ChannelConfig, recipient: Recipient, message: OutgoingMessage) -> SendResult:
        raise DeliveryError(_("This channel cannot send replies."), retry=False, code="unsupported")

    def reply_window_problem(self, recipient: Recipient, now: datetime) -> str:
        """Why a reply cannot be sent now (the platform's window), in plain words; "" if it can."""
        return ""

    def fetch_profile(self, channel: ChannelConfig, contact: Contact) -> Profile | None:
        """Name (and WeChat unionid) of a new contact, from the platform; None if unknown."""
        return None

    def discard_staged(self, channel: ChannelConfig, event: IncomingEvent) -> None:
        """Called once the event is filed (after commit): drop files kept only until then.

        Most platforms keep nothing for us to drop; the web form stages its uploads.
        """
        return None

    def fetch_media(self, channel: ChannelConfig, media_ref: str, *, max_bytes: int) -> tuple[bytes, str]:
        """Download an attachment the payload only referred to: (content, content type)."""
        raise DeliveryError(_("This channel keeps no media to fetch."), retry=False, code="unsupported")
