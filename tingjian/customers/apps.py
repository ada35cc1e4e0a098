from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "tingjian.customers"
    label = "customers"
