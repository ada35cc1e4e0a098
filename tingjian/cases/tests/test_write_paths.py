"""No write path goes around the engine: the admin, commands and settings defaults."""

from __future__ import annotations

import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from tingjian.cases.models import Case, PolicyVersion, Stage

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(users: dict[str, Any]) -> Any:
    admin = users["admin"]
    admin.is_staff = admin.is_superuser = True
    admin.save()
    return admin


def test_admin_shows_a_case_but_cannot_change_it(client: Any, superuser: Any, open_case: Any) -> None:
    case = open_case()
    client.force_login(superuser)
    page = client.get(f"/admin/cases/case/{case.pk}/change/")
    assert page.status_code == 200 and case.number in page.content.decode()
    assert b'name="_save"' not in page.content
    client.post(f"/admin/cases/case/{case.pk}/change/", {"stage": "closed", "subject": "x"})
    assert Case.objects.get(pk=case.pk).stage == Stage.INTAKE
    assert client.post(f"/admin/cases/case/{case.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Case.objects.filter(pk=case.pk).exists()


def test_policy_command_loads_a_new_version_once(tmp_path: Path, open_case: Any) -> None:
    open_case()  # loads version 1
    source = Path(__file__).resolve().parents[3] / "policies" / "default.toml"
    changed = tmp_path / "stricter.toml"
    changed.write_text(source.read_text(encoding="utf-8").replace("override_daily_limit = 3", "override_daily_limit = 1"), encoding="utf-8")
    out = StringIO()
    call_command("policy", "load", str(changed), stdout=out)
    assert "version 2" in out.getvalue()
    call_command("policy", "load", str(changed), stdout=out)
    assert "already loaded as version 2" in out.getvalue()
    assert PolicyVersion.objects.count() == 2


def test_policy_command_refuses_a_broken_file_with_every_reason(tmp_path: Path, db: Any) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text('name = "x"\n[[transitions]]\nid = "a"\nfrom = ["intake"]\nto = "nowhere"\nroles = ["agent"]\n')
    with pytest.raises(CommandError) as exc:
        call_command("policy", "load", str(broken))
    assert "nowhere" in str(exc.value) and "qa_checklist" in str(exc.value)
    not_toml = tmp_path / "not.toml"
    not_toml.write_text("name = [unclosed")
    with pytest.raises(CommandError, match="not valid TOML"):
        call_command("policy", "load", str(not_toml))


def test_production_refuses_to_start_without_a_secret_key(tmp_path: Path) -> None:
    env = {"TINGJIAN_DEBUG": "0", "TINGJIAN_ALLOWED_HOSTS": "example.com", "TINGJIAN_VAR_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-c", "import tingjian.settings"], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0 and "TINGJIAN_SECRET_KEY must be set" in result.stderr
