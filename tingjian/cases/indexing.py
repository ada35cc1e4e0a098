"""A case in the search index: its subject, every message, note and finding, and the
fields the search page filters by. The case services call :func:`reindex` whenever the
text changes (a message, a note, a new subject) and :func:`refresh` when only the fields
do (a stage move, a new assignee), inside their own transaction, so what is written is
searchable at once and a rolled-back write leaves no trace in the index.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

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


def reindex(case: Case, *, keywords: bool = True) -> None:
    """The case's entry after its text changed, and its keywords if the customer's words
    did (``keywords``: jieba costs about 10 ms, which a reply or a note need not pay)."""
    from .models import Direction
    from .suggestions import key_words, text_of

    rows = list(Message.objects.filter(case=case).order_by("sent_at", "pk").values_list("direction", "body"))
    messages = [body for _direction, body in rows]
    if keywords:
        case.keywords = key_words(text_of(case.subject, (body for d, body in rows if d == Direction.INBOUND)))
        Case.objects.filter(pk=case.pk).update(keywords=case.keywords)
    notes = Note.objects.filter(case=case).order_by("created_at", "pk").values_list("body", flat=True)
    names = Case.objects.filter(pk=case.pk).values_list(*_LABEL_FIELDS).first() or ()
    search.index_case(document(case, messages, notes, _labels(names)))


def refresh(case: Case) -> None:
    search.update_case_fields(document(case, (), ()))


def changed(case: Case, fields: Iterable[str]) -> None:
    """After ``update_case``: re-read the text only if a text field changed."""
    fields = set(fields)
    if _TEXT_FIELDS & fields:
        reindex(case, keywords="subject" in fields)
    else:
        refresh(case)


_ROW_FIELDS = (
    "pk", "number", "subject", "findings", "opened_at", "stage", "severity", "department_id",
    "branch_id", "origin_channel", "category_id", "assignee_id", "product_id",
)


def _names() -> dict[str, dict[int, list[str]]]:
    """Every taxonomy's names by id (small tables: read once per rebuild)."""
    from tingjian.org.models import Branch, Category, Department, Product

    models: dict[str, Any] = {"category_id": Category, "product_id": Product, "branch_id": Branch, "department_id": Department}
    return {
        column: {pk: [a, b, c] for pk, a, b, c in model.objects.values_list("pk", "name_zh_hant", "name_zh_hans", "name_en")}
        for column, model in models.items()
    }


def _texts(model: type[Message] | type[Note], order: str, ids: list[int]) -> dict[int, list[str]]:
    texts: dict[int, list[str]] = {}
    for case_id, body in model.objects.filter(case_id__in=ids).order_by("case_id", order, "pk").values_list("case_id", "body"):
        texts.setdefault(case_id, []).append(body)
    return texts


def reindex_cases(
    case_ids: Iterable[int] | None = None, *, since_id: int | None = None,
    progress: Callable[[int, int], None] | None = None, batch: int = 1000,
) -> int:
    """Rebuild the index entries of many cases (all by default), ``batch`` at a time.

    For a rebuild after an upgrade or for generated data. Reads plain rows, not model
    instances (three queries per batch), since building a million Case objects would cost
    more than analysing their text (bench/README.md, "Search"). Keywords are not refreshed
    here (jieba would make a rebuild ten times slower); each case gets them on its next write.
    """
    qs = Case.objects.order_by("pk")
    if case_ids is not None:
        qs = qs.filter(pk__in=list(case_ids))
    if since_id is not None:
        qs = qs.filter(pk__gte=since_id)
    total = qs.count()
    names = _names()
    done = 0
    last = 0
    while rows := list(qs.filter(pk__gt=last).values_list(*_ROW_FIELDS)[:batch]):
        ids = [row[0] for row in rows]
        messages = _texts(Message, "sent_at", ids)
        notes = _texts(Note, "created_at", ids)
        documents = []
        for (pk, number, subject, findings, opened_at, stage, severity, department_id, branch_id,
             channel, category_id, assignee_id, product_id) in rows:
            labels = [
                name for column, value in (("category_id", category_id), ("product_id", product_id),
                                           ("branch_id", branch_id), ("department_id", department_id))
                if value is not None for name in names[column].get(value, ())
            ]
            documents.append(search.CaseDocument(
                case_id=pk, title=f"{number} {subject}",
                body="\n".join([*messages.get(pk, ()), *notes.get(pk, ()), findings]),
                at=opened_at, stage=stage, severity=severity, department_id=department_id,
                branch_id=branch_id, channel=channel, category_id=category_id,
                assignee_id=assignee_id, labels=_labels(labels),
            ))
        done += search.index_cases(documents, batch=batch)
        last = ids[-1]
        if progress is not None:
            progress(done, total)
    return done
