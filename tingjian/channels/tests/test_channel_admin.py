"""Configuring channels: secrets encrypted at rest, never shown again, keys checked."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command

from tingjian import sealed as secrets
from tingjian.audit.models import AuditEvent
from tingjian.channels import services
from tingjian.channels.models import Channel

pytestmark = pytest.mark.django_db
SECRET = "s3cret-channel-secret-value"


def run(*args: str) -> str:
    out = StringIO()
    call_command("channels", *args, stdout=out)
    return out.getvalue()


def test_adding_a_channel_prints_its_webhook_url_and_never_its_secrets(settings: Any) -> None:
    settings.TINGJIAN_PUBLIC_URL = "https://cs.example.com"
    printed = run("add", "line", "tpe-oa", "--display", "好食光 LINE", "--set", f"channel_secret={SECRET}",
                  "--set", "channel_access_token=tok-123")
    assert "https://cs.example.com/hooks/line/tpe-oa/" in printed and SECRET not in printed
    shown = run("show", "line", "tpe-oa")
    assert "channel_secret = (set)" in shown and SECRET not in shown
    channel = Channel.objects.get()
    assert SECRET not in channel.secrets_encrypted and SECRET not in str(channel.config)
    assert secrets.unseal(channel.secrets_encrypted)["channel_secret"] == SECRET
    assert SECRET not in str(list(AuditEvent.objects.values_list("before", "after", "summary")))


def test_an_unknown_setting_is_refused_with_the_known_ones_listed() -> None:
    with pytest.raises(CommandError, match="channel_secret"):
        run("add", "line", "oa", "--set", "chanel_secret=typo", "--set", "channel_access_token=t")
    assert not Channel.objects.exists()


def test_a_secret_left_out_of_an_update_is_kept_and_one_given_replaces_it() -> None:
    channel = services.create_channel(kind="line", name="oa", values={"channel_secret": "old", "channel_access_token": "t1"}, by=None)
    services.update_channel(channel, by=None, values={"channel_access_token": "t2"})
    kept = secrets.unseal(Channel.objects.get().secrets_encrypted)
    assert kept == {"channel_secret": "old", "channel_access_token": "t2"}


def test_only_administrators_configure_channels(users: dict[str, Any]) -> None:
    with pytest.raises(PermissionDenied):
        services.create_channel(kind="line", name="oa", values={}, by=users["manager"])
    assert services.create_channel(kind="api", name="crm", values={}, by=users["admin"]).pk


def test_two_channels_of_one_kind_need_two_names() -> None:
    services.create_channel(kind="api", name="crm", by=None)
    with pytest.raises(ValidationError):
        services.create_channel(kind="api", name="crm", by=None)


def test_rekey_moves_secrets_to_a_new_key_so_the_old_one_can_be_retired(settings: Any) -> None:
    from cryptography.fernet import Fernet

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()

    def use(keys: str) -> None:
        settings.TINGJIAN_ENCRYPTION_KEYS = keys.split(",")
        secrets._fernet.cache_clear()

    use(old)
    services.create_channel(kind="line", name="oa", values={"channel_secret": SECRET, "channel_access_token": "t"}, by=None)
    use(new)
    with pytest.raises(secrets.SecretsUnreadable):
        secrets.unseal(Channel.objects.get().secrets_encrypted)
    use(f"{new},{old}")
    run("rekey")
    use(new)
    assert secrets.unseal(Channel.objects.get().secrets_encrypted)["channel_secret"] == SECRET
    secrets._fernet.cache_clear()


def test_disabling_a_channel_makes_its_webhook_404(client: Any) -> None:
    services.create_channel(kind="line", name="oa", values={"channel_secret": "x", "channel_access_token": "t"}, by=None)
    run("disable", "line", "oa")
    assert client.post("/hooks/line/oa/", b"{}", content_type="application/json").status_code == 404


def test_production_refuses_to_start_without_an_encryption_key(tmp_path: Any) -> None:
    import subprocess
    import sys

    env = {"TINGJIAN_DEBUG": "0", "TINGJIAN_ALLOWED_HOSTS": "example.com", "TINGJIAN_SECRET_KEY": "x" * 50,
           "TINGJIAN_VAR_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-c", "import tingjian.settings"], env=env, capture_output=True, text=True, check=False)
    assert result.returncode != 0 and "TINGJIAN_ENCRYPTION_KEYS must be set" in result.stderr
    assert not (tmp_path / "encryption_key").exists()


def test_platform_calls_never_log_their_urls_with_tokens() -> None:
    import logging

    # httpx logs "HTTP Request: GET https://…?access_token=…" at INFO.
    assert logging.getLogger("httpx").getEffectiveLevel() >= logging.WARNING
    assert logging.getLogger("httpcore").getEffectiveLevel() >= logging.WARNING


def test_behind_a_trusted_proxy_the_client_is_the_address_the_proxy_added(settings: Any) -> None:
    meta = {"REMOTE_ADDR": "10.0.0.5", "HTTP_X_FORWARDED_FOR": "6.6.6.6, 203.0.113.9"}
    assert services.client_address(meta) == "10.0.0.5"  # trusts no header by default
    settings.TINGJIAN_TRUSTED_PROXIES = 1
    assert services.client_address(meta) == "203.0.113.9"  # not the forged left-most entry
    assert services.client_address({"REMOTE_ADDR": "10.0.0.5"}) == "10.0.0.5"
