"""`tingjian import calls`: import a call-centre log (CSV or XLSX) from the console.

    tingjian import calls calls-2026-11.xlsx --channel hotline
    tingjian import calls export.csv --channel hotline --map call_id=流水號 --map email= --dry-run
    tingjian import calls export.csv --channel hotline --as manager

Without ``--map`` the columns are guessed from the header row and the mapping is printed;
``--map FIELD=HEADER`` sets one field (``--map FIELD=`` leaves a guessed one out). The file
is checked first (every bad row is printed with its reason), then, unless ``--dry-run``,
the good rows are imported and filed. Importing the same file again files nothing twice.

Exit status: 0 when every row is good (imported now or before); 1 when some rows are bad
— in a dry run nothing was stored, in an import the good rows were imported all the same;
2 when nothing could be done (unknown channel or user, unreadable file, a required field
without a column, not allowed). The console has no size limit; the web upload has.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from tingjian.channels import calls
from tingjian.channels.models import CallImport, Channel, ImportStatus, Kind

BAR_WIDTH = 30


def _pairs(values: list[str]) -> dict[str, str]:
    out = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or key.strip() not in calls.FIELDS:
            raise CommandError(
                _("--map takes FIELD=HEADER with FIELD one of %(fields)s; got %(item)r")
                % {"fields": ", ".join(calls.FIELDS), "item": item},
                returncode=2,
            )
        out[key.strip()] = value.strip()
    return out


def _refusal(exc: Exception) -> CommandError:
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            text = "; ".join(f"{key}: {' '.join(msgs)}" if key != "__all__" else " ".join(msgs) for key, msgs in exc.message_dict.items())
        else:
            text = " ".join(exc.messages)
    else:
        text = str(exc) or type(exc).__name__
    return CommandError(text, returncode=2)


class Command(BaseCommand):
    help = "Import a call-centre log: tingjian import calls FILE --channel NAME [--map field=Header …] [--dry-run] [--as USERNAME]"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True)
        p = sub.add_parser("calls", help="a call-centre log, CSV (UTF-8, Big5, GB18030) or XLSX")
        p.add_argument("file", help="the CSV or XLSX file")
        p.add_argument("--channel", required=True, help="name of the call-centre (calllog) channel")
        p.add_argument(
            "--map", action="append", default=[], metavar="FIELD=HEADER",
            help=f"which column holds a field ({', '.join(calls.FIELDS)}); repeat it",
        )
        p.add_argument("--dry-run", action="store_true", help="check every row, store nothing")
        p.add_argument("--as", dest="as_user", default="", metavar="USERNAME", help="act as this user (permissions, audit)")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": path}, returncode=2)
        channel = Channel.objects.filter(kind=Kind.CALLLOG, name=options["channel"]).first()
        if channel is None:
            names = ", ".join(calls.import_channels().values_list("name", flat=True)) or "—"
            raise CommandError(
                _("No call-centre channel named %(name)r. Call-centre channels: %(names)s")
                % {"name": options["channel"], "names": names}, returncode=2,
            )
        by = self._user(options["as_user"])
        overrides = _pairs(options["map"])
        try:
            call_import = calls.start_import(channel=channel, name=path.name, content=path.read_bytes(), by=by, max_bytes=0)
            guessed = dict(call_import.mapping)
            call_import = calls.set_mapping(call_import, {**guessed, **overrides}, by=by)
        except (ValidationError, PermissionDenied) as exc:
            raise _refusal(exc) from exc
        self._describe(call_import, guessed, overrides)

        call_import = calls.check(call_import, by=by, progress=self._bar(_("Checking")))
        self._failed(call_import)
        if not options["dry_run"] and call_import.good_rows:
            call_import = calls.run(call_import, by=by, progress=self._bar(_("Importing")))
            self._failed(call_import)
        self._summary(call_import, dry_run=options["dry_run"])
        if call_import.bad_rows:
            raise CommandError(
                _("%(n)s bad row(s); see above.") % {"n": len(call_import.bad_rows)}, returncode=1
            )

    def _user(self, username: str) -> Any:
        if not username:
            return None
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(_("No active user %(name)r.") % {"name": username}, returncode=2)
        return user

    def _describe(self, call_import: CallImport, guessed: dict[str, str], overrides: dict[str, str]) -> None:
        table = calls.table_of(call_import, limit=1)
        kind = call_import.file_format.upper()
        delimiter = _("delimiter")
        detail = f"{kind}, {table.encoding}, {delimiter} {table.delimiter!r}" if table.encoding else kind
        self.stdout.write(_("Reading %(file)s (%(detail)s).") % {"file": call_import.original_name, "detail": detail})
        self.stdout.write(_("Mapping (guessed from the header row unless given with --map FIELD=HEADER):"))
        width = max(len(f) for f in calls.FIELDS)
        for name in calls.FIELDS:
            header = call_import.mapping.get(name)
            if header is None:
                continue
            how = _("given") if name in overrides else _("guessed")
            self.stdout.write(f"  {name:<{width}} ← {header}  ({how})")
        missing = [f for f in calls.FIELDS if f not in call_import.mapping]
        if missing:
            self.stdout.write("  " + _("not in the file: %(fields)s") % {"fields": ", ".join(missing)})

    def _bar(self, label: str) -> calls.Progress:
        state = {"shown": -1}
        err = self.stderr

        def show(done: int, total: int) -> None:
            percent = 100 * done // total if total else 100
            if percent == state["shown"] and done != total:
                return
            state["shown"] = percent
            filled = BAR_WIDTH * percent // 100
            bar = "#" * filled + "-" * (BAR_WIDTH - filled)
            err.write(f"\r{label} [{bar}] {percent:3d}% {done}/{total}", ending="\n" if done >= total else "")
            err.flush()

        return show

    def _failed(self, call_import: CallImport) -> None:
        if call_import.status == ImportStatus.FAILED:
            raise CommandError(_("The import failed: %(error)s") % {"error": call_import.error}, returncode=2)

    def _summary(self, call_import: CallImport, *, dry_run: bool) -> None:
        bad = len(call_import.bad_rows)
        counts = {
            "total": call_import.total_rows, "good": call_import.good_rows,
            "duplicates": call_import.duplicate_rows, "bad": bad, "imported": call_import.imported_rows,
        }
        if dry_run or call_import.status == ImportStatus.CHECKED:
            if dry_run:
                self.stdout.write(_("Dry run: nothing was stored."))
            self.stdout.write(
                _("%(total)s row(s): %(good)s good, %(duplicates)s already imported, %(bad)s bad.") % counts
            )
        else:
            self.stdout.write(
                _("%(total)s row(s): %(imported)s call(s) imported, %(duplicates)s already imported, %(bad)s bad.") % counts
            )
        if bad:
            self.stdout.write(_("Bad rows:"))
            call_word, row_word = _("call"), _("row")
            for item in call_import.bad_rows:
                call = f" ({call_word} {item['call_id']})" if item.get("call_id") else ""
                self.stdout.write(f"  {row_word} {item['row']}{call}: {calls.describe(item)}")
        self.stdout.write(_("Import #%(id)s.") % {"id": call_import.pk})
