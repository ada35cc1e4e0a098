from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Operational commands (the task worker); no models."""

    name = "tingjian.ops"
    label = "ops"
