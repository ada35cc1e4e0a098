"""The public complaint form: what a customer may send us, checked before anything is kept.

Uploads are judged by their first bytes, never by their name or the type the browser
claims: a program renamed ``photo.jpg`` is refused. Only pictures a phone takes or a shop
prints (JPEG, PNG, GIF, WebP, HEIC) and PDF are accepted.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from tingjian.customers.handles import normalise_phone
from tingjian.org import selectors as org

from .choices import labelled_choices

MAX_FILES = 5
# The field a person never sees (hidden by public.css) and a form-filling robot fills in.
HONEYPOT = "leave_blank"
_SNIFF_BYTES = 16
_HEIF_BRANDS = {b"heic": "image/heic", b"heix": "image/heic", b"heim": "image/heic", b"heis": "image/heic",
                b"hevc": "image/heic", b"hevx": "image/heic", b"mif1": "image/heif", b"msf1": "image/heif"}
_PHONE_CHARACTERS = re.compile(r"^[0-9+()\-. /#*]+$")


def sniff(head: bytes) -> str:
    """The content type a file's first bytes prove, among those we accept; "" otherwise."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head[4:8] == b"ftyp":
        return _HEIF_BRANDS.get(head[8:12], "")
    return ""


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Up to ``MAX_FILES`` files; cleans to ``[(upload, content type proven by its bytes)]``."""

    widget = MultipleFileInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.widget.attrs.update({"accept": "image/jpeg,image/png,image/gif,image/webp,image/heic,image/heif,.heic,.heif,application/pdf"})

    def clean(self, data: Any, initial: Any = None) -> list[tuple[UploadedFile, str]]:
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if len(files) > MAX_FILES:
            raise ValidationError(
                _("You can attach up to %(max)s files; you chose %(n)s."), code="too_many",
                params={"max": MAX_FILES, "n": len(files)},
            )
        limit = settings.TINGJIAN_ATTACHMENT_MAX_BYTES
        errors: list[ValidationError] = []
        accepted: list[tuple[UploadedFile, str]] = []
        for upload in files:
            name = upload.name or "?"
            size = upload.size or 0
            if size == 0:
                errors.append(ValidationError(_("“%(name)s” is empty."), code="empty", params={"name": name}))
                continue
            if size > limit:
                errors.append(ValidationError(
                    _("“%(name)s” is %(size)s; each file may be at most %(limit)s."), code="too_large",
                    params={"name": name, "size": filesizeformat(size), "limit": filesizeformat(limit)},
                ))
                continue
            upload.seek(0)
            content_type = sniff(upload.read(_SNIFF_BYTES))
            upload.seek(0)
            if not content_type:
                errors.append(ValidationError(
                    _("“%(name)s” is not a photo or a PDF. We accept JPEG, PNG, GIF, WebP, HEIC and PDF files."),
                    code="file_type", params={"name": name},
                ))
                continue
            accepted.append((upload, content_type))
        if errors:
            raise ValidationError(errors)
        return accepted


class ComplaintForm(forms.Form):
    """What the customer tells us; at least one way to reach them (phone or email)."""

    name = forms.CharField(
        label=_("Your name"), max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    phone = forms.CharField(
        label=_("Phone"), max_length=40, required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
    )
    email = forms.EmailField(
        label=_("Email"), max_length=254, required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    branch = forms.ChoiceField(label=_("Which branch is it about?"), required=False)
    subject = forms.CharField(label=_("Subject"), max_length=120, required=False)
    text = forms.CharField(
        label=_("What happened?"), max_length=5000,
        help_text=_("When and where it happened, what you bought or ordered, and what you would like us to do."),
        widget=forms.Textarea(attrs={"rows": 7}),
    )
    attachments = AttachmentsField(label=_("Photos or documents"))
    leave_blank = forms.CharField(
        label=_("Leave this field empty"), required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        branches = labelled_choices(org.active_branches(), key="code")
        if branches:
            field = self.fields["branch"]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [("", _("Not about one branch / not sure")), *branches]
        else:
            del self.fields["branch"]
        limit = filesizeformat(settings.TINGJIAN_ATTACHMENT_MAX_BYTES)
        self.fields["attachments"].help_text = _(
            "Up to %(max)s files, each at most %(limit)s: photos (JPEG, PNG, GIF, WebP, HEIC) or PDF."
        ) % {"max": MAX_FILES, "limit": limit}

    @property
    def visible(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name != HONEYPOT]

    @property
    def contact_errors(self) -> list[str]:
        """The errors of the phone and email fields, once each (the pair shares one)."""
        seen: list[str] = []
        for name in ("phone", "email"):
            for error in self.errors.get(name, []):
                if str(error) not in seen:
                    seen.append(str(error))
        return seen

    def clean_name(self) -> str:
        return " ".join(str(self.cleaned_data["name"]).split())

    def clean_phone(self) -> str:
        value = str(self.cleaned_data.get("phone") or "").strip()
        if not value:
            return ""
        if not _PHONE_CHARACTERS.match(value):
            raise ValidationError(_("A phone number has only digits, spaces and + - ( )."), code="phone")
        normalise_phone(value)  # refuses fewer than six digits
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.has_error("phone") and not self.has_error("email") and not (cleaned.get("phone") or cleaned.get("email")):
            message = _("Give us a phone number or an email address, so we can reply to you.")
            self.add_error("phone", ValidationError(message, code="no_contact"))
            self.add_error("email", ValidationError(message, code="no_contact"))
        return cleaned

    def submission(self) -> dict[str, str]:
        """The validated answers, as the web form adapter stores them."""
        data = self.cleaned_data
        return {
            "name": data["name"], "phone": data.get("phone") or "", "email": data.get("email") or "",
            "branch": data.get("branch") or "", "subject": (data.get("subject") or "").strip(),
            "text": data["text"].strip(),
        }

    @property
    def uploads(self) -> list[tuple[UploadedFile, str]]:
        return list(self.cleaned_data.get("attachments") or [])
