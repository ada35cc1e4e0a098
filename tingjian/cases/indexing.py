"""A case in the search index: its subject, every message, note and finding, and the
fields the search page filters by. The case services call :func:`reindex` whenever the
text changes (a message, a note, a new subject) and :func:`refresh` when only the fields
do (a stage move, a new assignee), inside their own transaction, so what is written is
searchable at once and a rolled-back write leaves no trace in the index.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from django.db.models import Prefetch

from tingjian.search import services as search

from .models import Case, Message, Note

# Whole messages in a case document, oldest first; a thread longer than the index keeps
# (search.analysis.MAX_INDEXED_CHARS) is cut there.
_TEXT_FIELDS = {"subject", "findings", "category", "product", "branch", "department"}
_LABELLED = ("category", "product", "branch", "department")
_LABEL_FIELDS = [f"{rel}__{name}" for rel in _LABELLED for name in ("name_zh_hant", "name_zh_hans", "name_en")]


def _labels(names: Iterable[str | None]) -> str:
    """The taxonomy names, each once (Traditional and Simplified are often the same)."""
    return " ".join(dict.fromkeys(name for name in names if name))


def _fields(case: Case) -> dict[str, object]:
    return {
        "case_id": case.pk, "at": case.opened_at, "stage": case.stage, "severity": case.severity,
        "department_id": case.department_id, "branch_id": case.branch_id, "channel": case.origin_channel,
        "category_id": case.category_id, "assignee_id": case.assignee_id,
    }


def document(case: Case, messages: Iterable[str], notes: Iterable[str], labels: str = "") -> search.CaseDocument:
    body = "\n".join([*messages, *notes, case.findings])
    return search.CaseDocument(title=f"{case.number} {case.subject}", body=body, labels=labels, **_fields(case))  # type: ignore[arg-type]


def reindex(case: Case) -> None:
    messages = Message.objects.filter(case=case).order_by("sent_at", "pk").values_list("body", flat=True)
    notes = Note.objects.filter(case=case).order_by("created_at", "pk").values_list("body", flat=True)
    names = Case.objects.filter(pk=case.pk).values_list(*_LABEL_FIELDS).first() or ()
    search.index_case(document(case, messages, notes, _labels(names)))


def refresh(case: Case) -> None:
    search.update_case_fields(document(case, (), ()))


def changed(case: Case, fields: Iterable[str]) -> None:
    """After ``update_case``: re-read the text only if a text field changed."""
    if _TEXT_FIELDS & set(fields):
        reindex(case)
    else:
        refresh(case)


def _documents(cases: Iterator[Case]) -> Iterator[search.CaseDocument]:
    for case in cases:
        names = []
        for rel in _LABELLED:
            obj = getattr(case, rel)
            if obj is not None:
                names.extend([obj.name_zh_hant, obj.name_zh_hans, obj.name_en])
        yield document(
            case,
            (m.body for m in case.messages.all()),  # type: ignore[attr-defined]
            (n.body for n in case.notes.all()),  # type: ignore[attr-defined]
            _labels(names),
        )


def reindex_cases(
    case_ids: Iterable[int] | None = None, *, since_id: int | None = None,
    progress: Callable[[int, int], None] | None = None, batch: int = 500,
) -> int:
    """Rebuild the index entries of many cases (all by default), ``batch`` at a time.

    For a rebuild after an upgrade or for generated data; three queries per batch.
    """
    qs = Case.objects.order_by("pk")
    if case_ids is not None:
        qs = qs.filter(pk__in=list(case_ids))
    if since_id is not None:
        qs = qs.filter(pk__gte=since_id)
    total = qs.count()
    done = 0
    last = 0
    while True:
        chunk = list(
            qs.filter(pk__gt=last).select_related(*_LABELLED).only(
                "pk", "number", "subject", "findings", "opened_at", "stage", "severity", "department_id",
                "branch_id", "origin_channel", "category_id", "assignee_id", "product_id",
                *_LABEL_FIELDS,
            ).prefetch_related(
                Prefetch("messages", queryset=Message.objects.order_by("sent_at", "pk").only("case_id", "body")),
                Prefetch("notes", queryset=Note.objects.order_by("created_at", "pk").only("case_id", "body")),
            )[:batch]
        )
        if not chunk:
            break
        done += search.index_cases(_documents(iter(chunk)), batch=batch)
        last = chunk[-1].pk
        if progress is not None:
            progress(done, total)
    return done
