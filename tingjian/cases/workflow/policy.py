"""Service policy files: parsed, validated, stored as numbered versions.

A policy version is immutable once loaded (the same content loads as the same version), so
the parsed document is cached by version id for the life of the process.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils.translation import get_language

from tingjian import clock
from tingjian.audit import services as audit
from tingjian.org.roles import Role

from ..models import CloseReason, PolicyVersion, Stage
from .guards import GUARDS


class PolicyError(ValueError):
    """A policy file that cannot be used; ``problems`` lists every reason."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def _label(entry: dict[str, Any]) -> str:
    lang = (get_language() or "zh-hant").lower()
    if lang.startswith("en"):
        return str(entry.get("en", entry.get("id", "")))
    if lang in {"zh-hans", "zh-cn", "zh-sg"}:
        return str(entry.get("zh_hans") or entry.get("en", ""))
    return str(entry.get("zh_hant") or entry.get("en", ""))


@dataclass(frozen=True)
class TransitionDef:
    id: str
    from_stages: tuple[str, ...]
    to: str
    roles: frozenset[str]
    guards: tuple[str, ...]
    hard_rules: tuple[str, ...]
    requires_reason: bool
    counts_as_recurrence: bool
    close_reason: str
    labels: dict[str, str] = field(hash=False, compare=False)

    @property
    def label(self) -> str:
        return _label(self.labels)


@dataclass(frozen=True)
class ChecklistItem:
    id: str
    labels: dict[str, str] = field(hash=False, compare=False)

    @property
    def label(self) -> str:
        return _label(self.labels)


@dataclass(frozen=True)
class PolicyDocument:
    version_id: int
    number: int
    name: str
    reopen_window_days: int
    compensation_approval_threshold: Decimal
    override_daily_limit: int
    min_reason_length: int
    qa_checklist: tuple[ChecklistItem, ...]
    transitions: tuple[TransitionDef, ...]

    def transitions_from(self, stage: str) -> list[TransitionDef]:
        return [t for t in self.transitions if stage in t.from_stages]

    def get(self, transition_id: str) -> TransitionDef | None:
        return next((t for t in self.transitions if t.id == transition_id), None)


def validate(data: dict[str, Any]) -> list[str]:
    """Every problem in a policy document, empty when it can be loaded."""
    problems: list[str] = []
    stages = set(Stage.values)
    roles = {r.value for r in Role}
    if not str(data.get("name", "")).strip():
        problems.append("name is missing")
    for key in ("reopen_window_days", "override_daily_limit", "min_reason_length"):
        value = data.get(key)
        if not isinstance(value, int) or value < 0:
            problems.append(f"{key} must be a whole number ≥ 0")
    threshold = data.get("compensation_approval_threshold")
    if not isinstance(threshold, int | float) or threshold < 0:
        problems.append("compensation_approval_threshold must be a number ≥ 0")
    items = data.get("qa_checklist", [])
    if not isinstance(items, list) or not items:
        problems.append("qa_checklist needs at least one item")
    else:
        ids = [i.get("id") for i in items if isinstance(i, dict)]
        if len(ids) != len(items) or not all(ids) or len(set(ids)) != len(ids):
            problems.append("every qa_checklist item needs a unique id")
    transitions = data.get("transitions", [])
    if not isinstance(transitions, list) or not transitions:
        problems.append("transitions are missing")
        return problems
    seen: set[str] = set()
    for n, t in enumerate(transitions, 1):
        where = f"transition {t.get('id') or n}"
        if not t.get("id"):
            problems.append(f"{where}: id is missing")
        elif t["id"] in seen:
            problems.append(f"{where}: id is used twice")
        seen.add(t.get("id", ""))
        for stage in t.get("from", []) or ["<none>"]:
            if stage not in stages:
                problems.append(f"{where}: unknown from-stage {stage!r}")
        if t.get("to") not in stages:
            problems.append(f"{where}: unknown to-stage {t.get('to')!r}")
        if not t.get("roles"):
            problems.append(f"{where}: no role may take it")
        for role in t.get("roles", []):
            if role not in roles:
                problems.append(f"{where}: unknown role {role!r}")
        for name in t.get("guards", []):
            guard = GUARDS.get(name)
            if guard is None:
                problems.append(f"{where}: unknown guard {name!r}")
            elif guard.hard:
                problems.append(f"{where}: {name!r} is a hard rule; list it under hard_rules")
        for name in t.get("hard_rules", []):
            guard = GUARDS.get(name)
            if guard is None or not guard.hard:
                problems.append(f"{where}: unknown hard rule {name!r}")
        close_reason = t.get("close_reason", "")
        if t.get("to") == Stage.CLOSED and close_reason not in CloseReason.values:
            problems.append(f"{where}: a transition to closed needs a close_reason")
        if t.get("to") != Stage.CLOSED and close_reason:
            problems.append(f"{where}: close_reason only applies to transitions to closed")
    return problems


def _canonical(data: dict[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def load_policy_data(data: dict[str, Any], *, source: str, by: Any | None = None) -> PolicyVersion:
    problems = validate(data)
    if problems:
        raise PolicyError(problems)
    digest = hashlib.sha256(_canonical(data).encode()).hexdigest()
    with transaction.atomic():
        existing = PolicyVersion.objects.filter(sha256=digest).first()
        if existing is not None:
            return existing
        number = (PolicyVersion.objects.aggregate(m=Max("number"))["m"] or 0) + 1
        version = PolicyVersion.objects.create(
            number=number, name=data["name"], source=source, sha256=digest,
            document=data, loaded_at=clock.now(), loaded_by=by,
        )
        audit.record(
            "policy.loaded", actor=by, object_type="policy", object_id=number,
            summary=f"policy {data['name']!r} loaded as version {number} from {source}",
            after={"sha256": digest},
        )
        return version


def load_policy_file(path: str | Path, *, by: Any | None = None) -> PolicyVersion:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise PolicyError([f"{path}: no such file"]) from exc
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError([f"{path}: not valid TOML ({exc})"]) from exc
    return load_policy_data(data, source=path.name, by=by)


def active_policy() -> PolicyVersion:
    """The newest version, which new cases are opened under (the default file on first use)."""
    latest = PolicyVersion.objects.order_by("-number").first()
    if latest is None:
        latest = load_policy_file(Path(settings.TINGJIAN_POLICY_DIR) / "default.toml")
    return latest


_cache: dict[int, PolicyDocument] = {}


def policy_document(version: PolicyVersion) -> PolicyDocument:
    cached = _cache.get(version.pk)
    if cached is not None and cached.number == version.number:
        return cached
    data = version.document
    label_keys = ("en", "zh_hant", "zh_hans", "id")
    doc = PolicyDocument(
        version_id=version.pk,
        number=version.number,
        name=version.name,
        reopen_window_days=int(data["reopen_window_days"]),
        compensation_approval_threshold=Decimal(str(data["compensation_approval_threshold"])),
        override_daily_limit=int(data["override_daily_limit"]),
        min_reason_length=int(data["min_reason_length"]),
        qa_checklist=tuple(
            ChecklistItem(id=i["id"], labels={k: i[k] for k in label_keys if k in i})
            for i in data["qa_checklist"]
        ),
        transitions=tuple(
            TransitionDef(
                id=t["id"],
                from_stages=tuple(t["from"]),
                to=t["to"],
                roles=frozenset(t["roles"]),
                guards=tuple(t.get("guards", [])),
                hard_rules=tuple(t.get("hard_rules", [])),
                requires_reason=bool(t.get("requires_reason", False)),
                counts_as_recurrence=bool(t.get("counts_as_recurrence", False)),
                close_reason=t.get("close_reason", ""),
                labels={k: t[k] for k in label_keys if k in t},
            )
            for t in data["transitions"]
        ),
    )
    _cache[version.pk] = doc
    return doc
