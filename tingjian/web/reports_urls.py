"""The reports pages' URLs, added to ``web.urls`` so their names live in the ``web`` namespace."""

from django.urls import URLPattern, path

from .views import reports

urlpatterns: list[URLPattern] = [
    path("reports/", reports.report_list, name="report-list"),
    path("reports/preview/", reports.report_preview, name="report-preview"),
    path("reports/schedules/", reports.schedule_list, name="report-schedules"),
    path("reports/schedules/<int:pk>/", reports.schedule_edit, name="report-schedule"),
    path("reports/schedules/<int:pk>/deactivate/", reports.schedule_deactivate, name="report-schedule-deactivate"),
    path("reports/<int:pk>/", reports.report_detail, name="report-detail"),
    path("reports/<int:pk>/pdf/", reports.report_pdf, name="report-pdf"),
    path("reports/<int:pk>/export/<str:table>.<str:fmt>", reports.report_export, name="report-export"),
]
