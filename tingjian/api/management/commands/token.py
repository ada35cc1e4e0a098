"""`tingjian token create USER [--name NAME]`, `tingjian token list [USER]`, `tingjian token revoke PREFIX`."""

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tingjian.api import selectors, services
from tingjian.api.models import ApiToken


def _user(username: str) -> Any:
    try:
        return get_user_model().objects.get(username=username)
    except get_user_model().DoesNotExist as exc:
        raise CommandError(f"No user {username!r}.") from exc


class Command(BaseCommand):
    help = "API tokens: create (the token is printed once), list, revoke."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="issue a token for USER and print it once")
        create.add_argument("user")
        create.add_argument("--name", default="", help="what the token is for, e.g. 'CRM sync'")
        listing = sub.add_parser("list", help="list tokens (prefixes only), of USER or of everyone")
        listing.add_argument("user", nargs="?", default=None)
        revoke = sub.add_parser("revoke", help="revoke the token with this prefix")
        revoke.add_argument("prefix")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['action']}")(options)

    def _create(self, options: dict[str, Any]) -> None:
        user = _user(options["user"])
        try:
            issued = services.create_token(user, name=options["name"], by=None)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(issued.plaintext)
        self.stderr.write(
            f"Token {issued.token.prefix} for {user.get_username()}: store it now, it is not shown again."
        )

    def _list(self, options: dict[str, Any]) -> None:
        user = _user(options["user"]) if options["user"] else None
        for t in selectors.tokens(user):
            state = f"revoked {t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "active"
            used = f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never"
            self.stdout.write(
                f"{t.prefix}  {t.user.get_username()}  {t.name or '-'}  "
                f"created {t.created_at:%Y-%m-%d %H:%M}  last used {used}  {state}"
            )

    def _revoke(self, options: dict[str, Any]) -> None:
        try:
            token = selectors.token_by_prefix(options["prefix"])
        except ApiToken.DoesNotExist as exc:
            raise CommandError(f"No token with prefix {options['prefix']!r}.") from exc
        if token.revoked_at is not None:
            self.stdout.write(f"{token.prefix} was already revoked; nothing changed.")
            return
        services.revoke_token(token, by=None)
        self.stdout.write(self.style.SUCCESS(f"Revoked {token.prefix} of {token.user.get_username()}."))
