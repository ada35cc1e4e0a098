from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "tingjian.demo"
    label = "demo"
