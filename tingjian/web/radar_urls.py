"""The radar pages' URLs, added to ``web.urls`` so their names live in the ``web`` namespace."""

from django.urls import URLPattern, path

from .views import radar

urlpatterns: list[URLPattern] = [
    # Crisis radar (issue 6): radar.view_radar; acknowledging and closing need
    # radar.receive_crisis_alerts.
    path("radar/", radar.crises, name="radar"),
    path("radar/crises/<int:pk>/acknowledge/", radar.acknowledge, name="radar-acknowledge"),
    path("radar/crises/<int:pk>/close/", radar.close, name="radar-close"),
    path("radar/unanswered/", radar.unanswered, name="radar-unanswered"),
    path("radar/risk/", radar.risk, name="radar-risk"),
]
