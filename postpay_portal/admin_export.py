"""CSV export of an operator list (django-import-export), from an "Export CSV" button on the
list page.

- The rows are the list's: its filters, its search, its order and its defaults (the queue
  opens on its open operations, R17), read through the changelist the page itself builds.
- The columns are the list's (``get_list_display``: the accounts list shows its permission
  column only while the mode is Manually, R26), headed by the list's own labels; each value
  comes from the list's ``export_resource_class``: statuses and types by their operator
  labels (R6, R14, R20), users by username, times as ``YYYY-MM-DD HH:MM:SS`` in the
  installation's time zone.
- Who may: whoever may see the list (its view permission); anyone else gets 403.
- Safe to open: a cell a spreadsheet would run as a formula — one that starts with ``=``,
  ``+``, ``-``, ``@``, a tab or a carriage return (OWASP, "CSV injection") — is prefixed
  with ``'``.
- Bounded memory: rows are read with ``QuerySet.iterator(chunk_size=...)`` (the resource's
  ``iter_queryset``) and written by a ``StreamingHttpResponse`` a few hundred at a time, so a
  list of a million rows is never held at once.
"""

import csv

from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import label_for_field
from django.contrib.admin.views.main import ERROR_FLAG
from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from import_export import resources, widgets
from import_export.admin import ExportMixin
from import_export.fields import Field
from import_export.formats.base_formats import CSV

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
CHUNK_SIZE = 2000  # rows per database fetch
ROWS_PER_WRITE = 500  # rows per piece of the response


def neutralise(value):
    """A cell as text that no spreadsheet runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


class DateTimeWidget(widgets.Widget):
    def render(self, value, obj=None, **kwargs):
        return timezone.localtime(value).strftime(DATETIME_FORMAT) if value else ""


def datetime_field(attribute):
    return Field(attribute=attribute, widget=DateTimeWidget())


def label_field(attribute):
    """A field with choices, as its operator label (``get_<field>_display``)."""
    return Field(attribute=f"get_{attribute}_display")


class ListExportResource(resources.Resource):
    """The values of an operator list's columns: one field per ``list_display`` name."""

    class Meta:
        chunk_size = CHUNK_SIZE


class _Line:
    """``csv.writer`` hands each row to ``write``; this returns it to the caller."""

    def write(self, line):
        return line


def _reader(resource, name, field):
    """What ``resource.export_field`` calls for this column, looked up once, not once a cell."""
    method = field.get_dehydrate_method(name)
    if not callable(method):
        method = getattr(resource, method, None)
    return method or field.export


def csv_lines(resource, columns, queryset):
    """The file, a piece at a time: a BOM (spreadsheets then read UTF-8), the header, the rows."""
    writer = csv.writer(_Line())
    yield "\ufeff" + writer.writerow([neutralise(label) for label, _, _ in columns])
    readers = [_reader(resource, name, field) for _, name, field in columns]
    lines = []
    for obj in resource.iter_queryset(queryset):
        lines.append(writer.writerow([neutralise(read(obj)) for read in readers]))
        if len(lines) == ROWS_PER_WRITE:
            yield "".join(lines)
            lines = []
    if lines:
        yield "".join(lines)


class ListCsvExportMixin(ExportMixin):
    """An operator list's "Export CSV" (see the module's docstring). Set
    ``export_resource_class`` to a ``ListExportResource`` with a field per list column."""

    export_resource_class = None
    import_export_change_list_template = "admin/postpay/change_list_export.html"

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    def get_export_resource_classes(self, request):
        return [self.export_resource_class]

    def get_export_columns(self, request, resource):
        """``(label, name, field)`` of each list column, as the list heads it."""
        return [
            (capfirst(str(label_for_field(name, self.model, model_admin=self))), name, resource.fields[name])
            for name in self.get_list_display(request)
            if name in resource.fields
        ]

    def export_action(self, request):
        if not self.has_export_permission(request):
            raise PermissionDenied
        try:
            queryset = self.get_export_queryset(request)
        except IncorrectLookupParameters:  # as the list answers a filter it cannot apply
            changelist = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
            return redirect(f"{changelist}?{ERROR_FLAG}=1")
        resource = self.export_resource_class()
        columns = self.get_export_columns(request, resource)
        response = StreamingHttpResponse(csv_lines(resource, columns, queryset), content_type="text/csv; charset=utf-8")
        filename = self.get_export_filename(request, queryset, CSV())
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
