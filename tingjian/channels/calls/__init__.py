"""Importing call-centre logs: a CSV or XLSX file of calls → one inbound message per call.

Responsible for: reading the file (CSV in UTF-8, Big5 or GB18030 with any delimiter, or
XLSX), proposing which column holds which of our fields, the dry run (``check``: every row
validated, every bad row kept with its reason in plain words, rows imported before counted)
and the import (``run``: each good row stored once through ``services.receive`` with the
call id as its platform id, and filed at once through ``pipeline.ingest``), with progress
on the CallImport row, and who may do it.

Must never: let one broken row stop the others; store or file a call twice (a second
import of the same file changes nothing); do the slow part in a web request (``check``
and ``run`` run in tasks, by id: ``channels.tasks``); write a row's content to the log or
the audit trail.

Inside, by what each part does:

- ``reading``: a file → its table (encodings, delimiters, header names, cells as text);
- ``mapping``: our fields, the header names people write, ``guess_mapping``, ``validate_mapping``;
- ``rows``: one row → the payload to store, or every problem with it;
- ``permissions``: who may import, and which imports each person sees;
- ``selectors``: what the pages show (channels, a file's first rows, the cases filed);
- ``services``: the import's life (upload, mapping, check, run) and the tasks' bodies.

Views, tasks and the command import from here: ``from tingjian.channels import calls``.
"""

from __future__ import annotations

from .mapping import FIELD_LABELS, FIELDS, HEADER_NAMES, REQUIRED, guess_mapping, validate_mapping
from .permissions import (
    PERM_IMPORT,
    PERM_SEE_ALL,
    ensure_may_import,
    get_import,
    may_import,
    visible_imports,
)
from .reading import (
    DEFAULT_MAX_BYTES,
    Table,
    decode,
    file_format,
    max_upload_bytes,
    read_table,
    table_of,
)
from .rows import FUTURE_SLACK, MAX_CALL_ID, PHONE_CHARACTERS, describe
from .selectors import SAMPLE_ROWS, Preview, import_channels, imported_cases, preview
from .services import (
    CHANGEABLE,
    PROGRESS_EVERY_SECONDS,
    RUNNING,
    Progress,
    check,
    perform_check,
    perform_run,
    request_check,
    request_run,
    run,
    set_mapping,
    start_import,
)

__all__ = [
    "CHANGEABLE",
    "DEFAULT_MAX_BYTES",
    "FIELDS",
    "FIELD_LABELS",
    "FUTURE_SLACK",
    "HEADER_NAMES",
    "MAX_CALL_ID",
    "PERM_IMPORT",
    "PERM_SEE_ALL",
    "PHONE_CHARACTERS",
    "PROGRESS_EVERY_SECONDS",
    "REQUIRED",
    "RUNNING",
    "SAMPLE_ROWS",
    "Preview",
    "Progress",
    "Table",
    "check",
    "decode",
    "describe",
    "ensure_may_import",
    "file_format",
    "get_import",
    "guess_mapping",
    "import_channels",
    "imported_cases",
    "max_upload_bytes",
    "may_import",
    "perform_check",
    "perform_run",
    "preview",
    "read_table",
    "request_check",
    "request_run",
    "run",
    "set_mapping",
    "start_import",
    "table_of",
    "validate_mapping",
    "visible_imports",
]
