"""Errors as RFC 9457 problem details, translated once at the edge (STYLE rule 5).

Every domain error and every framework error the API can meet maps to one problem type
here; endpoints raise and never build error responses themselves.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from tingjian.cases.errors import TransitionRefused

logger = logging.getLogger(__name__)

CONTENT_TYPE = "application/problem+json"
TYPE_BASE = "https://tingjian.dev/problems/"


def problem(
    request: HttpRequest | None,
    status: int,
    kind: str,
    title: str,
    detail: str = "",
    **extensions: Any,
) -> HttpResponse:
    body: dict[str, Any] = {"type": TYPE_BASE + kind, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if request is not None:
        body["instance"] = request.path
    body.update(extensions)
    response = HttpResponse(
        json.dumps(body, cls=DjangoJSONEncoder, ensure_ascii=False),
        status=status,
        content_type=f"{CONTENT_TYPE}; charset=utf-8",
    )
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="tingjian"'
    return response


def not_found(request: HttpRequest | None) -> HttpResponse:
    # One answer for "no such case" and "not yours to see": never hint a case exists.
    return problem(request, 404, "not-found", _("Not found"), _("Nothing here, or nothing you may see."))


def _field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    """`("body", "payload", "fields", "subject")` → `"fields.subject"`.

    Ninja prefixes the parameter source and, for a body, the parameter's name; every
    endpoint names its body parameter ``payload`` so both can be dropped here.
    """
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie", "form", "file"}:
        parts = parts[1:]
    if parts and parts[0] == "payload":
        parts = parts[1:]
    return ".".join(parts)


_PYDANTIC_MESSAGES = {
    # The schema forbids unknown keys; a forged read-only key such as `stage` lands here.
    "extra_forbidden": lambda: _("Unknown or read-only field."),
    "missing": lambda: _("This field is required."),
}


def validation_failed(
    request: HttpRequest, errors: list[dict[str, str]], detail: str = ""
) -> HttpResponse:
    return problem(
        request, 422, "validation-error", _("The request is not valid"),
        detail or _("Correct the fields listed in `errors` and send it again."), errors=errors,
    )


def _pydantic_errors(exc: NinjaValidationError) -> list[dict[str, str]]:
    out = []
    for error in exc.errors:
        message = _PYDANTIC_MESSAGES.get(str(error.get("type")))
        out.append({
            "field": _field_name(error.get("loc", ())),
            "detail": message() if message else str(error.get("msg", "")),
            "code": str(error.get("type", "invalid")),
        })
    return out


def _django_errors(exc: DjangoValidationError) -> list[dict[str, str]]:
    if hasattr(exc, "error_dict"):
        return [
            {"field": "" if field == "__all__" else field, "detail": message, "code": "invalid"}
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
    return [{"field": "", "detail": message, "code": "invalid"} for message in exc.messages]


def transition_refused(request: HttpRequest, exc: TransitionRefused) -> HttpResponse:
    # `exc.message` is lazy: str() renders it in the language LocaleMiddleware chose.
    return problem(
        request, 409, "transition-refused", _("Transition refused"), str(exc.message),
        code=exc.code, case=exc.case_number, transition=exc.transition,
        failed_guards=[g.as_dict() for g in exc.failed_guards],
    )


def install(api: NinjaAPI) -> None:
    """Replace ninja's default handlers: every error leaves as problem+json."""

    def on_validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        return validation_failed(request, _pydantic_errors(exc))

    def on_domain_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        return validation_failed(request, _django_errors(exc))

    def on_authentication(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return problem(
            request, 401, "unauthorized", _("Authentication required"),
            _("Send a valid API token: `Authorization: Bearer <token>`."),
        )

    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 400:
            return problem(request, 400, "malformed-request", _("Malformed request"),
                           _("The request body is not valid JSON."))
        return problem(request, exc.status_code, "http-error", str(exc), str(exc))

    def on_not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
        return not_found(request)

    def on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return problem(request, 403, "forbidden", _("Forbidden"),
                       str(exc) or _("You may not do this."))

    def on_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return problem(request, 413, "payload-too-large", _("Request too large"),
                       _("The request body is larger than the server accepts."))

    def on_transition_refused(request: HttpRequest, exc: TransitionRefused) -> HttpResponse:
        return transition_refused(request, exc)

    def on_anything_else(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("API error on %s %s", request.method, request.path)
        return problem(request, 500, "server-error", _("Server error"),
                       _("Something went wrong on our side; it has been logged."))

    handlers: list[tuple[type[Exception], Callable[..., HttpResponse]]] = [
        (NinjaValidationError, on_validation),
        (DjangoValidationError, on_domain_validation),
        (AuthenticationError, on_authentication),
        (HttpError, on_http_error),
        (Http404, on_not_found),
        (ObjectDoesNotExist, on_not_found),
        (PermissionDenied, on_permission_denied),
        (RequestDataTooBig, on_too_big),
        (TransitionRefused, on_transition_refused),
        (Exception, on_anything_else),
    ]
    for exc_class, handler in handlers:
        api.add_exception_handler(exc_class, handler)


PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details.",
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "description": "422 only: one entry per invalid field",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "detail": {"type": "string"}, "code": {"type": "string"}},
            },
        },
        "code": {"type": "string", "description": "409 only: why the engine refused"},
        "failed_guards": {
            "type": "array",
            "description": "409 only: the unmet exit criteria",
            "items": {
                "type": "object",
                "properties": {
                    "guard": {"type": "string"}, "requirement": {"type": "string"},
                    "met": {"type": "boolean"}, "hard": {"type": "boolean"},
                },
            },
        },
    },
}
_COMMON = {
    "400": "Malformed JSON body", "401": "Missing, malformed or revoked token",
    "403": "Not permitted for your role", "404": "Not found, or not visible to you",
    "422": "Invalid input, per field",
}


def document(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the problem responses every operation can give to the OpenAPI document."""
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    ref = {"content": {CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
    for path, operations in schema.get("paths", {}).items():
        for operation in operations.values():
            codes = dict(_COMMON)
            if path.endswith("/transitions"):
                codes["409"] = "Transition refused; see `code` and `failed_guards`"
            responses = operation.setdefault("responses", {})
            for code, description in codes.items():
                responses.setdefault(code, {"description": description, **ref})
    return schema
