"""`tingjian channels`: configure channels from the console (secrets never printed).

    tingjian channels add line tpe-oa --display "好食光 LINE" --set channel_secret=… --set channel_access_token=…
    tingjian channels set line tpe-oa --set channel_access_token=…   (a secret given replaces it)
    tingjian channels list | show KIND NAME | disable KIND NAME | enable KIND NAME
    tingjian channels sweep          (what the worker does every minute; for cron)
    tingjian channels rekey          (re-encrypt every channel's secrets with the first key)
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from tingjian import sealed as secrets
from tingjian.channels import services
from tingjian.channels.adapters import get_adapter
from tingjian.channels.models import Channel, Kind
from tingjian.org.models import Branch, Department


def _pairs(values: list[str]) -> dict[str, str]:
    out = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise CommandError(f"--set takes key=value, got {item!r}")
        out[key.strip()] = value
    return out


class Command(BaseCommand):
    help = "Configure channels: add, set, list, show, enable, disable; sweep; rekey."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        for action in ("add", "set"):
            p = sub.add_parser(action)
            p.add_argument("kind", choices=Kind.values)
            p.add_argument("name")
            p.add_argument("--display", default="", help="display name")
            p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a setting, by the platform's name")
            p.add_argument("--clear", action="append", default=[], metavar="KEY", help="remove a setting")
            p.add_argument("--branch", default=None, help="default branch code for new cases")
            p.add_argument("--department", default=None, help="default department code for new cases")
            p.add_argument("--sandbox", choices=["on", "off"], default=None, help="on: replies are not sent to the platform")
        sub.add_parser("list")
        for action in ("show", "enable", "disable"):
            p = sub.add_parser(action)
            p.add_argument("kind", choices=Kind.values)
            p.add_argument("name")
        p = sub.add_parser("simulate", help="post a signed message to the running server's webhook, as the platform would")
        p.add_argument("kind", choices=["line", "wechat", "messenger"])
        p.add_argument("name")
        p.add_argument("text")
        p.add_argument("--sender", default="", help="the platform's user id (default: a fixed test user)")
        sub.add_parser("sweep")
        sub.add_parser("rekey")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['action']}")(options)

    def _channel(self, options: dict[str, Any]) -> Channel:
        channel = Channel.objects.filter(kind=options["kind"], name=options["name"]).first()
        if channel is None:
            raise CommandError(f"No {options['kind']} channel named {options['name']!r}.")
        return channel

    def _org(self, model: Any, code: str | None) -> Any:
        if code in (None, ""):
            return None
        obj = model.objects.filter(code=code).first()
        if obj is None:
            raise CommandError(f"No {model._meta.verbose_name} with code {code!r}.")
        return obj

    def _add(self, options: dict[str, Any]) -> None:
        try:
            channel = services.create_channel(
                kind=options["kind"], name=options["name"], display_name=options["display"],
                values=_pairs(options["set"]), by=None, sandbox=options["sandbox"] == "on",
                branch=self._org(Branch, options["branch"]), department=self._org(Department, options["department"]),
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(f"Added {channel}.")
        self._where(channel)

    def _set(self, options: dict[str, Any]) -> None:
        channel = self._channel(options)
        fields: dict[str, Any] = {}
        if options["display"]:
            fields["display_name"] = options["display"]
        if options["sandbox"] is not None:
            fields["sandbox"] = options["sandbox"] == "on"
        if options["branch"] is not None:
            fields["branch"] = self._org(Branch, options["branch"])
        if options["department"] is not None:
            fields["department"] = self._org(Department, options["department"])
        try:
            services.update_channel(channel, by=None, values=_pairs(options["set"]), clear=options["clear"], **fields)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(f"Updated {channel}.")

    def _where(self, channel: Channel) -> None:
        if get_adapter(channel.kind).has_webhook:
            self.stdout.write(f"Webhook URL (paste it into the platform's console): {services.webhook_url(channel)}")

    def _list(self, options: dict[str, Any]) -> None:
        for channel in Channel.objects.all():
            state = "active" if channel.is_active else "disabled"
            sandbox = ", sandbox" if channel.sandbox else ""
            self.stdout.write(f"{channel.kind:10} {channel.name:24} {state}{sandbox}  {channel.display_name}")

    def _show(self, options: dict[str, Any]) -> None:
        channel = self._channel(options)
        adapter = get_adapter(channel.kind)
        stored = secrets.unseal(channel.secrets_encrypted)
        self.stdout.write(f"{channel} ({'active' if channel.is_active else 'disabled'})")
        for key in adapter.config_keys + services.COMMON_KEYS:
            if key in channel.config:
                self.stdout.write(f"  {key} = {channel.config[key]}")
        for key in adapter.secret_keys:
            self.stdout.write(f"  {key} = {'(set)' if stored.get(key) else '(not set)'}")
        self.stdout.write(f"  refused requests: {channel.rejected_requests}")
        self._where(channel)

    def _enable(self, options: dict[str, Any]) -> None:
        services.update_channel(self._channel(options), by=None, is_active=True)
        self.stdout.write("Enabled.")

    def _disable(self, options: dict[str, Any]) -> None:
        services.update_channel(self._channel(options), by=None, is_active=False)
        self.stdout.write("Disabled: its webhook answers 404 and nothing is sent through it.")

    def _simulate(self, options: dict[str, Any]) -> None:
        import httpx
        from django.conf import settings

        from tingjian.channels.simulate import text_message

        channel = self._channel(options)
        sender = options["sender"] or {"line": "U" + "7" * 32, "wechat": "oSimulated0000000000000000", "messenger": "7000000000000001"}[channel.kind]
        request = text_message(channel.kind, services.channel_config(channel), sender=sender, text=options["text"])
        url = settings.TINGJIAN_PUBLIC_URL + request.path(channel.kind, channel.name)
        try:
            response = httpx.post(url, content=request.body, headers={**request.headers, "Content-Type": request.content_type}, timeout=10)
        except httpx.HTTPError as exc:
            raise CommandError(f"Could not reach {settings.TINGJIAN_PUBLIC_URL} ({type(exc).__name__}); is `make run` serving?") from exc
        self.stdout.write(f"{response.status_code} {response.text[:80]!r} from {url.split('?')[0]}")
        if response.status_code == 200:
            self.stdout.write("Stored; the worker files it within a second or two — see the case list.")

    def _sweep(self, options: dict[str, Any]) -> None:
        from tingjian.channels.pipeline import periodic_work

        self.stdout.write(periodic_work())

    def _rekey(self, options: dict[str, Any]) -> None:
        with transaction.atomic():
            channels = list(Channel.objects.select_for_update())
            for channel in channels:
                channel.secrets_encrypted = secrets.rotate(channel.secrets_encrypted)
                state = dict(channel.state or {})
                if state.get("sealed"):
                    state["sealed"] = secrets.rotate(state["sealed"])
                channel.state = state
                channel.save(update_fields=["secrets_encrypted", "state"])
        self.stdout.write(f"Re-encrypted the secrets of {len(channels)} channel(s) with the first key.")
