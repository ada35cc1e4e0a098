from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "tingjian.api"
    label = "api"
