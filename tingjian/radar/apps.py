from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RadarConfig(AppConfig):
    name = "tingjian.radar"
    label = "radar"
    verbose_name = _("Crisis radar")
