from django.contrib.auth import views as auth_views
from django.urls import path

app_name = "web"
urlpatterns = [
    path("cases/<str:number>/", auth_views.LoginView.as_view(), name="case-detail"),
    path("cases/", auth_views.LoginView.as_view(), name="case-list"),
]
