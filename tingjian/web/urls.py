from django.contrib.auth.decorators import login_not_required
from django.urls import path
from django.views.generic import RedirectView
from django.views.i18n import set_language

from tingjian.web.views import imports

from . import (
    diagnostics_urls,
    insights_urls,
    knowledge_urls,
    radar_urls,
    reports_urls,
    surveys_urls,
)
from .views import (
    assist,
    case_detail,
    cases,
    customers,
    dashboard,
    dictionary,
    notifications,
    search,
    sla,
    sla_admin,
)
from .views import channel_admin as channel_pages

app_name = "web"
urlpatterns = [
    path("", RedirectView.as_view(pattern_name="web:case-list", permanent=False), name="home"),
    path("cases/", cases.case_list, name="case-list"),
    # The manager dashboard (insights.view_insights); the other insights pages are in insights_urls.
    path("insights/", dashboard.dashboard, name="insights-dashboard"),
    path("search/", search.search_page, name="search"),
    path("search/suggest/", search.suggest, name="search-suggest"),
    # Administrators' domain dictionary (textintel.change_domainword).
    path("dictionary/", dictionary.word_list, name="dictionary"),
    path("dictionary/<int:pk>/", dictionary.word_edit, name="dictionary-word"),
    path("dictionary/<int:pk>/active/", dictionary.word_active, name="dictionary-word-active"),
    path("cases/new/", cases.case_new, name="case-new"),
    path("customers/search/", cases.customer_search, name="customer-search"),
    path("cases/<str:number>/", case_detail.case_detail, name="case-detail"),
    path("cases/<str:number>/transition/", case_detail.case_transition, name="case-transition"),
    path("cases/<str:number>/update/", case_detail.case_update, name="case-update"),
    path("cases/<str:number>/reply/", case_detail.case_reply, name="case-reply"),
    path("cases/<str:number>/note/", case_detail.case_note, name="case-note"),
    path("cases/<str:number>/assist/", assist.case_assist, name="case-assist"),
    path("cases/<str:number>/use-category/", assist.use_category, name="case-use-category"),
    path(
        "cases/<str:number>/approve-compensation/", case_detail.approve_compensation,
        name="case-approve-compensation",
    ),
    path(
        "cases/<str:number>/messages/<int:message_id>/retry/", case_detail.retry_delivery,
        name="case-retry-delivery",
    ),
    # SLA (issue 4): a case's waiting and clocks, the boards (sla.view_clock; escalations for
    # managers, executives and administrators) and the administrators' editors.
    path("cases/<str:number>/waiting/", case_detail.case_waiting, name="case-waiting"),
    path("cases/<str:number>/safety-request/", case_detail.safety_downgrade_request, name="case-safety-request"),
    path(
        "cases/<str:number>/clocks/<int:clock_id>/acknowledge/", case_detail.acknowledge_clock,
        name="case-clock-acknowledge",
    ),
    path("sla/at-risk/", sla.at_risk, name="sla-at-risk"),
    path("sla/escalations/", sla.escalations, name="sla-escalations"),
    path("sla/", sla_admin.sla_admin, name="sla-admin"),
    path("sla/targets/", sla_admin.target_list, name="sla-admin-targets"),
    path("sla/targets/new/", sla_admin.target_new, name="sla-admin-target-new"),
    path("sla/targets/<int:pk>/", sla_admin.target_edit, name="sla-admin-target"),
    path("sla/targets/<int:pk>/delete/", sla_admin.target_delete, name="sla-admin-target-delete"),
    path("sla/calendars/", sla_admin.calendar_list, name="sla-admin-calendars"),
    path("sla/calendars/<int:pk>/", sla_admin.calendar_detail, name="sla-admin-calendar"),
    path("sla/calendars/<int:pk>/hours/", sla_admin.calendar_hours, name="sla-admin-calendar-hours"),
    path("sla/calendars/<int:pk>/holidays/", sla_admin.calendar_holidays, name="sla-admin-calendar-holidays"),
    path("sla/calendars/<int:pk>/holidays/import/", sla_admin.calendar_import, name="sla-admin-calendar-import"),
    path("sla/calendars/<int:pk>/branches/", sla_admin.calendar_branch, name="sla-admin-calendar-branch"),
    path("sla/settings/", sla_admin.settings_edit, name="sla-admin-settings"),
    path("customers/<int:customer_id>/", customers.customer_detail, name="customer-detail"),
    path("customers/<int:customer_id>/merge/<int:other_id>/", customers.customer_merge, name="customer-merge"),
    path("customers/merges/<int:merge_id>/undo/", customers.merge_undo, name="merge-undo"),
    path("customers/suggestions/<int:suggestion_id>/dismiss/", customers.suggestion_dismiss, name="suggestion-dismiss"),
    path("attachments/<int:attachment_id>/", customers.attachment, name="attachment"),
    # Django's own set_language, open before login too so the login page can switch language.
    path("language/", login_not_required(set_language), name="set-language"),
    path("notifications/", notifications.notification_list, name="notifications"),
    path("notifications/bell/", notifications.bell, name="notifications-bell"),
    path("notifications/read/", notifications.mark_read, name="notifications-read"),
    path("notifications/<int:pk>/acknowledge/", notifications.acknowledge, name="notifications-acknowledge"),
    path("notifications/ack/<str:token>/", notifications.acknowledge_link, name="notifications-ack"),
    path("notifications/preferences/", notifications.preferences, name="notification-preferences"),
    # Administrators' outgoing webhooks (alerts.manage_webhooks).
    path("notifications/webhooks/", notifications.webhook_list, name="webhook-list"),
    path("notifications/webhooks/new/", notifications.webhook_new, name="webhook-new"),
    path("notifications/webhooks/<int:pk>/deactivate/", notifications.webhook_deactivate, name="webhook-deactivate"),
    path("notifications/webhooks/<int:pk>/test/", notifications.webhook_test, name="webhook-test"),
    path("notifications/webhooks/deliveries/", notifications.webhook_deliveries, name="webhook-deliveries"),
    path("notifications/webhooks/deliveries/<int:pk>/retry/", notifications.webhook_retry, name="webhook-retry"),
    path("imports/", imports.import_list, name="import-list"),
    path("imports/new/", imports.import_new, name="import-new"),
    path("imports/<int:pk>/", imports.import_detail, name="import-detail"),
    path("imports/<int:pk>/check/", imports.import_check, name="import-check"),
    path("imports/<int:pk>/run/", imports.import_run, name="import-run"),
    path("imports/<int:pk>/progress/", imports.import_progress, name="import-progress"),
    # Administrators' channel pages (channels.manage_channels).
    path("channels/", channel_pages.channel_list, name="channel-list"),
    path("channels/new/", channel_pages.channel_new, name="channel-new"),
    path("channels/<int:pk>/edit/", channel_pages.channel_edit, name="channel-edit"),
    path("channels/events/", channel_pages.event_list, name="channel-events"),
    path("channels/events/<int:pk>/", channel_pages.event_detail, name="channel-event"),
    path("channels/events/<int:pk>/requeue/", channel_pages.event_requeue, name="channel-event-requeue"),
    path("channels/quarantine/", channel_pages.quarantine_list, name="channel-quarantine"),
    path("channels/quarantine/<int:pk>/", channel_pages.quarantine_detail, name="channel-quarantined"),
]
urlpatterns += knowledge_urls.urlpatterns
urlpatterns += insights_urls.urlpatterns
urlpatterns += diagnostics_urls.urlpatterns
urlpatterns += radar_urls.urlpatterns
urlpatterns += surveys_urls.urlpatterns
urlpatterns += reports_urls.urlpatterns
