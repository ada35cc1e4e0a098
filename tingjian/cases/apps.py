from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "tingjian.cases"
    label = "cases"
