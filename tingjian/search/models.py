"""The search index: one row per searchable thing, beside the database's full-text index.

A row keeps the original title and text (shown, highlighted, in the script the customer
wrote) and their index tokens (``title_terms``, ``terms``: see ``analysis``). The full-text
index over the tokens is the backend's own and is not a Django field: an FTS5 table kept in
step by triggers on SQLite, a generated ``tsvector`` column with a GIN index on PostgreSQL
(migration 0002). Case rows also carry the case's filter fields, so that a filtered search,
its facets and its count read this one table; they are rewritten whenever the case changes
(``cases.indexing``). What a user may see is never taken from these copies: it is checked
against the cases themselves at query time.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    CASE = "case", _("Case")
    CUSTOMER = "customer", _("Customer")
    ARTICLE = "article", _("Knowledge article")


class Entry(models.Model):
    kind = models.CharField(max_length=10, choices=Kind.choices)
    ref = models.BigIntegerField(help_text="The primary key of the case, customer or article.")
    title = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True)
    title_terms = models.TextField(blank=True)
    terms = models.TextField(blank=True)
    # When the thing happened (a case's opening); ranking prefers recent things.
    at = models.DateTimeField()
    # A case's filter fields (empty for other kinds).
    stage = models.CharField(max_length=20, blank=True)
    severity = models.PositiveSmallIntegerField(null=True)
    department_id = models.BigIntegerField(null=True)
    branch_id = models.BigIntegerField(null=True)
    channel = models.CharField(max_length=20, blank=True)
    category_id = models.BigIntegerField(null=True)
    assignee_id = models.BigIntegerField(null=True)
    indexed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "ref"], name="search_entry_kind_ref")]
        # One index per filter the search page offers (date range: "at").
        indexes = [
            models.Index(fields=["kind", "at"], name="search_kind_at"),
            models.Index(fields=["stage"], name="search_stage"),
            models.Index(fields=["severity"], name="search_severity"),
            models.Index(fields=["department_id"], name="search_department"),
            models.Index(fields=["branch_id"], name="search_branch"),
            models.Index(fields=["channel"], name="search_channel"),
            models.Index(fields=["category_id"], name="search_category"),
            models.Index(fields=["assignee_id"], name="search_assignee"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.ref}"
