"""API tokens: issued once, stored as a hash, refused when revoked, malformed or inactive."""

from __future__ import annotations

import hashlib
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from tingjian.api import services
from tingjian.api.models import ApiToken
from tingjian.audit.models import AuditEvent

from .conftest import ApiClient, assert_problem

pytestmark = pytest.mark.django_db


def test_token_create_command_prints_the_token_once_and_stores_only_its_hash(users: dict[str, Any]) -> None:
    out = StringIO()
    call_command("token", "create", "agent", "--name", "CRM sync", stdout=out, stderr=StringIO())
    plaintext = out.getvalue().strip()
    token = ApiToken.objects.get(user=users["agent"])
    assert plaintext.startswith(token.prefix + "_")
    assert token.name == "CRM sync"
    assert token.secret_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    assert plaintext not in str(list(ApiToken.objects.values()))
    assert AuditEvent.objects.filter(action="api_token.created", object_id=str(token.pk)).exists()


def test_token_list_shows_prefixes_never_secrets(users: dict[str, Any]) -> None:
    issued = services.create_token(users["agent"], name="bot", by=None)
    out = StringIO()
    call_command("token", "list", "agent", stdout=out)
    assert issued.token.prefix in out.getvalue()
    assert issued.plaintext not in out.getvalue()


def test_token_revoke_command_refuses_the_token_afterwards_and_is_audited(users: dict[str, Any]) -> None:
    issued = services.create_token(users["agent"], by=None)
    client = ApiClient(issued.plaintext)
    assert client.get("/cases").status_code == 200

    call_command("token", "revoke", issued.token.prefix, stdout=StringIO())

    assert_problem(client.get("/cases"), 401, "unauthorized")
    issued.token.refresh_from_db()
    assert issued.token.revoked_at is not None
    assert AuditEvent.objects.filter(action="api_token.revoked", object_id=str(issued.token.pk)).exists()


def test_inactive_user_cannot_be_issued_a_token(users: dict[str, Any]) -> None:
    users["agent"].is_active = False
    users["agent"].save()
    with pytest.raises(Exception, match="inactive"):
        services.create_token(users["agent"], by=None)


def test_token_of_a_deactivated_user_is_refused(users: dict[str, Any]) -> None:
    issued = services.create_token(users["agent"], by=None)
    users["agent"].is_active = False
    users["agent"].save()
    assert_problem(ApiClient(issued.plaintext).get("/cases"), 401)


def test_missing_token_is_401_problem(anonymous: ApiClient, users: dict[str, Any]) -> None:
    response = anonymous.get("/cases")
    assert_problem(response, 401, "unauthorized")
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "make_header",
    [
        lambda t: "Bearer garbage",
        lambda t: "Bearer " + t.replace("tj_", "xx_", 1),  # wrong scheme prefix
        lambda t: "Bearer " + t[:-5],  # truncated
        lambda t: "Bearer " + t[:-1] + ("A" if t[-1] != "A" else "B"),  # right shape, wrong secret
        lambda t: "Basic " + t,
        lambda t: "Bearer",
    ],
    ids=["garbage", "wrong-prefix", "truncated", "wrong-secret", "basic-scheme", "empty"],
)
def test_malformed_or_wrong_token_is_401_problem(users: dict[str, Any], make_header: Any) -> None:
    issued = services.create_token(users["agent"], by=None)
    client = ApiClient(None)
    response = client.get("/cases", Authorization=make_header(issued.plaintext))
    assert_problem(response, 401, "unauthorized")


def test_a_used_token_records_when_it_was_last_used(api_as: Any, users: dict[str, Any]) -> None:
    api_as("agent").get("/cases")
    assert ApiToken.objects.get(user=users["agent"]).last_used_at is not None


def test_token_auth_needs_no_csrf_token(users: dict[str, Any], customer: Any) -> None:
    issued = services.create_token(users["agent"], by=None)
    client = ApiClient(issued.plaintext)
    client.client = type(client.client)(enforce_csrf_checks=True)
    response = client.post("/cases", {"customer": customer.pk, "subject": "S", "channel": "phone", "body": "B"})
    assert response.status_code == 201, response.content
