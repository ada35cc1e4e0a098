"""`tingjian textintel train` and `tingjian textintel evaluate`."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from tingjian.textintel.models import TrainedModel

pytestmark = pytest.mark.django_db



@pytest.fixture(autouse=True)
def _no_saved_models(db: Any) -> None:
    # ``migrate`` saved version 1 of each model (textintel.apps); these tests count versions
    # from an empty table, as on a database that never trained.
    TrainedModel.objects.all().delete()


def _run(*args: str) -> str:
    out = StringIO()
    call_command("textintel", *args, stdout=out)
    return out.getvalue()


def test_evaluate_prints_a_table_per_label_and_saves_nothing() -> None:
    output = _run("evaluate", "--task", "sentiment", "--seed", "2")
    assert "sentiment (held-out split, seed 2)" in output
    rows = {line.split()[0]: line.split() for line in output.splitlines() if line.strip()}
    for label in ("negative", "neutral", "positive"):
        assert len(rows[label]) == 5 and all(0 <= float(value) <= 1 for value in rows[label][1:4])
    assert rows["macro"][:2] == ["macro", "avg"]
    assert "held-out examples" in output
    assert not TrainedModel.objects.exists()


def test_evaluate_safety_shows_the_lexicon_alone_for_comparison() -> None:
    output = _run("evaluate", "--task", "safety")
    assert "safety (held-out split, seed 0)" in output
    assert "lexicon alone" in output


def test_train_saves_a_version_and_prints_its_held_out_scores() -> None:
    output = _run("train", "--task", "urgency")
    assert "urgency: saved version 1" in output
    assert "repository + 0 agent examples" in output
    assert "macro avg" in output
    assert TrainedModel.objects.filter(task="urgency", version=1).exists()


def test_a_test_size_outside_zero_and_one_is_refused() -> None:
    with pytest.raises(CommandError, match="between 0 and 1"):
        _run("evaluate", "--test-size", "1.5")
