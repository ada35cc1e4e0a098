"""The domain dictionary: products, branches and complaint words administrators keep, and the
synonyms that let a search for "wrong invoice" find 發票錯誤.

Responsible for: validating and storing administrators' words (``add_word``,
``update_word``, ``deactivate_word``; ``list_words`` to read them), teaching them to the
tokenizer of every process (the writing process at once), and answering ``synonyms(token)`` from the shipped bilingual
glossary (``dictionaries/synonyms.txt``) merged with the administrators' rows.
Must never: import another Tingjian app, or let a process segment with a dictionary older
than ``CHECK_SECONDS``.

Web and worker processes each hold their own jieba tokenizer. Rather than tell each of
them about a change, every process checks a cheap stamp of the table (row count and
latest ``updated_at``) at most once every ``CHECK_SECONDS`` when it is about to analyse
text (:func:`refresh`), and reloads the words only when the stamp moved. A write applies
its change to the writing process's tokenizer at once and forgets the stamp, so that
process's next refresh reads the table again (and undoes the change if it rolled back).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q, QuerySet
from django.utils.translation import gettext as _

from tingjian.audit import services as audit

from . import segment
from .models import DomainWord, WordKind
from .script import normalise

GLOSSARY = Path(__file__).resolve().parent / "dictionaries" / "synonyms.txt"
MAX_WORD_LENGTH = 30
CHECK_SECONDS = 30.0
# Between synonyms an administrator may type commas (either width), 、, semicolons or spaces.
_SYNONYM_SEPARATORS = re.compile(r"[,，、;；\s]+")
# A word is letters and digits of any script: no space, no punctuation, no underscore.
_WORD = re.compile(r"[^\W_]+")


# -- validation ---------------------------------------------------------------------------

def _checked(word: str, *, field_name: str) -> str:
    """``word`` stripped, or a ValidationError on ``field_name`` saying what is wrong."""
    word = word.strip()
    if not word:
        raise ValidationError({field_name: ValidationError(_("Enter a word."), code="empty")})
    if len(word) > MAX_WORD_LENGTH:
        raise ValidationError({field_name: ValidationError(
            _("「%(word)s」 is too long: at most %(limit)d characters."),
            code="too_long", params={"word": word, "limit": MAX_WORD_LENGTH},
        )})
    if not _WORD.fullmatch(word):
        raise ValidationError({field_name: ValidationError(
            _("「%(word)s」 may contain only letters and digits, without spaces or punctuation."),
            code="invalid_characters", params={"word": word},
        )})
    return word


def parse_synonyms(text: str) -> list[str]:
    """The synonyms typed in one field, each checked, in order, without repeats."""
    synonyms: dict[str, str] = {}
    for part in _SYNONYM_SEPARATORS.split(text or ""):
        if part:
            checked = _checked(part, field_name="synonyms")
            synonyms.setdefault(normalise(checked), checked)
    return list(synonyms.values())


def _refuse_duplicate(normalised: str, word: str, *, exclude_pk: int | None = None) -> None:
    same = DomainWord.objects.filter(normalised=normalised)
    if exclude_pk is not None:
        same = same.exclude(pk=exclude_pk)
    existing = same.first()
    if existing is None:
        return
    if existing.is_active:
        message = _("「%(word)s」 is already in the dictionary as 「%(existing)s」.")
    else:
        message = _("「%(word)s」 is already in the dictionary as 「%(existing)s」, deactivated: edit that entry to use it again.")
    raise ValidationError({"word": ValidationError(
        message, code="duplicate", params={"word": word, "existing": existing.word},
    )})


def _kind(kind: str) -> str:
    if kind not in WordKind.values:
        raise ValidationError({"kind": ValidationError(
            _("Choose a kind: product, branch, complaint term or other."), code="invalid_kind",
        )})
    return kind


# -- services (writes) and selector ---------------------------------------------------------

def list_words(kind: str | None = None, q: str | None = None, *, active: bool | None = None) -> QuerySet[DomainWord]:
    """The administrators' words, filtered by kind, by text in any script, and by state."""
    words = DomainWord.objects.select_related("created_by", "updated_by")
    if kind:
        words = words.filter(kind=kind)
    if active is not None:
        words = words.filter(is_active=active)
    if q and q.strip():
        q = q.strip()
        words = words.filter(
            Q(normalised__contains=normalise(q)) | Q(word__icontains=q) | Q(synonyms__icontains=q)
        )
    return words.order_by("kind", "normalised")


PERMISSION = "textintel.change_domainword"


def _ensure_may_change(by: Any) -> None:
    """Administrators keep the dictionary; ``by=None`` is the system (migrations, the demo)."""
    if by is not None and not by.has_perm(PERMISSION):
        raise PermissionDenied(_("Only administrators may change the dictionary."))


def _audit(action: str, entry: DomainWord, by: Any, before: dict[str, Any] | None = None) -> None:
    audit.record(
        action, actor=by, object_type="domainword", object_id=entry.pk,
        summary=f"dictionary word {entry.normalised} ({entry.kind})", before=before,
        after={"word": entry.word, "kind": entry.kind, "synonyms": entry.synonyms, "active": entry.is_active},
    )


def add_word(word: str, kind: str, synonyms: str = "", *, by: Any) -> DomainWord:
    """Add ``word`` to the dictionary; every process segments it as one word within
    ``CHECK_SECONDS``, this one at once."""
    _ensure_may_change(by)
    word = _checked(word, field_name="word")
    normalised = normalise(word)
    cleaned = parse_synonyms(synonyms)
    with transaction.atomic():
        _refuse_duplicate(normalised, word)
        try:
            created = DomainWord.objects.create(
                word=word, normalised=normalised, kind=_kind(kind), synonyms=", ".join(cleaned),
                created_by=by, updated_by=by,
            )
        except IntegrityError:  # another request added it between the check and the insert
            _refuse_duplicate(normalised, word)
            raise
        _audit("dictionary.word_added", created, by)
    _apply_now(before=None, after=normalised)
    return created


def update_word(
    pk: int, *, word: str | None = None, kind: str | None = None, synonyms: str | None = None,
    is_active: bool | None = None, by: Any,
) -> DomainWord:
    """Change a word, its kind, its synonyms or whether it is in use; None leaves a field."""
    _ensure_may_change(by)
    with transaction.atomic():
        entry = DomainWord.objects.select_for_update().get(pk=pk)
        before = entry.normalised if entry.is_active else None
        was = {"word": entry.word, "kind": entry.kind, "synonyms": entry.synonyms, "active": entry.is_active}
        if word is not None:
            entry.word = _checked(word, field_name="word")
            entry.normalised = normalise(entry.word)
            _refuse_duplicate(entry.normalised, entry.word, exclude_pk=entry.pk)
        if kind is not None:
            entry.kind = _kind(kind)
        if synonyms is not None:
            entry.synonyms = ", ".join(parse_synonyms(synonyms))
        if is_active is not None:
            entry.is_active = is_active
        entry.updated_by = by
        entry.save()
        _audit("dictionary.word_changed", entry, by, before=was)
    _apply_now(before=before, after=entry.normalised if entry.is_active else None)
    return entry


def deactivate_word(pk: int, *, by: Any) -> DomainWord:
    """Stop using a word (kept, so it can be reactivated and its history read)."""
    return update_word(pk, is_active=False, by=by)


# -- loading into the tokenizer -------------------------------------------------------------

@dataclass
class _Loaded:
    stamp: tuple[int, Any] | None = None
    checked_at: float = float("-inf")
    words: frozenset[str] = frozenset()
    # normalised form -> members of every administrators' group it belongs to
    groups: dict[str, frozenset[str]] = field(default_factory=dict)


_state = _Loaded()
_lock = threading.Lock()


def _apply_now(*, before: str | None, after: str | None) -> None:
    """Make this process segment with a change at once, and check the table at its next
    refresh: should the change's transaction roll back, that refresh undoes it here."""
    with _lock:
        if before is not None and before != after:
            segment.remove_domain_words([before])
            _state.words -= {before}
        if after is not None:
            segment.add_domain_words([after])
            _state.words |= {after}
        _state.stamp = None
        _state.checked_at = float("-inf")


def _forms(member: str) -> set[str]:
    """A group member as an index may hold it: the word, and its stem when English."""
    return {member, segment.stem(member)}


def _index(groups: Iterable[Iterable[str]]) -> dict[str, frozenset[str]]:
    index: dict[str, set[str]] = {}
    for group in groups:
        members = frozenset(member for member in (normalise(m).strip() for m in group) if member)
        if len(members) < 2:
            continue
        for member in members:
            for form in _forms(member):
                index.setdefault(form, set()).update(members)
    return {form: frozenset(members) for form, members in index.items()}


def refresh(*, force: bool = False) -> None:
    """Bring this process's tokenizer and synonyms up to date with the table, cheaply.

    Call before analysing text in a process with a database (the classifiers and
    ``synonyms`` do); at most one small query per ``CHECK_SECONDS``.
    """
    now = time.monotonic()
    if not force and now - _state.checked_at < CHECK_SECONDS:
        return
    with _lock:
        if not force and now - _state.checked_at < CHECK_SECONDS:
            return
        summary = DomainWord.objects.aggregate(count=Count("id"), latest=Max("updated_at"))
        stamp = (summary["count"], summary["latest"])
        if stamp != _state.stamp:
            rows = list(DomainWord.objects.filter(is_active=True).values_list("normalised", "synonyms"))
            words = frozenset(normalised for normalised, _synonyms in rows)
            segment.remove_domain_words(_state.words - words)
            segment.add_domain_words(words - _state.words)
            _state.words = words
            _state.groups = _index([normalised, *_SYNONYM_SEPARATORS.split(synonyms)] for normalised, synonyms in rows)
            _state.stamp = stamp
        _state.checked_at = time.monotonic()


def unload() -> None:
    """Forget the words loaded from the database (for tests, whose database rolls back)."""
    with _lock:
        segment.remove_domain_words(_state.words)
        _state.stamp, _state.words, _state.groups = None, frozenset(), {}
        _state.checked_at = float("-inf")


# -- synonyms ----------------------------------------------------------------------------------

@cache
def glossary_groups() -> tuple[tuple[str, ...], ...]:
    """The shipped glossary: one group a line, words separated by spaces, # for comments."""
    groups = []
    with open(GLOSSARY, encoding="utf-8") as file:
        for line in file:
            words = line.split("#", 1)[0].split()
            if len(words) >= 2:
                groups.append(tuple(normalise(word) for word in words))
    return tuple(groups)


@cache
def _glossary_index() -> dict[str, frozenset[str]]:
    return _index(glossary_groups())


def synonyms(token: str) -> tuple[str, ...]:
    """The other words of ``token``'s synonym groups, normalised, sorted: 发票 gives invoice,
    invoic, 收据, receipt…; invoice (or its stem invoic) gives 发票 and the rest.

    ``token`` may be a normalised word or a :func:`~tingjian.textintel.segment.tokens`
    token (an English stem). English synonyms come in both forms (invoice and invoic), so
    the caller can match an index of words or of stems.
    """
    refresh()
    key = normalise(token).strip()
    members = set(_glossary_index().get(key, ())) | set(_state.groups.get(key, ()))
    found: set[str] = set()
    for member in members:
        forms = _forms(member)
        if key not in forms:
            found |= forms
    return tuple(sorted(found))
