"""The surveys pages' URLs, added to ``web.urls`` so their names live in the ``web`` namespace.

The staff pages come first: ``surveys/<token>/`` would otherwise take "follow-ups" for a token.
"""

from django.urls import URLPattern, path

from .views import surveys

urlpatterns: list[URLPattern] = [
    path("surveys/follow-ups/", surveys.follow_ups, name="survey-follow-ups"),
    path("surveys/follow-ups/<int:pk>/take/", surveys.follow_up_take, name="survey-follow-up-take"),
    path("surveys/follow-ups/<int:pk>/resolve/", surveys.follow_up_resolve, name="survey-follow-up-resolve"),
    path("surveys/answers/", surveys.answer_list, name="survey-answers"),
    # The customer's page (no login): rate with one tap, then optionally more.
    path("surveys/<str:token>/", surveys.survey, name="survey"),
    path("surveys/<str:token>/more/", surveys.survey_more, name="survey-more"),
]
