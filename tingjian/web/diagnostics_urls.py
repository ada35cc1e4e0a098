"""The diagnostics and per-10,000 pages' URLs, added to ``web.urls`` so their names live in the ``web`` namespace."""

from django.urls import URLPattern, path

from .views import diagnostics, rates

urlpatterns: list[URLPattern] = [
    # Complaints per 10,000 customers: figures, publishing, disputes (insights.view_insights to
    # read; insights.publish_rates, insights.dispute_rate, insights.change_denominator to act).
    path("insights/rates/", rates.rates_page, name="rates"),
    path("insights/rates/export/", rates.rates_export, name="rates-export"),
    path("insights/rates/publish/", rates.rates_publish, name="rates-publish"),
    path("insights/rates/cases/", rates.rate_cases, name="rates-cases"),
    path("insights/rates/publications/<int:pk>/branches/<int:branch_id>/dispute/", rates.dispute_new, name="rates-dispute"),
    path("insights/rates/disputes/<int:pk>/answer/", rates.dispute_answer, name="rates-dispute-answer"),
    path("insights/rates/denominators/", rates.denominators_page, name="rates-denominators"),
    path("insights/rates/denominators/import/", rates.denominators_import, name="rates-denominators-import"),
    path("insights/rates/denominators/sample.csv", rates.denominators_sample, name="rates-denominators-sample"),
    # Diagnostics: one page per question (insights.view_insights).
    path("insights/diagnostics/", diagnostics.index, name="diagnostics"),
    path("insights/diagnostics/hidden-causes/", diagnostics.cooccurrence_page, name="diagnostics-cooccurrence"),
    path("insights/diagnostics/recurrence/", diagnostics.recurrence_page, name="diagnostics-recurrence"),
    path("insights/diagnostics/topics/", diagnostics.topics_page, name="diagnostics-topics"),
    path("insights/diagnostics/surveys/", diagnostics.surveys_page, name="diagnostics-surveys"),
    path("insights/diagnostics/cases/", diagnostics.evidence_page, name="diagnostics-cases"),
]
