from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "tingjian.alerts"
    label = "alerts"
