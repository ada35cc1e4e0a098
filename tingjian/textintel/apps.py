from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _train_first_models(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    """Fit and save the first models from the repository's labelled set when a database has
    none, so no web request or ingest task ever pays for fitting (a few seconds) on its
    first classification: each process then only reads the saved parameters."""
    from .learning import train
    from .models import TrainedModel

    if not TrainedModel.objects.using(using).exists():
        train()


class TextintelConfig(AppConfig):
    name = "tingjian.textintel"
    label = "textintel"
    verbose_name = _("Text intelligence")

    def ready(self) -> None:
        post_migrate.connect(_train_first_models, sender=self, dispatch_uid="textintel-first-models")
