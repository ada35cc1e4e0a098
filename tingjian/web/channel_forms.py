"""The administrators' channel forms: one form per platform, built from its adapter's keys.

The adapter says which keys a platform has (``config_keys``), which are secrets
(``secret_keys``) and which must be set (``required_keys``); this module only decides how
each is typed in. Secrets are password inputs that are never filled back: on an edit an
empty one keeps what is stored (``channels.services.update_channel`` does the keeping).
Whether the values are acceptable is the service's call; the form only parses them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from tingjian.channels.adapters import get_adapter
from tingjian.channels.adapters.base import Adapter
from tingjian.channels.models import Channel, EventStatus
from tingjian.channels.selectors import NEEDS_ATTENTION
from tingjian.channels.services import COMMON_KEYS
from tingjian.org import selectors as org

# Model fields the form edits beside the adapter's keys (``update_channel`` accepts them).
CHANNEL_FIELDS = ("display_name", "branch", "department", "is_active", "sandbox")
SETTING = "setting__"
SECRET = "secret__"
CLEAR = "clear__"

# The adapters do not type their keys; these are on/off, with their default when unset.
BOOLEAN_KEYS: dict[str, bool] = {"auto_reply": False, "imap_ssl": True}
LONG_TEXT_KEYS = frozenset({"auto_reply_text", "intro_zh_hant", "intro_zh_hans", "intro_en"})
KEY_LABELS: dict[str, Any] = {
    "auto_reply": _("Acknowledge a new case automatically"),
    "auto_reply_text": _("Acknowledgement text"),
    "language": _("Language of the channel"),
    "channel_secret": _("Channel secret"),
    "channel_access_token": _("Channel access token"),
    "app_id": _("AppID"),
    "app_secret": _("AppSecret"),
    "token": _("Token"),
    "encoding_aes_key": _("EncodingAESKey"),
    "encoding_mode": _("Message encryption mode"),
    "page_id": _("Page ID"),
    "verify_token": _("Verify token"),
    "page_access_token": _("Page access token"),
    "address": _("Email address"),
    "display_name": _("Sender name on replies"),
    "imap_host": _("IMAP server"),
    "imap_port": _("IMAP port"),
    "imap_user": _("IMAP user"),
    "imap_password": _("IMAP password"),
    "imap_ssl": _("IMAP over SSL/TLS"),
    "imap_folder": _("Folder to read"),
    "imap_processed_folder": _("Move read mail to folder"),
    "smtp_host": _("SMTP server"),
    "smtp_port": _("SMTP port"),
    "smtp_user": _("SMTP user"),
    "smtp_password": _("SMTP password"),
    "smtp_security": _("SMTP security"),
    "intro_zh_hant": _("Introduction (繁體中文)"),
    "intro_zh_hans": _("Introduction (简体中文)"),
    "intro_en": _("Introduction (English)"),
    "rate_limit_per_hour": _("Submissions per hour from one address"),
    "source": _("Source system"),
}
KEY_HELP: dict[str, Any] = {
    "auto_reply_text": _("Leave empty for the standard text. {case_number} is replaced by the case number."),
    "encoding_mode": _("plain, compatible or safe — as chosen in the WeChat console."),
    "imap_port": _("Empty: 993 with SSL/TLS, 143 without."),
    "imap_folder": _("Empty: INBOX."),
    "smtp_security": _("starttls, ssl or none. Empty: starttls."),
    "smtp_port": _("Empty: the usual port for the security chosen."),
}


def adapter_for(kind: str) -> Adapter | None:
    """The platform's adapter, or None when the kind is unknown or its module is not there."""
    try:
        return get_adapter(kind)
    except (KeyError, ImportError):
        return None


def setting_keys(adapter: Adapter) -> tuple[str, ...]:
    """The adapter's plain settings, then those every channel has (each once)."""
    return tuple(dict.fromkeys((*adapter.config_keys, *COMMON_KEYS)))


def key_label(key: str) -> Any:
    return KEY_LABELS.get(key) or key.replace("_", " ").capitalize()


def _setting_field(key: str, *, required: bool) -> forms.Field:
    label, help_text = key_label(key), KEY_HELP.get(key, "")
    if key in BOOLEAN_KEYS:
        return forms.BooleanField(label=label, required=False, help_text=help_text)
    if key == "language":
        return forms.ChoiceField(
            label=label, required=required, help_text=help_text,
            choices=[("", _("— not set —")), *settings.LANGUAGES],
        )
    widget = forms.Textarea(attrs={"rows": 3}) if key in LONG_TEXT_KEYS else forms.TextInput(attrs={"spellcheck": "false"})
    return forms.CharField(label=label, required=required, help_text=help_text, max_length=2000, widget=widget)


@dataclass(frozen=True)
class SecretRow:
    field: forms.BoundField
    is_set: bool
    clear: forms.BoundField | None  # "remove it", for a secret that is set and not required
    retype: bool  # typed, but the form came back with errors: it is not sent back, so type it again


class ChannelForm(forms.Form):
    """Create (``channel`` None) or edit one channel of the adapter's platform."""

    name = forms.SlugField(
        label=_("Name"), max_length=60,
        help_text=_("Letters, digits and hyphens; part of the webhook URL: /hooks/<kind>/<name>/. It cannot be changed later."),
    )
    display_name = forms.CharField(label=_("Display name"), max_length=120, required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, help_text=_("Off: the channel takes nothing in and sends nothing out."))
    sandbox = forms.BooleanField(label=_("Sandbox"), required=False, help_text=_("Replies are recorded as sent without calling the platform (demo, training)."))
    branch = forms.ModelChoiceField(label=_("Default branch"), queryset=org.active_branches(), required=False, empty_label="—")
    department = forms.ModelChoiceField(label=_("Default department"), queryset=org.active_departments(), required=False, empty_label="—")

    def __init__(
        self, *args: Any, adapter: Adapter, channel: Channel | None = None,
        secrets_set: frozenset[str] = frozenset(), **kwargs: Any,
    ) -> None:
        self.adapter, self.channel, self.secrets_set = adapter, channel, secrets_set
        self.setting_keys = setting_keys(adapter)
        self.secret_keys = tuple(adapter.secret_keys)
        stored = dict(channel.config or {}) if channel is not None else {}
        initial: dict[str, Any] = {}
        for key in self.setting_keys:
            value = stored.get(key, BOOLEAN_KEYS.get(key, ""))
            initial[SETTING + key] = _as_bool(value) if key in BOOLEAN_KEYS else ("" if value is None else str(value))
        if channel is not None:
            initial.update({name: getattr(channel, name) for name in CHANNEL_FIELDS})
        kwargs["initial"] = {**initial, **kwargs.get("initial", {})}
        super().__init__(*args, **kwargs)
        if channel is None:
            del self.fields["is_active"]  # a new channel is active; create_channel takes no flag
        else:
            del self.fields["name"]
            self.fields["display_name"].required = True
        required = set(adapter.required_keys)
        for key in self.setting_keys:
            self.fields[SETTING + key] = _setting_field(key, required=key in required)
        for key in self.secret_keys:
            self.fields[SECRET + key] = forms.CharField(
                label=key_label(key), max_length=4000,
                required=key in required and key not in secrets_set,
                widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password", "spellcheck": "false"}),
            )
            if key in secrets_set and key not in required:
                self.fields[CLEAR + key] = forms.BooleanField(label=_("Remove it"), required=False)

    # --- what the template lays out -------------------------------------------------------

    def channel_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("name", *CHANNEL_FIELDS) if name in self.fields]

    def setting_fields(self) -> list[forms.BoundField]:
        return [self[SETTING + key] for key in self.setting_keys]

    def secret_rows(self) -> list[SecretRow]:
        refused = self.is_bound and bool(self.errors)
        return [
            SecretRow(
                field=self[SECRET + key], is_set=key in self.secrets_set,
                clear=self[CLEAR + key] if CLEAR + key in self.fields else None,
                retype=refused and bool(self.data.get(SECRET + key)),
            )
            for key in self.secret_keys
        ]

    # --- what the services are given ------------------------------------------------------

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for key in self.secret_keys:
            if data.get(CLEAR + key) and data.get(SECRET + key):
                self.add_error(SECRET + key, _("Either type a new value or remove it, not both."))
        return data

    def values(self) -> dict[str, Any]:
        """Settings and secrets by the platform's names: on creation every one given; on an
        edit the settings changed and the secrets typed (an empty secret is kept)."""
        data = self.cleaned_data
        out: dict[str, Any] = {}
        for key in self.setting_keys:
            name, value = SETTING + key, data.get(SETTING + key)
            if self.channel is not None and name not in self.changed_data:
                continue
            if key in BOOLEAN_KEYS or value not in (None, ""):
                out[key] = value
        for key in self.secret_keys:
            if data.get(SECRET + key):
                out[key] = data[SECRET + key]
        return out

    def cleared(self) -> list[str]:
        """Keys to remove: settings emptied on an edit, secrets marked "remove"."""
        if self.channel is None:
            return []
        data = self.cleaned_data
        emptied = [
            key for key in self.setting_keys
            if key not in BOOLEAN_KEYS and SETTING + key in self.changed_data and data.get(SETTING + key) in (None, "")
        ]
        return emptied + [key for key in self.secret_keys if data.get(CLEAR + key)]

    def changed_fields(self) -> dict[str, Any]:
        """The channel's own fields that changed, for ``update_channel(**fields)``."""
        return {name: self.cleaned_data[name] for name in CHANNEL_FIELDS if name in self.fields and name in self.changed_data}

    def create_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"], "display_name": data["display_name"], "sandbox": data["sandbox"],
            "branch": data["branch"], "department": data["department"],
        }


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


class EventFilterForm(forms.Form):
    """The event list's GET filters; a value not understood is ignored, never a 500."""

    ATTENTION, ALL = "attention", "all"
    status = forms.ChoiceField(label=_("Status"), required=False)
    channel = forms.TypedChoiceField(label=_("Channel"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args: Any, channels: list[Channel], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["status"]).choices = [
            (self.ATTENTION, _("Needs attention (failed)")), *EventStatus.choices, (self.ALL, _("All")),
        ]
        cast(forms.ChoiceField, self.fields["channel"]).choices = [
            ("", _("All channels")), *((c.pk, f"{c.get_kind_display()} · {c.display_name}") for c in channels),
        ]

    def _valid(self, name: str) -> Any:
        self.is_valid()  # fills cleaned_data with the fields that are valid
        return self.cleaned_data.get(name)

    def current_status(self) -> str:
        return self._valid("status") or self.ATTENTION

    def statuses(self) -> list[str]:
        status = self.current_status()
        if status == self.ATTENTION:
            return [str(s) for s in NEEDS_ATTENTION]
        return [] if status == self.ALL else [status]

    def channel_id(self) -> int | None:
        value = self._valid("channel")
        return int(value) if value is not None else None
