"""The worker's heartbeat: one row per periodic job, so one chain of its tasks runs at a time."""

from __future__ import annotations

from django.db import models


class Heartbeat(models.Model):
    name = models.CharField(max_length=60, primary_key=True)
    due_at = models.DateTimeField()
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_result = models.CharField(max_length=300, blank=True)

    def __str__(self) -> str:
        return f"{self.name} due {self.due_at:%H:%M:%S}"
