"""Pieces the operator portal's admin modules share: the mode of the current request, the
generic confirmation page, and how a domain error reaches the operator (STYLE §4)."""

from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext

from postpay_portal.errors import DomainError
from settings_app.selectors import postpay_settings_get

admin.site.site_header = "Postpay Portal — operator portal"
admin.site.site_title = "Postpay Portal"
admin.site.index_title = "Operator portal"

FORM_PAGE_TEMPLATE = "admin/postpay/form_page.html"


class FastActionCheckboxMixin:
    """The changelist's selection checkbox as Django renders it, without Django's form widget
    template: rendering that template once per row was a fifth of a 50-row operator list's
    time in the profiler (issue 11, item 7). The HTML is the same."""

    def action_checkbox(self, obj):
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            admin.helpers.ACTION_CHECKBOX_NAME,
            str(obj.pk),
            format_html(gettext("Select this object for an action - {}"), str(obj)),
        )


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


def bulk_summary(request, done, skipped, *, done_text, noun):
    """R18's summary of a bulk action: ``done_text`` (with ``{n}``) and the ids done, then how
    many ``noun`` were skipped, each with why."""
    if done:
        messages.success(request, done_text.format(n=len(done)) + ": " + ", ".join(f"#{pk}" for pk in done) + ".")
    if skipped:
        messages.warning(
            request, f"Skipped {len(skipped)} {noun}: " + "; ".join(f"#{pk}: {why}" for pk, why in skipped)
        )


def bulk_outcome(done, refused):
    """A bulk service's ``(objects done, (id, refusal) of the rest)`` as ``apply_each`` returns
    it: the ids done and ``(id, refusal detail)``."""
    return [obj.pk for obj in done], [(pk, error.detail) for pk, error in refused]


def bulk_confirmation(request, model_admin, ids, *, form_class, title, submit_label, intro):
    """The confirmation page of a bulk action (R18, R36b): ``(form, None)`` once confirmed with
    a valid form, else ``(None, the page)``. "All N matching" is re-read from the filters in
    the URL by the action, so the page carries one id (Django wants a selection), not
    thousands of fields (DATA_UPLOAD_MAX_NUMBER_FIELDS)."""
    form = form_class(request.POST if "confirm" in request.POST else None)
    if "confirm" in request.POST and form.is_valid():
        return form, None
    select_across = request.POST.get("select_across", "0")
    hidden = [
        ("action", request.POST.get("action", "")),
        ("select_across", select_across),
        ("index", request.POST.get("index", "0")),
    ]
    carried = ids[:1] if select_across == "1" else ids
    hidden += [(admin.helpers.ACTION_CHECKBOX_NAME, pk) for pk in carried]
    listed = ", ".join(f"#{pk}" for pk in ids[:200]) + ("…" if len(ids) > 200 else "")
    page = form_page(
        request,
        model_admin,
        title=title,
        form=form,
        submit_label=submit_label,
        hidden=hidden,
        cancel_url=reverse(f"admin:{model_admin.opts.app_label}_{model_admin.opts.model_name}_changelist"),
        intro=f"{intro} {listed}",
    )
    return None, page


def service_form_page(request, model_admin, form, perform, done, **page):
    """A small operator form whose submit is one service call (STYLE §4): ``perform(data)``
    calls the service with the form's cleaned data; a refusal comes back on the form, never as
    a 500. ``done(result)`` returns the success message and the URL to go to. Anything else
    renders the page (``form_page``'s keywords)."""
    if request.method == "POST" and form.is_valid():
        try:
            result = perform(form.cleaned_data)
        except DomainError as error:
            form_errors_from(form, error)
        else:
            message, url = done(result)
            messages.success(request, message)
            return redirect(url)
    return form_page(request, model_admin, form=form, **page)


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


def form_page(
    request,
    model_admin,
    *,
    title,
    cancel_url,
    form=None,
    intro="",
    extra_html="",
    hidden=(),
    submit_label="Confirm",
    submit_name="confirm",
    obj=None,
    object_url="",
):
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


class CappedCountPaginator(Paginator):
    """An operator list counts its matching rows up to ``CAP`` and says "more than" beyond.

    Django's changelist counts every row its filters match on each page (a ``COUNT(*)``
    that ``show_full_result_count = False`` does not skip): 90 to 175 ms over the million
    accounts or decided operations, several hundred over millions of orders (issue 11,
    item 7). Counting stops at ``CAP + 1``; the pages beyond stay reachable by ``?p=``
    only through narrower filters or a search. The REST API still counts exactly
    (CONTRACT §4).
    """

    CAP = 10_000

    @cached_property
    def count(self):
        counted = self.object_list.order_by().values("pk")[: self.CAP + 1].count()
        self.capped = counted > self.CAP
        return min(counted, self.CAP)

    capped = False


class RowLinksChangeList(ChangeList):
    """Row links that keep the list's filters, built without ``resolve()``.

    Django's changelist adds the preserved filters to each row's link through the
    ``add_preserved_filters`` tag, which resolves the link's URL (to tell the changelist
    from other pages): two resolves per row, a sixth of a filtered 50-row list's time in
    the profiler (issue 11 item 7). A row's link is always its change page, so the filters
    are appended here as the tag would (``?_changelist_filters=…``), and the tag, seeing no
    filters on the changelist, does nothing.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.row_link_filters, self.preserved_filters = self.preserved_filters, ""

    def url_for_result(self, result):
        url = super().url_for_result(result)
        return f"{url}?{self.row_link_filters}" if self.row_link_filters else url


class CappedCountMixin:
    """Operator lists over big tables: ``CappedCountPaginator`` and ``RowLinksChangeList``."""

    paginator = CappedCountPaginator

    def get_changelist(self, request, **kwargs):
        return RowLinksChangeList
