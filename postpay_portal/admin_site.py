"""Pieces the operator portal's admin modules share: the mode of the current request, the
generic confirmation page, and how a domain error reaches the operator (STYLE §4)."""

from django.contrib import admin, messages
from django.template.response import TemplateResponse

from postpay_portal.errors import DomainError
from settings_app.selectors import postpay_settings_get

admin.site.site_header = "Postpay Portal — operator portal"
admin.site.site_title = "Postpay Portal"
admin.site.index_title = "Operator portal"

FORM_PAGE_TEMPLATE = "admin/postpay/form_page.html"


def request_is_manual(request):
    """R26: is the mode Manually? Read once per request (list_display, list_filter and the
    form all ask)."""
    if not hasattr(request, "_postpay_is_manual"):
        request._postpay_is_manual = postpay_settings_get().is_manual
    return request._postpay_is_manual


def report_domain_error(request, error):
    """A refusal reaches the operator as a message, never as a 500 (STYLE §4)."""
    messages.error(request, error.detail)


def apply_each(action, ids):
    """A bulk action (R18): call ``action(pk)`` for each id on its own, so that one refusal
    does not stop the rest. Returns the ids done, and ``(id, refusal detail)`` of the rest."""
    done, skipped = [], []
    for pk in ids:
        try:
            action(pk)
        except DomainError as error:
            skipped.append((pk, error.detail))
        else:
            done.append(pk)
    return done, skipped


def form_errors_from(form, error):
    """Put an ``invalid`` error's fields on the form; anything else becomes a form error."""
    fields = getattr(error, "fields", None) or {}
    placed = False
    for field, problems in fields.items():
        if field in form.fields:
            for problem in problems:
                form.add_error(field, problem)
            placed = True
    if not placed:
        form.add_error(None, error.detail)


def form_page(request, model_admin, *, title, cancel_url, form=None, intro="", extra_html="",
              hidden=(), submit_label="Confirm", submit_name="confirm", obj=None, object_url=""):
    """Render the portal's one confirmation/form page inside the admin layout."""
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": title,
        "form": form,
        "intro": intro,
        "extra_html": extra_html,
        "hidden": list(hidden),
        "submit_label": submit_label,
        "submit_name": submit_name,
        "cancel_url": cancel_url,
        "object": obj,
        "object_url": object_url,
    }
    return TemplateResponse(request, FORM_PAGE_TEMPLATE, context)
