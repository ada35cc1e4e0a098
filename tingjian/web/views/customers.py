"""A customer across channels: their page, merging two customers, undoing a merge."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tingjian.cases import selectors as case_selectors
from tingjian.cases.merging import merge_customers, unmerge_customers
from tingjian.cases.models import Attachment
from tingjian.cases.permissions import can_view
from tingjian.customers import selectors, services
from tingjian.customers.models import Customer, CustomerMerge, MatchSuggestion

from ..forms import CustomerMergeForm, UndoMergeForm
from ..service_errors import add_to_form, as_text

PER_PAGE = 30
MATCHES = 10
# Served inline; anything else is a download, so a crafted file never runs in our origin.
INLINE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp"}


def _customer(request: HttpRequest, customer_id: int) -> Customer:
    if not request.user.has_perm("customers.view_customer"):
        raise PermissionDenied(_("You may not see customers."))
    customer = selectors.customers().filter(pk=customer_id).first()
    if customer is None:
        merged = Customer.objects.filter(pk=customer_id, merged_into__isnull=False).first()
        if merged is not None:  # an old link to a merged customer leads to where they live now
            return _customer(request, merged.merged_into_id or 0)
        raise Http404(_("No such customer."))
    return customer


@require_GET
def customer_detail(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = _customer(request, customer_id)
    if customer.pk != customer_id:
        return redirect("web:customer-detail", customer.pk)
    timeline = Paginator(case_selectors.customer_messages(request.user, customer.pk), PER_PAGE).get_page(request.GET.get("page"))
    find = (request.GET.get("find") or "").strip()[:100]
    may_merge = request.user.has_perm("customers.change_customer")
    # Another customer to merge with, by name or phone (the same search as the new-case form).
    others = list(selectors.search_customers(find).exclude(pk=customer.pk)[:MATCHES]) if find and may_merge else []
    return render(request, "web/customers/detail.html", {
        "customer": customer,
        "identities": list(customer.identities.all()),
        "cases": case_selectors.cases_of_customer(request.user, customer.pk)[:50],
        "timeline": timeline,
        "suggestions": selectors.suggestions_with_other(customer),
        "merges": list(selectors.merges_of(customer)),
        "may_merge": may_merge,
        "undo_form": UndoMergeForm(),
        "find": find,
        "others": others,
    })


@require_http_methods(["GET", "POST"])
def customer_merge(request: HttpRequest, customer_id: int, other_id: int) -> HttpResponse:
    """Compare two customers side by side; merge ``other`` into ``customer`` with a reason."""
    customer, other = _customer(request, customer_id), _customer(request, other_id)
    form = CustomerMergeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                merge_customers(customer, other, by=request.user, why=form.cleaned_data["why"])
            except ValidationError as exc:
                add_to_form(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("%(other)s is now part of %(customer)s. The merge can be undone on this page.")
                                 % {"other": other.display_name, "customer": customer.display_name})
                return redirect("web:customer-detail", customer.pk)
        status = 422
    suggestion = MatchSuggestion.objects.filter(customer__in=[customer, other], candidate__in=[customer, other], status="open").first()
    return render(request, "web/customers/merge.html", {
        "customer": customer, "other": other, "form": form, "suggestion": suggestion,
        "sides": [
            (c, list(c.identities.all()), case_selectors.cases_of_customer(request.user, c.pk)[:10])
            for c in (customer, other)
        ],
    }, status=status)


@require_POST
def merge_undo(request: HttpRequest, merge_id: int) -> HttpResponse:
    merge = CustomerMerge.objects.select_related("survivor").filter(pk=merge_id).first()
    if merge is None:
        raise Http404(_("No such merge."))
    form = UndoMergeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the merge is undone, in at least ten characters."))
    else:
        try:
            unmerge_customers(merge, by=request.user, why=form.cleaned_data["why"])
        except ValidationError as exc:
            messages.error(request, as_text(exc))
        except PermissionDenied as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The merge is undone: identities and cases are back where they were."))
    return redirect("web:customer-detail", merge.survivor_id)


@require_POST
def suggestion_dismiss(request: HttpRequest, suggestion_id: int) -> HttpResponse:
    suggestion = MatchSuggestion.objects.filter(pk=suggestion_id).first()
    if suggestion is None:
        raise Http404(_("No such suggestion."))
    try:
        services.dismiss_suggestion(suggestion, by=request.user)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Noted: not the same person. This pair will not be suggested again."))
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(back)
    return redirect("web:customer-detail", suggestion.customer_id)


@require_GET
def attachment(request: HttpRequest, attachment_id: int) -> FileResponse:
    """A message's file, to whoever may see its case (404 otherwise, never a hint)."""
    item = Attachment.objects.select_related("message__case").filter(pk=attachment_id).first()
    if item is None or not item.file or not can_view(request.user, item.message.case):
        raise Http404(_("No such file."))
    inline = item.content_type in INLINE_TYPES
    response = FileResponse(item.file.open("rb"), as_attachment=not inline, filename=item.filename or f"attachment-{item.pk}",
                            content_type=item.content_type if inline else "application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
