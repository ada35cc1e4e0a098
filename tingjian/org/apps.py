from typing import Any

from django.apps import AppConfig


def _sync_roles(sender: Any, **kwargs: Any) -> None:
    # Permissions are created by Django's own post_migrate handler; the role groups are
    # synced right after it, so every migrated database (tests included) has the roles.
    from .services import sync_roles

    sync_roles()


class OrgConfig(AppConfig):
    name = "tingjian.org"
    label = "org"
    verbose_name = "Organisation"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        post_migrate.connect(_sync_roles, dispatch_uid="org.sync_roles")
