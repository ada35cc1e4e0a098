"""What the import pages show: the channels to import into, a file's first rows for the
mapping form, and the cases an import's calls were filed into."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from ..models import CallImport, Channel, InboundEvent, Kind
from .reading import short_text, table_of

# How many of the file's first rows the mapping page shows.
SAMPLE_ROWS = 3


def import_channels() -> QuerySet[Channel]:
    return Channel.objects.filter(kind=Kind.CALLLOG, is_active=True).order_by("display_name")


@dataclass(frozen=True)
class Preview:
    headers: list[str]
    rows: list[list[str]]  # the first few data rows, as a person reads them
    encoding: str
    delimiter: str


def preview(call_import: CallImport) -> Preview:
    """The file's headers and its first rows, for the mapping form."""
    table = table_of(call_import, limit=SAMPLE_ROWS)
    rows = [[short_text(cell, 40) for cell in cells] for _number, cells in table.rows]
    return Preview(table.headers, rows, table.encoding, table.delimiter)


def imported_cases(call_import: CallImport, *, limit: int = 50) -> list[Any]:
    """The cases this import's calls were filed into, in file order, each once."""
    events = (
        InboundEvent.objects.filter(channel_id=call_import.channel_id, meta__import_id=call_import.pk, case__isnull=False)
        .select_related("case__customer").order_by("pk")
    )
    cases: dict[int, Any] = {}
    for event in events.iterator():
        if event.case is not None:
            cases.setdefault(event.case.pk, event.case)
        if len(cases) >= limit:
            break
    return list(cases.values())
