from django.contrib import admin
from django.urls import include, path

from tingjian.channels.views import webhook
from tingjian.web.views.auth import LoginView, LogoutView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("tingjian.api.urls")),
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("hooks/<slug:kind>/<slug:name>/", webhook, name="webhook"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("tingjian.web.urls")),
]
