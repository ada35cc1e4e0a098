"""REST API v1: one NinjaAPI that collects the routers each app declares in its ``api.py``.

This package owns only the shared machinery (token auth, the problem+json error format,
the docs page); what a case or a customer looks like over HTTP lives in that app's
``api.py`` (STYLE rule 7).
"""

from __future__ import annotations

from typing import Any

from ninja import NinjaAPI
from ninja.openapi.schema import OpenAPISchema

from tingjian.alerts import api as alerts_api
from tingjian.cases import api as cases_api
from tingjian.cases import api_search
from tingjian.channels import api as channels_api
from tingjian.customers import api as customers_api
from tingjian.insights import api as insights_api
from tingjian.insights import api_rates as insights_rates_api
from tingjian.knowledge import api as knowledge_api
from tingjian.radar import api as radar_api
from tingjian.surveys import api as surveys_api

from . import problems
from .auth import BearerToken
from .docs import LocalSwagger


class TingjianAPI(NinjaAPI):
    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        problems.document(schema)
        return schema


api = TingjianAPI(
    title="Tingjian API",
    version="1",
    description=(
        "Cases and customers of Tingjian (聽見). Authenticate with "
        "`Authorization: Bearer <token>` (issue one with `tingjian token create USER`). "
        "Errors are RFC 9457 `application/problem+json`."
    ),
    urls_namespace="api-v1",
    auth=BearerToken(),
    docs=LocalSwagger(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)
problems.install(api)

api.add_router("/cases", cases_api.router, tags=["cases"])
api.add_router("/customers", customers_api.router, tags=["customers"])
# The customer detail lists the customer's cases; customers may not import cases (layering),
# so the cases app contributes that endpoint under /customers.
api.add_router("/customers", cases_api.customer_router, tags=["customers"])
api.add_router("/cases", channels_api.case_router, tags=["cases"])
api.add_router("/intake", channels_api.router, tags=["intake"])
api.add_router("/alerts", alerts_api.router, tags=["alerts"])
api.add_router("/knowledge", knowledge_api.router, tags=["knowledge"])
api.add_router("/search", api_search.router, tags=["search"])
api.add_router("/insights", insights_api.router, tags=["insights"])
# Per-10,000 figures and the diagnostics tables, written beside the KPIs (insights.api_rates).
api.add_router("/insights", insights_rates_api.router, tags=["insights"])
api.add_router("/radar", radar_api.router, tags=["radar"])
api.add_router("/surveys", surveys_api.router, tags=["surveys"])
