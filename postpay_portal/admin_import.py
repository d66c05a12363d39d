"""CSV imports in the operator portal (R36c): where an upload waits between its dry run and
its confirmation, and how big it may be.

django-import-export keeps the upload in a file and names that file in the confirmation form;
by default any file directly under the system temp directory can be named there, and is read,
imported and deleted. Here an upload waits in a folder of its own (``IMPORT_UPLOAD_DIR``); the
form carries only a random token, and the file's name on disk joins that token to a keyed hash
of the operator's login and session (``upload_owner``). A token of another login or session,
or any other name, finds no file: the confirmation is refused before anything is read or
deleted. An upload over ``IMPORT_MAX_UPLOAD_BYTES`` is refused; an upload is removed once
imported, when its dry run or its confirmation fails, and, abandoned, after
``IMPORT_UPLOAD_MAX_AGE_SECONDS``.
"""

import os
import re
import time
import uuid
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.shortcuts import redirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_POST
from import_export.admin import ImportMixin
from import_export.forms import ConfirmImportForm, ImportForm
from import_export.tmp_storages import BaseStorage

TOKEN = re.compile(r"[0-9a-f]{32}")
OWNER_SALT = "postpay_portal.admin_import.upload_owner"
UPLOAD_GONE = (
    "This upload cannot be imported: it was imported or refused already, it expired, or it belongs to another "
    "login or session. Upload the file again."
)


def upload_owner(request):
    """Whose upload: a keyed hash of the login and its session, so that neither can be forged
    from the outside and a new login (a new session) does not reach an older upload."""
    session_key = request.session.session_key or ""
    return salted_hmac(OWNER_SALT, f"{request.user.pk}:{session_key}").hexdigest()[:32]


def upload_folder():
    folder = Path(settings.IMPORT_UPLOAD_DIR)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def purge_abandoned_uploads(now=None):
    """Remove the uploads whose preview was never confirmed, once they are older than
    ``IMPORT_UPLOAD_MAX_AGE_SECONDS``: they hold customers' billing data."""
    cutoff = (now or time.time()) - settings.IMPORT_UPLOAD_MAX_AGE_SECONDS
    for path in upload_folder().iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
        except OSError:  # removed by a concurrent purge
            continue


class SessionUploadStorage(BaseStorage):
    """django-import-export's temporary storage, bound to the login and session ``owner``.

    ``name`` is the token the confirmation form carries; any other name, or a token saved by
    another owner, reads and removes nothing.
    """

    def __init__(self, *, owner=None, **kwargs):
        super().__init__(**kwargs)
        if not owner:
            raise ImproperlyConfigured(
                "SessionUploadStorage needs the upload's owner: use admin_import.SessionUploadImportMixin."
            )
        self.owner = owner

    def _path(self):
        if not isinstance(self.name, str) or not TOKEN.fullmatch(self.name):
            return None
        return upload_folder() / f"{self.owner}-{self.name}"

    def exists(self):
        path = self._path()
        return path is not None and path.is_file()

    def save(self, data):
        purge_abandoned_uploads()
        self.name = uuid.uuid4().hex
        if isinstance(data, str):
            data = data.encode(self.encoding or "utf-8")
        descriptor = os.open(self._path(), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)

    def read(self):
        path = self._path()
        if path is None:
            raise FileNotFoundError("No such upload.")
        binary = "b" in self.read_mode
        with open(path, self.read_mode, encoding=None if binary else self.encoding) as file:
            return file.read()

    def remove(self):
        path = self._path()
        if path is not None:
            path.unlink(missing_ok=True)


class CappedImportForm(ImportForm):
    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        limit = settings.IMPORT_MAX_UPLOAD_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                f"The file is {filesizeformat(upload.size)}; at most {filesizeformat(limit)} can be imported at once. "
                "Split it into smaller files."
            )
        return upload


class SessionConfirmImportForm(ConfirmImportForm):
    """The confirmation: its file name must be an upload of this login and session, and its
    format one of the offered ones, else nothing is read (nor deleted)."""

    def __init__(self, *args, owner, format_count, resource_count, **kwargs):
        super().__init__(*args, **kwargs)
        self.owner = owner
        self.format_count = format_count
        self.resource_count = resource_count

    def clean_import_file_name(self):
        name = self.cleaned_data["import_file_name"]
        if not SessionUploadStorage(name=name, owner=self.owner).exists():
            raise forms.ValidationError(UPLOAD_GONE)
        return name

    def clean_format(self):
        return self._index("format", self.format_count)

    def clean_resource(self):
        return self._index("resource", self.resource_count, blank=True)

    def _index(self, field, count, blank=False):
        value = self.cleaned_data[field]
        if (blank and value == "") or (value.isdigit() and int(value) < count):
            return value
        raise forms.ValidationError(f"Unknown {field}.")


class SessionUploadImportMixin(ImportMixin):
    """``ImportMixin`` with uploads kept by ``SessionUploadStorage`` and capped in size, the
    confirmed import refused whole when a row became invalid after the preview (nothing is
    imported, the errors are listed by row), and errors shown inline with their row."""

    tmp_storage_class = SessionUploadStorage
    import_form_class = CappedImportForm
    confirm_form_class = SessionConfirmImportForm
    import_template_name = "admin/postpay/import.html"

    def _upload(self, request, name=None, input_format=None):
        kwargs = {"name": name, "owner": upload_owner(request), "encoding": self.from_encoding}
        if input_format is not None:
            kwargs.update(
                encoding=None if input_format.is_binary() else self.from_encoding,
                read_mode=input_format.get_read_mode(),
            )
        return self.get_tmp_storage_class()(**kwargs)

    def get_confirm_form_kwargs(self, request, import_form=None):
        return {
            **super().get_confirm_form_kwargs(request, import_form),
            "owner": upload_owner(request),
            "format_count": len(self.get_import_formats()),
            "resource_count": len(self.get_import_resource_classes(request)),
        }

    def write_to_tmp_storage(self, import_file, input_format):
        # The owner was put on the upload by import_action: the library gives this hook no request.
        storage = self.get_tmp_storage_class()(
            owner=import_file.upload_owner,
            encoding=None if input_format.is_binary() else self.from_encoding,
            read_mode=input_format.get_read_mode(),
        )
        storage.save(b"".join(import_file.chunks()))
        return storage

    def import_action(self, request, **kwargs):
        """The dry run. Its upload is kept only when the preview offers the confirmation."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        upload = request.FILES.get("import_file") if request.method == "POST" else None
        if upload is not None:
            upload.upload_owner = upload_owner(request)
        response = None
        try:
            response = super().import_action(request, **kwargs)
        finally:
            saved = getattr(upload, "tmp_storage_name", None)
            if saved and "confirm_form" not in (getattr(response, "context_data", None) or {}):
                self._upload(request, saved).remove()
        return response

    @method_decorator(require_POST)
    def process_import(self, request, **kwargs):
        """The confirmed import, in one transaction: a row that became invalid since the
        preview (its manager is no operator any more) refuses the whole file. The upload is removed
        whatever happens."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        confirm_form = self.create_confirm_form(request)
        if not confirm_form.is_valid():
            messages.error(request, UPLOAD_GONE)
            return redirect(
                reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_import", current_app=self.admin_site.name)
            )
        input_format = self.get_import_formats()[int(confirm_form.cleaned_data["format"])](encoding=self.from_encoding)
        storage = self._upload(request, confirm_form.cleaned_data["import_file_name"], input_format)
        try:
            dataset = input_format.create_dataset(storage.read())
            result = self.process_dataset(dataset, confirm_form, request, rollback_on_validation_errors=True, **kwargs)
        finally:
            storage.remove()
        if result.has_errors() or result.has_validation_errors():
            messages.error(
                request, "Nothing was imported: some rows are not valid any more. Correct them and upload again."
            )
            return self._import_page(request, result=result)
        return self.process_result(result, request)

    def _import_page(self, request, **context):
        form = self.get_import_form_class(request)(
            self.get_import_formats(), self.get_import_resource_classes(request), initial={}
        )
        resources = [
            cls(**self.get_import_resource_kwargs(request)) for cls in self.get_import_resource_classes(request)
        ]
        context = {
            **self.get_import_context_data(),
            **self.admin_site.each_context(request),
            "title": "Import",
            "form": form,
            "opts": self.model._meta,
            "media": self.media + form.media,
            "fields_list": [
                (resource.get_display_name(), [f.column_name for f in resource.get_user_visible_fields()])
                for resource in resources
            ],
            "import_error_display": self.import_error_display,
            **context,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, [self.import_template_name], context)
