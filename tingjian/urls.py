from django.contrib import admin
from django.urls import include, path

from tingjian.channels.views import webhook
from tingjian.ops.views import healthz
from tingjian.web.views.auth import LoginView, LogoutView
from tingjian.web.views.public import complaint_form, complaint_status

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("tingjian.api.urls")),
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("hooks/<slug:kind>/<slug:name>/", webhook, name="webhook"),
    path("complain/<slug:name>/", complaint_form, name="public-complaint"),
    path("complain/<slug:name>/status/<slug:token>/", complaint_status, name="public-complaint-status"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("tingjian.web.urls")),
]
