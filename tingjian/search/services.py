"""Writing the index. Callers (the cases, customers and knowledge apps) describe a thing as
a title and a text; this app turns them into index tokens and keeps the full-text index in
step, in the caller's transaction, so a thing is searchable the moment it is written.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from itertools import islice

from tingjian import clock

from .analysis import index_terms
from .models import Entry, Kind

TITLE_CHARS = 300


@dataclass(frozen=True)
class CaseDocument:
    """A case as the index sees it: its text, and the fields the search page filters by."""

    case_id: int
    title: str
    body: str
    at: datetime
    stage: str
    severity: int | None
    department_id: int | None
    branch_id: int | None
    channel: str
    category_id: int | None
    assignee_id: int | None
    # Names of the case's category, product, branch and department in every language:
    # searchable (發票錯誤 finds the cases filed under that category, whatever their words)
    # and ranked like the title, but not shown.
    labels: str = ""

    def fields(self) -> dict[str, object]:
        return {
            "at": self.at, "stage": self.stage, "severity": self.severity,
            "department_id": self.department_id, "branch_id": self.branch_id, "channel": self.channel,
            "category_id": self.category_id, "assignee_id": self.assignee_id,
        }

    def entry_values(self) -> dict[str, object]:
        return {
            "title": self.title[:TITLE_CHARS], "body": self.body,
            "title_terms": index_terms(f"{self.title}\n{self.labels}"), "terms": index_terms(self.body),
            **self.fields(),
        }


def index_case(document: CaseDocument) -> None:
    Entry.objects.update_or_create(kind=Kind.CASE, ref=document.case_id, defaults=document.entry_values())


def update_case_fields(document: CaseDocument) -> None:
    """Only the filter fields changed (a stage move, a new assignee): no re-tokenising.

    Creates the entry if the case was never indexed (a case from before search existed).
    """
    if not Entry.objects.filter(kind=Kind.CASE, ref=document.case_id).update(**document.fields()):
        index_case(document)


def index_cases(documents: Iterable[CaseDocument], *, batch: int = 500) -> int:
    """Index many cases in batches of ``batch`` (a rebuild, generated data); returns how many."""
    done = 0
    iterator = iter(documents)
    update_fields = ["title", "body", "title_terms", "terms", "at", "stage", "severity", "department_id",
                     "branch_id", "channel", "category_id", "assignee_id"]
    while chunk := list(islice(iterator, batch)):
        Entry.objects.bulk_create(
            [Entry(kind=Kind.CASE, ref=doc.case_id, **doc.entry_values()) for doc in chunk],  # type: ignore[arg-type]
            update_conflicts=True, unique_fields=["kind", "ref"], update_fields=update_fields,
        )
        done += len(chunk)
    return done


def index_document(kind: str, ref: int, *, title: str, body: str, at: datetime | None = None) -> None:
    """Index a customer or a knowledge article (no case filters)."""
    if kind == Kind.CASE:
        raise ValueError("cases are indexed with index_case(), which carries their filter fields")
    Entry.objects.update_or_create(kind=kind, ref=ref, defaults={
        "title": title[:TITLE_CHARS], "body": body,
        "title_terms": index_terms(title), "terms": index_terms(body), "at": at or clock.now(),
    })


def remove(kind: str, ref: int) -> None:
    Entry.objects.filter(kind=kind, ref=ref).delete()
