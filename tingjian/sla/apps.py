from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "tingjian.sla"
    label = "sla"
    verbose_name = _("Service levels")

    def ready(self) -> None:
        # The calendar services tell the clock engine of a change through a hook list rather
        # than by importing it (see calendars.on_calendar_changed).
        from tingjian.alerts import services as alerts

        from . import calendars, services, timers

        if services.calendar_changed not in calendars.on_calendar_changed:
            calendars.on_calendar_changed.append(services.calendar_changed)
        if timers.alert_acknowledged not in alerts.on_acknowledged:
            alerts.on_acknowledged.append(timers.alert_acknowledged)
