from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "tingjian.web"
    label = "web"
