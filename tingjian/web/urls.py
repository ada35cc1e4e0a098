from django.contrib.auth.decorators import login_not_required
from django.urls import path
from django.views.generic import RedirectView
from django.views.i18n import set_language

from tingjian.web.views import imports

from .views import case_detail, cases, customers, notifications
from .views import channel_admin as channel_pages

app_name = "web"
urlpatterns = [
    path("", RedirectView.as_view(pattern_name="web:case-list", permanent=False), name="home"),
    path("cases/", cases.case_list, name="case-list"),
    path("cases/new/", cases.case_new, name="case-new"),
    path("customers/search/", cases.customer_search, name="customer-search"),
    path("cases/<str:number>/", case_detail.case_detail, name="case-detail"),
    path("cases/<str:number>/transition/", case_detail.case_transition, name="case-transition"),
    path("cases/<str:number>/update/", case_detail.case_update, name="case-update"),
    path("cases/<str:number>/reply/", case_detail.case_reply, name="case-reply"),
    path("cases/<str:number>/note/", case_detail.case_note, name="case-note"),
    path(
        "cases/<str:number>/approve-compensation/", case_detail.approve_compensation,
        name="case-approve-compensation",
    ),
    path(
        "cases/<str:number>/messages/<int:message_id>/retry/", case_detail.retry_delivery,
        name="case-retry-delivery",
    ),
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
