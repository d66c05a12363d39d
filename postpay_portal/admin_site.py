"""Pieces the operator portal's admin modules share: the mode of the current request, the
generic confirmation page, and how a domain error reaches the operator (STYLE §4)."""

import re
from html import unescape

from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core import signing
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from postpay_portal.errors import DomainError
from settings_app.selectors import postpay_settings_get

admin.site.site_header = "Postpay Portal — operator portal"
admin.site.site_title = "Postpay Portal"
admin.site.index_title = "Operator portal"

FORM_PAGE_TEMPLATE = "admin/postpay/form_page.html"


def _with_home(index):
    """The index with what waits and the reader's recent decisions (``admin_home``)."""

    def home(request, extra_context=None):
        from .admin_home import home_context

        return index(request, extra_context={**home_context(request), **(extra_context or {})})

    return home


admin.site.index = _with_home(admin.site.index)


class ReadOnlyAdminMixin:
    """A list and pages to read, with no add, change or delete form: these rows are written by
    the services alone (an order by ``order_place``, an operation by the gate, an audit entry
    or an event by the unit of work); the writes a page offers are its actions."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class FastActionCheckboxMixin:
    """The changelist's selection checkbox as Django renders it, without Django's form widget
    template, rendered once per row, weighed on every big list (decision 99). The HTML is the
    same."""

    def action_checkbox(self, obj):
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            admin.helpers.ACTION_CHECKBOX_NAME,
            str(obj.pk),
            format_html(gettext("Select this object for an action - {}"), str(obj)),
        )


# Where a long compound word may wrap and still read as its parts: after a joint character
# (snake_case, a path, a query, an e-mail, a host) or before the capital of a CamelCase part.
WORD_JOINT = re.compile(r"(?<=[_/?&=@.:,;-])(?=[^\s_/?&=@.:,;-])|(?<=[a-z0-9])(?=[A-Z][a-z])")
LONG_WORD = 16  # shorter words (codes, dates, usernames, ordinary words) never wrap inside
# Codes are kept whole: an event id (evt_…), a stored name or value (postpaid_permission_mode,
# order.status_changed).
IDENTIFIER = re.compile(r"[a-z]{2,5}_[0-9A-Z]{16,}|[a-z][a-z0-9]*(?:[._][a-z0-9]+)+")


def breakable(text):
    """``text``, escaped, with ``<wbr>`` at the joints of its long compound words
    ("VandelayIndustries<wbr>International", "CLOUDFLEX_<wbr>ENTERPRISE", a URL after each
    "/"): a list column wraps such a name between its parts rather than push the columns after
    it out of sight, and never breaks a part or a shorter word inside (``overflow-wrap`` would
    break "postpay_permission" letter by letter)."""
    if text is None:
        return ""
    pieces = []
    for word in re.split(r"(\s+)", str(text)):
        if len(word) > LONG_WORD and not IDENTIFIER.fullmatch(word.rstrip(",;:.")):
            pieces.append("<wbr>".join(escape(part) for part in WORD_JOINT.split(word)))
        else:
            pieces.append(escape(word))
    return mark_safe("".join(pieces))


_TAG = re.compile(r"(<[^>]*>)")
_LONG = re.compile(rf"\S{{{LONG_WORD + 1},}}")


def breakable_html(html):
    """``breakable`` on the text of an HTML fragment (a list cell as the admin renders it),
    never inside a tag, an attribute or a ``<code>``."""
    html = str(html)
    if not _LONG.search(html):
        return mark_safe(html)
    pieces = _TAG.split(html)
    in_code = False
    for index, piece in enumerate(pieces):
        if index % 2:  # a tag; what a <code> holds is a code, kept whole
            in_code = piece.startswith("<code") or (in_code and not piece.startswith("</code"))
        elif not in_code and _LONG.search(piece):
            pieces[index] = breakable(unescape(piece))
    return mark_safe("".join(pieces))


def link_if_viewable(request, perm, url_name, pk, text):
    """``text`` linked to the object's page when the reader holds ``perm`` (its view
    permission), else plain: a link that answers 403 helps nobody."""
    if not request.user.has_perm(perm):
        return text
    return format_html('<a href="{}">{}</a>', reverse(url_name, args=[pk]), text)


def user_html(request, user):
    """A login by its username, linked to its page for a reader who may view logins."""
    if user is None:
        return "—"
    return link_if_viewable(request, "accounts.view_user", "admin:accounts_user_change", user.pk, user.get_username())


class AccountFilter(admin.SimpleListFilter):
    """The objects of one account, as an account page's "all …" links open them
    (``?account=<id>``). Offered only for the account in the URL: a choice among every
    account would list them all."""

    title = "account"
    parameter_name = "account"

    def lookups(self, request, model_admin):
        from accounts.models import Account

        value = self.value()
        if value and value.isdigit():
            name = Account.objects.filter(pk=int(value)).values_list("name", flat=True).first()
            if name is not None:
                return [(value, name)]
        return []

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        return queryset.filter(account_id=int(value)) if value.isdigit() else queryset.none()


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


SELECTION_FIELD = "signed_selection"
# A confirmation page older than this is shown again rather than decided: what it listed may
# no longer be what the manager would approve.
SELECTION_MAX_AGE_SECONDS = 60 * 60
SELECTION_SHOWN = 200  # rows listed on a confirmation page; the rest are counted


class BulkTable:
    """What a confirmation page lists for each object (R18): ``columns`` and ``rows(ids)``,
    the cells of the objects with those ids in that order, read with a fixed number of queries."""

    columns: tuple = ()

    def rows(self, ids):
        raise NotImplementedError


def _selection_salt(request, model_admin):
    """Per list, per action and per login: a signed selection cannot be replayed by another
    manager, nor for another action or list."""
    action = request.POST.get("action", "")
    return f"postpay_portal.bulk_selection:{model_admin.opts.label_lower}:{action}:{request.user.pk}"


def _current_selection(request, model_admin, queryset, order_by):
    """The ids the action would decide now: every row matching the list's filters for "select
    all N matching", else the ticked rows the operator may see, whatever the list's filters say
    now (an operation decided meanwhile is still one the manager selected: it is listed, then
    skipped with who decided it)."""
    if request.POST.get("select_across", "0") == "1":
        rows = queryset
    else:
        ticked = request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME)
        rows = model_admin.get_queryset(request).filter(pk__in=[pk for pk in ticked if str(pk).isdigit()])
    return list(rows.order_by(*order_by).values_list("pk", flat=True))


def bulk_confirmation(
    request,
    model_admin,
    queryset,
    *,
    order_by,
    form_class,
    title,
    submit_label,
    intro,
    table,
    danger=False,
):
    """The confirmation page of a bulk action (R18, R36b): ``(form, ids, None)`` once
    confirmed, else ``(None, None, the page)``.

    The page decides exactly the objects it showed: their ids travel signed
    (``django.core.signing``, salted per list, action and login) in one field, so "select all
    N matching" needs no thousands of fields (DATA_UPLOAD_MAX_NUMBER_FIELDS) and is not read
    again from the filters on confirmation. On confirmation, a selection that now holds an
    object the page did not show (an operation opened meanwhile), a signature that does not
    verify, or a page older than ``SELECTION_MAX_AGE_SECONDS`` decides nothing: the page is
    shown again with the current selection. Objects the page showed that left the list (decided
    in another tab) are still passed on, for the service to decide or refuse (R14: who, when).
    ``title`` may hold ``{n}``, the number of objects.
    """
    current = _current_selection(request, model_admin, queryset, order_by)
    salt = _selection_salt(request, model_admin)
    problem = ""
    form = form_class(request.POST if "confirm" in request.POST else None)
    if "confirm" in request.POST:
        try:
            signed = signing.loads(request.POST.get(SELECTION_FIELD, ""), salt=salt, max_age=SELECTION_MAX_AGE_SECONDS)
        except signing.SignatureExpired:
            problem = (
                "This confirmation page is more than an hour old, so nothing was done: review the selection again."
            )
        except signing.BadSignature:
            problem = (
                "The selection on this confirmation page could not be verified, so nothing was done: review it again."
            )
        else:
            shown = set(signed)
            added = [pk for pk in current if pk not in shown]
            if added:
                problem = (
                    "The selection changed since this page was shown, so nothing was done: "
                    + ", ".join(f"#{pk}" for pk in added[:20])
                    + ("…" if len(added) > 20 else "")
                    + " matched the list meanwhile. Review the selection again."
                )
            elif form.is_valid():
                return form, signed, None
    hidden = [
        ("action", request.POST.get("action", "")),
        ("select_across", request.POST.get("select_across", "0")),
        ("index", request.POST.get("index", "0")),
        (SELECTION_FIELD, signing.dumps(current, salt=salt, compress=True)),
    ]
    # Django routes the confirmation back to the action only with a selection; "all N matching"
    # carries one id for that, the ticked rows carry themselves.
    carried = current[:1] if request.POST.get("select_across", "0") == "1" else current
    hidden += [(admin.helpers.ACTION_CHECKBOX_NAME, pk) for pk in carried]
    shown = current[:SELECTION_SHOWN]
    page = form_page(
        request,
        model_admin,
        title=title.format(n=len(current)),
        form=form,
        submit_label=submit_label,
        submit_class="postpay-danger" if danger else "default",
        hidden=hidden,
        error=problem,
        cancel_url=reverse(f"admin:{model_admin.opts.app_label}_{model_admin.opts.model_name}_changelist"),
        intro=intro,
        table={"columns": table.columns, "rows": table.rows(shown), "more": len(current) - len(shown)},
    )
    return None, None, page


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
    submit_class="default",
    error="",
    table=None,
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
        "submit_class": submit_class,
        "error": error,
        "table": table,
        "cancel_url": cancel_url,
        "object": obj,
        "object_url": object_url,
    }
    return TemplateResponse(request, FORM_PAGE_TEMPLATE, context)


class CappedCountPaginator(Paginator):
    """An operator list counts its matching rows up to ``CAP`` and says "more than" beyond.

    Django's changelist counts every row its filters match on each page (a ``COUNT(*)``
    that ``show_full_result_count = False`` does not skip), which at a million rows costs
    more than the page (decision 100). Counting stops at ``CAP + 1``; the pages beyond stay
    reachable by ``?p=``
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
    from other pages): two resolves per row (decision 99). A row's link is always its
    change page, so the filters
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
