from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Operational commands (the task worker) and the worker's heartbeat."""

    name = "tingjian.ops"
    label = "ops"
