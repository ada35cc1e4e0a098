from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "tingjian.audit"
    label = "audit"
    verbose_name = "Audit"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group
        from django.contrib.auth.signals import user_login_failed
        from django.db.models.signals import m2m_changed

        from . import receivers

        user_model = get_user_model()
        user_login_failed.connect(receivers.login_failed, dispatch_uid="audit.login_failed")
        m2m_changed.connect(
            receivers.groups_changed, sender=user_model.groups.through, dispatch_uid="audit.groups"
        )
        m2m_changed.connect(
            receivers.permissions_changed,
            sender=user_model.user_permissions.through,
            dispatch_uid="audit.user_perms",
        )
        m2m_changed.connect(
            receivers.permissions_changed,
            sender=Group.permissions.through,
            dispatch_uid="audit.group_perms",
        )
