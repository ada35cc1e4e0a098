"""The life of a call import, from upload to filed calls; what views, tasks and the command call.

Upload (``start_import``: the file kept after making sure we can read it), the mapping
(``set_mapping``), asking for the dry run or the import (``request_check``, ``request_run``:
a task, by id) and the tasks' work: ``check`` validates every row and stores nothing;
``run`` stores each good new row once through ``channels.services.receive`` with the call id
as its platform id and files it at once through ``pipeline.ingest``. Both keep their
progress on the CallImport row.

Must never: let one broken row stop the others; store or file a call twice (a second
import of the same file changes nothing); do the slow part in a web request; write a row's
content to the log or the audit trail.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from tingjian import clock
from tingjian.alerts import services as alerts
from tingjian.audit import services as audit

from .. import pipeline
from .. import services as channel_services
from ..adapters.base import Accepted, IncomingEvent
from ..models import CallImport, Channel, EventStatus, ImportStatus, InboundEvent, Kind
from .mapping import guess_mapping, validate_mapping
from .permissions import PERM_SEE_ALL, ensure_may_import
from .reading import (
    Table,
    cell_text,
    file_format,
    max_upload_bytes,
    read_table,
    short_text,
    table_of,
    unreadable,
)
from .rows import bad_row, check_row, read_lookups

# The whole import logs as one logger (tingjian.channels.calls), whichever module writes.
logger = logging.getLogger(__package__)

PROGRESS_EVERY_SECONDS = 0.5
Progress = Callable[[int, int], None]

CHANGEABLE = {ImportStatus.UPLOADED, ImportStatus.CHECKED, ImportStatus.FAILED}
RUNNING = {ImportStatus.CHECKING, ImportStatus.IMPORTING}


def start_import(
    *, channel: Channel, name: str, content: bytes, by: Any | None, max_bytes: int | None = None,
) -> CallImport:
    """Keep an uploaded file as a new import, after making sure we can read it."""
    ensure_may_import(by)
    if channel.kind != Kind.CALLLOG or not channel.is_active:
        raise ValidationError({"channel": _("Choose an active call-centre channel.")})
    limit = max_upload_bytes() if max_bytes is None else max_bytes
    if limit and len(content) > limit:
        raise unreadable(_("The file is larger than %(mb)s MB; split it and import the parts.") % {"mb": limit // (1024 * 1024)})
    fmt = file_format(content)
    table = read_table(content, fmt, limit=1)
    if not table.rows:
        raise unreadable(_("The file has a header row but no calls under it."))
    with transaction.atomic():
        call_import = CallImport(
            channel=channel, uploaded_by=by, uploaded_at=clock.now(), original_name=(name or "calls")[:255],
            file_format=fmt, mapping=guess_mapping(table.headers),
        )
        # The stored name says nothing about its content; the original name is kept beside it.
        call_import.file.save(f"{uuid.uuid4().hex}.{fmt}", ContentFile(content), save=False)
        call_import.save()
        audit.record(
            "channel.calls_uploaded", actor=by, object_type="call_import", object_id=call_import.pk,
            summary=f"call log uploaded for channel {channel.name} ({fmt}, {len(content)} bytes)",
        )
    return call_import


def _locked(call_import: CallImport, by: Any | None) -> CallImport:
    ensure_may_import(by)
    locked = CallImport.objects.select_for_update().get(pk=call_import.pk)
    if by is not None and not by.has_perm(PERM_SEE_ALL) and locked.uploaded_by_id != by.pk:
        raise PermissionDenied(_("This import is someone else's."))
    return locked


def _reset(call_import: CallImport, status: str) -> None:
    call_import.status = status
    call_import.processed_rows = call_import.good_rows = call_import.duplicate_rows = 0
    call_import.imported_rows = 0
    call_import.bad_rows = []
    call_import.error = ""
    call_import.finished_at = None


def set_mapping(call_import: CallImport, mapping: Mapping[str, str], *, by: Any | None) -> CallImport:
    """Say which column holds which field; a new mapping needs a new dry run."""
    headers = table_of(call_import, limit=1).headers
    clean = validate_mapping(mapping, headers)
    with transaction.atomic():
        locked = _locked(call_import, by)
        if locked.status not in CHANGEABLE:
            raise ValidationError(_("This import is running or done; its mapping cannot change."))
        locked.mapping = clean
        _reset(locked, ImportStatus.UPLOADED)
        locked.save()
    return locked


def _enqueue(task_name: str, import_id: int) -> None:
    from .. import tasks

    try:
        getattr(tasks, task_name).enqueue(import_id)
    except Exception:
        logger.exception("could not enqueue %s for call import %s", task_name, import_id)
        CallImport.objects.filter(pk=import_id, status__in=RUNNING).update(
            status=ImportStatus.FAILED, error=gettext_noop("The background worker could not be reached. Try again in a moment."),
            finished_at=clock.now(),
        )


def request_check(call_import: CallImport, *, by: Any | None, mapping: Mapping[str, str] | None = None) -> CallImport:
    """Start the dry run in a task (with a new mapping, when given)."""
    if mapping is not None:
        call_import = set_mapping(call_import, mapping, by=by)
    with transaction.atomic():
        locked = _locked(call_import, by)
        if locked.status not in CHANGEABLE:
            raise ValidationError(_("This import is already running or done."))
        validate_mapping(locked.mapping, locked.mapping.values())
        _reset(locked, ImportStatus.CHECKING)
        locked.save()
        transaction.on_commit(lambda: _enqueue("check_call_import", locked.pk))
    return locked


def request_run(call_import: CallImport, *, by: Any | None) -> CallImport:
    """Start the import of the checked file in a task."""
    with transaction.atomic():
        locked = _locked(call_import, by)
        if locked.status in RUNNING:
            raise ValidationError(_("This import is already running."))
        if locked.status == ImportStatus.DONE:
            raise ValidationError(_("This file has been imported already."))
        if locked.status != ImportStatus.CHECKED:
            raise ValidationError(_("Check the file first; only a checked file can be imported."))
        if not locked.good_rows:
            raise ValidationError(_("There is nothing new to import in this file."))
        locked.status = ImportStatus.IMPORTING
        locked.processed_rows = 0
        locked.save(update_fields=["status", "processed_rows"])
        audit.record(
            "channel.calls_import_started", actor=by, object_type="call_import", object_id=locked.pk,
            summary=f"import of {locked.good_rows} call(s) started",
        )
        transaction.on_commit(lambda: _enqueue("run_call_import", locked.pk))
    return locked


class _Meter:
    """Writes progress to the row now and then (not every row), and tells the console."""

    def __init__(self, call_import: CallImport, total: int, callback: Progress | None) -> None:
        self.pk, self.total, self.callback = call_import.pk, total, callback
        self.step = max(1, total // 100)
        self.written, self.at = 0, time.monotonic()

    def __call__(self, done: int) -> None:
        if self.callback is not None:
            self.callback(done, self.total)
        if done - self.written >= self.step or time.monotonic() - self.at >= PROGRESS_EVERY_SECONDS:
            CallImport.objects.filter(pk=self.pk).update(processed_rows=done)
            self.written, self.at = done, time.monotonic()


def _begin(call_import: CallImport, status: str) -> tuple[CallImport, Table]:
    call_import = CallImport.objects.select_related("channel").get(pk=call_import.pk)
    validate_mapping(call_import.mapping, call_import.mapping.values())
    _reset(call_import, status)
    call_import.save()
    table = table_of(call_import)
    call_import.total_rows = len(table.rows)
    call_import.save(update_fields=["total_rows"])
    return call_import, table


def _rows(call_import: CallImport, table: Table) -> Iterable[tuple[int, dict[str, Any]]]:
    index = {header: i for i, header in enumerate(table.headers)}
    mapping = call_import.mapping
    for number, cells in table.rows:
        yield number, {f: cells[index[h]] for f, h in mapping.items() if h in index}


def _finish(call_import: CallImport, status: str, **counts: Any) -> CallImport:
    for key, value in counts.items():
        setattr(call_import, key, value)
    call_import.status = status
    call_import.processed_rows = call_import.total_rows
    call_import.finished_at = clock.now()
    call_import.save()
    return call_import


def _failed(call_import: CallImport, exc: Exception) -> CallImport:
    logger.exception("call import %s failed", call_import.pk)
    if isinstance(exc, ValidationError):
        message = " ".join(exc.messages)
    else:
        # The details are in the log; the person is told what to do. What an interrupted
        # import stored is kept and is not imported twice when the file is run again.
        message = gettext_noop("Stopped by an unexpected error. Check the file again to go on; calls already imported are kept and skipped.")
    CallImport.objects.filter(pk=call_import.pk).update(
        status=ImportStatus.FAILED, error=message[:500], finished_at=clock.now()
    )
    call_import.refresh_from_db()
    return call_import


def check(call_import: CallImport, *, by: Any | None = None, progress: Progress | None = None) -> CallImport:
    """The dry run: every row validated, nothing stored. Safe to run again at any time."""
    return _process(call_import, by=by, progress=progress, write=False)


def run(call_import: CallImport, *, by: Any | None = None, progress: Progress | None = None) -> CallImport:
    """The import: each good row stored once and filed at once; a broken row is reported
    and the next one goes on. Running it again (a retried task, the same file twice) files
    nothing twice: the call id is the event's platform id."""
    done = _process(call_import, by=by, progress=progress, write=True)
    if done.status != ImportStatus.DONE:
        return done
    audit.record(
        "channel.calls_imported", actor=done.uploaded_by, object_type="call_import", object_id=done.pk,
        summary=f"{done.imported_rows} call(s) imported, {done.duplicate_rows} already there, {len(done.bad_rows)} bad row(s)",
    )
    if done.uploaded_by is not None:
        alerts.notify(
            [done.uploaded_by], kind="channel.calls_imported",
            verb=gettext_noop("Your import of %(file)s is done: %(n)s call(s) filed"),
            params={"file": done.original_name, "n": done.imported_rows}, url=f"/imports/{done.pk}/",
        )
    return done


def _process(call_import: CallImport, *, by: Any | None, progress: Progress | None, write: bool) -> CallImport:
    """Walk every row: validate it, and when ``write``, store and file the good new ones."""
    if by is not None:
        with transaction.atomic():
            _locked(call_import, by)
    try:
        call_import, table = _begin(call_import, ImportStatus.IMPORTING if write else ImportStatus.CHECKING)
        meter = _Meter(call_import, len(table.rows), progress)
        lookups, now, channel = read_lookups(), clock.now(), call_import.channel
        rows = list(_rows(call_import, table))
        existing = _existing(channel, (cell_text(v.get("call_id")) for _n, v in rows))
        first_seen: dict[str, int] = {}
        good = imported = duplicates = 0
        bad: list[dict[str, Any]] = []
        for done, (number, values) in enumerate(rows, start=1):
            checked = check_row(values, lookups, now=now)
            call_id = cell_text(values.get("call_id"))
            problems = checked.problems
            if call_id in first_seen:
                again = (gettext_noop("Call ID %(call_id)s appears again; it was first on row %(first)s."), {"call_id": short_text(call_id), "first": first_seen[call_id]})
                problems = [again, *problems]
            elif call_id:
                first_seen[call_id] = number
            # A call this very import stored (a retried task) is finished, not skipped.
            earlier = existing.get(call_id)
            if problems or checked.payload is None:
                bad.append(bad_row(number, call_id, problems))
            elif earlier is not None and not (write and earlier[2] == call_import.pk):
                duplicates += 1
            else:
                good += 1
                if write:
                    trouble = _store_and_file(call_import, channel, number, checked.payload)
                    if trouble:
                        bad.append(bad_row(number, call_id, [trouble]))
                    else:
                        imported += 1
            meter(done)
        return _finish(
            call_import, ImportStatus.DONE if write else ImportStatus.CHECKED,
            good_rows=good, imported_rows=imported, duplicate_rows=duplicates, bad_rows=bad,
        )
    except Exception as exc:
        return _failed(call_import, exc)


def _existing(channel: Channel, call_ids: Iterable[str]) -> dict[str, tuple[int, str, Any]]:
    """Call id → (event id, status, the import that stored it) for calls stored before."""
    ids = sorted({c for c in call_ids if c})
    found: dict[str, tuple[int, str, Any]] = {}
    for start in range(0, len(ids), 500):
        for pk, external_id, status, meta in InboundEvent.objects.filter(
            channel=channel, external_id__in=ids[start : start + 500]
        ).values_list("pk", "external_id", "status", "meta"):
            found[external_id] = (pk, status, (meta or {}).get("import_id"))
    return found


def _store_and_file(call_import: CallImport, channel: Channel, number: int, payload: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """Store one call and file it; the problem (message id, values) when it did not work."""
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
    try:
        ((event, _created),) = channel_services.receive(
            channel,
            Accepted(events=[IncomingEvent(external_id=payload["call_id"], payload=body, meta={"import_id": call_import.pk, "row": number})]),
            enqueue=False,  # filed right below, so the progress bar counts filed calls
        )
    except Exception as exc:  # one row's trouble must not stop the file
        logger.warning("call import %s: row %s could not be stored: %s", call_import.pk, number, type(exc).__name__)
        return gettext_noop("Could not be stored (%(error)s)."), {"error": type(exc).__name__}
    if event.status in {EventStatus.RECEIVED, EventStatus.RETRYING}:
        pipeline.ingest(event.pk)
        event.refresh_from_db(fields=["status"])
    if event.status != EventStatus.FILED:
        return gettext_noop("Stored, but not filed yet (%(status)s); Tingjian tries again by itself."), {"status": event.status}
    return None


def perform_check(import_id: int) -> str:
    """The check task's body: only an import waiting for its check is checked."""
    call_import = CallImport.objects.filter(pk=import_id).first()
    if call_import is None:
        return "no such import"
    if call_import.status != ImportStatus.CHECKING:
        return f"not waiting for a check ({call_import.status})"
    done = check(call_import)
    return f"{done.status}: {done.good_rows} good, {done.duplicate_rows} already imported, {len(done.bad_rows)} bad"


def perform_run(import_id: int) -> str:
    """The import task's body: only an import asked for (or interrupted) is run."""
    call_import = CallImport.objects.filter(pk=import_id).first()
    if call_import is None:
        return "no such import"
    if call_import.status != ImportStatus.IMPORTING:
        return f"not waiting to import ({call_import.status})"
    done = run(call_import)
    return f"{done.status}: {done.imported_rows} imported, {done.duplicate_rows} already there, {len(done.bad_rows)} bad"
