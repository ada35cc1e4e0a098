"""The knowledge pages' URLs, added to ``web.urls`` (``urlpatterns += knowledge_urls.urlpatterns``)
so their names live in the ``web`` namespace: ``web:knowledge-list`` and so on."""

from django.urls import path

from .views import knowledge

urlpatterns = [
    path("knowledge/", knowledge.knowledge_list, name="knowledge-list"),
    path("knowledge/articles/new/", knowledge.article_new, name="knowledge-article-new"),
    path("knowledge/articles/<int:pk>/", knowledge.article_detail, name="knowledge-article"),
    path("knowledge/articles/<int:pk>/edit/", knowledge.article_edit, name="knowledge-article-edit"),
    path("knowledge/articles/<int:pk>/publish/", knowledge.article_publish, name="knowledge-article-publish"),
    path("knowledge/templates/", knowledge.template_list, name="knowledge-templates"),
    path("knowledge/templates/new/", knowledge.template_new, name="knowledge-template-new"),
    path("knowledge/templates/preview/", knowledge.template_preview, name="knowledge-template-preview"),
    path("knowledge/templates/<int:pk>/edit/", knowledge.template_edit, name="knowledge-template-edit"),
    path("knowledge/templates/<int:pk>/active/", knowledge.template_active, name="knowledge-template-active"),
    # The case page's "Insert" buttons (htmx): the reply box with the template added.
    path("knowledge/templates/<int:pk>/use/", knowledge.template_use, name="knowledge-template-use"),
]
