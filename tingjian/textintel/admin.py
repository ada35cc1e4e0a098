"""The admin shows the dictionary, agents' labels and trained models, and changes none of them.

Dictionary words change through ``dictionary.add_word`` / ``update_word`` (the web editor),
which validate them and tell the tokenizer; labels and models come from ``learning``. A
model's parameters (thousands of numbers) are left out of the pages.
"""


from django.contrib import admin

from tingjian.readonly_admin import ReadOnlyAdmin

from .models import DomainWord, TrainedModel, TrainingExample


@admin.register(DomainWord)
class DomainWordAdmin(ReadOnlyAdmin):
    list_display = ["word", "kind", "synonyms", "is_active", "updated_at", "updated_by"]
    list_filter = ["kind", "is_active"]
    search_fields = ["word", "normalised", "synonyms"]


@admin.register(TrainingExample)
class TrainingExampleAdmin(ReadOnlyAdmin):
    list_display = ["task", "label", "predicted_label", "source", "ref", "created_at"]
    list_filter = ["task", "source"]
    search_fields = ["text", "ref"]


@admin.register(TrainedModel)
class TrainedModelAdmin(ReadOnlyAdmin):
    list_display = ["task", "version", "trained_at", "repo_examples", "agent_examples", "seed"]
    list_filter = ["task"]
    exclude = ["params"]
