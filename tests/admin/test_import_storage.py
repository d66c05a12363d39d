"""R36c: where a CSV upload waits between its preview and its confirmation
(postpay_portal/admin_import.py). It is bound to the operator's login and session: the
confirmation of another login's or session's upload, or of any other file, is refused and
deletes nothing; an upload over the size limit is refused; a failed or finished import leaves
no file behind, and an abandoned one is removed after a while."""

import os
import re
import tempfile
import time
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts.models import Account
from postpay_portal.admin_import import UPLOAD_GONE, SessionUploadStorage
from tests.factories import SuperuserFactory
from tests.support.state import snapshot

pytestmark = pytest.mark.django_db

IMPORT = reverse("admin:accounts_account_import")
PROCESS = reverse("admin:accounts_account_process_import")
GOOD = (
    "name,email,account_class,manager,postpay_permission\nAcme,billing@acme.example,,,none\nBolt,ap@bolt.example,,,\n"
)


@pytest.fixture
def folder(settings, tmp_path):
    settings.IMPORT_UPLOAD_DIR = tmp_path / "imports"
    return settings.IMPORT_UPLOAD_DIR


def login(user):
    client = Client()
    client.force_login(user)
    return client


def upload(client, text, name="accounts.csv"):
    data = text if isinstance(text, bytes) else text.encode()
    return client.post(IMPORT, {"format": "0", "import_file": SimpleUploadedFile(name, data, content_type="text/csv")})


def hidden_fields(preview):
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', preview.content.decode()))
    assert {"import_file_name", "original_file_name", "format"} <= set(fields), "no confirm form was offered"
    return fields


def files_in(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.fixture
def root(db):
    return SuperuserFactory(username="root")


@pytest.fixture
def other_root(db):
    return SuperuserFactory(username="toor")


def assert_refused(response):
    assert response.status_code == 302 and response["Location"] == IMPORT
    page = response.client.get(response["Location"])
    assert UPLOAD_GONE in page.content.decode()


def test_r36c_an_upload_waits_in_its_own_folder_and_is_removed_once_imported(folder, root):
    client = login(root)
    fields = hidden_fields(upload(client, GOOD))
    assert re.fullmatch(r"[0-9a-f]{32}", fields["import_file_name"])  # a token, not a path
    [stored] = files_in(folder)
    assert stored.endswith(fields["import_file_name"]) and stored != fields["import_file_name"]
    response = client.post(PROCESS, fields)
    assert response.status_code == 302
    assert sorted(Account.objects.values_list("name", flat=True)) == ["Acme", "Bolt"]
    assert files_in(folder) == []


def test_r36c_confirming_another_logins_upload_is_refused_and_deletes_nothing(folder, root, other_root):
    owner = login(root)
    fields = hidden_fields(upload(owner, GOOD))
    stored = files_in(folder)
    before = snapshot()
    assert_refused(login(other_root).post(PROCESS, fields))
    assert (files_in(folder), snapshot()) == (stored, before)
    assert owner.post(PROCESS, fields).status_code == 302  # its owner still can
    assert Account.objects.count() == 2


def test_r36c_confirming_an_upload_of_another_session_of_the_same_login_is_refused(folder, root):
    fields = hidden_fields(upload(login(root), GOOD))
    stored = files_in(folder)
    before = snapshot()
    assert_refused(login(root).post(PROCESS, fields))  # a new login: a new session
    assert (files_in(folder), snapshot()) == (stored, before)


@pytest.mark.parametrize(
    "name_of",
    [
        lambda victim: os.path.basename(victim),  # what the library's storage would read and delete
        lambda victim: victim,
        lambda victim: "../" * 8 + victim.lstrip("/"),
        lambda victim: uuid.uuid4().hex,  # a well-formed token nobody uploaded
    ],
    ids=["temp-file-name", "absolute-path", "traversal", "unknown-token"],
)
def test_r36c_confirming_an_arbitrary_file_is_refused_and_deletes_nothing(folder, root, name_of):
    descriptor, victim = tempfile.mkstemp(prefix="postpay-victim-", suffix=".csv")
    with os.fdopen(descriptor, "w") as file:
        file.write(GOOD)
    try:
        client = login(root)
        before = snapshot()
        fields = {"import_file_name": name_of(victim), "original_file_name": "x.csv", "format": "0", "resource": ""}
        assert_refused(client.post(PROCESS, fields))
        assert os.path.exists(victim) and snapshot() == before
    finally:
        os.unlink(victim)


@pytest.mark.parametrize("field, value", [("format", "7"), ("format", "x"), ("resource", "3"), ("resource", "-1")])
def test_r36c_an_unknown_format_or_resource_in_the_confirmation_is_refused_not_a_500(folder, root, field, value):
    client = login(root)
    fields = hidden_fields(upload(client, GOOD))
    stored = files_in(folder)
    assert_refused(client.post(PROCESS, {**fields, field: value}))
    assert (Account.objects.count(), files_in(folder)) == (0, stored)


def test_r36c_an_upload_over_the_size_limit_is_refused_with_a_clear_error(folder, root):
    too_big = GOOD + "x" * (2 * 1024 * 1024 - len(GOOD) + 1)
    before = snapshot()
    response = upload(login(root), too_big)
    html = response.content.decode()
    assert response.status_code == 200
    assert "The file is 2.0\xa0MB; at most 2.0\xa0MB can be imported at once. Split it into smaller files." in html
    assert 'name="import_file_name"' not in html
    assert (files_in(folder), snapshot()) == ([], before)
    assert 'name="import_file_name"' in upload(login(root), GOOD).content.decode()  # at the limit or under: fine


def test_r36c_the_size_limit_is_a_setting(folder, root, settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 100
    html = upload(login(root), GOOD + "Cirrus,finance@cirrus.example,,,\n").content.decode()
    assert "at most 100\xa0bytes can be imported at once" in html
    assert files_in(folder) == []


@pytest.mark.parametrize(
    "text",
    [
        GOOD + "No Mail Co,,,,none\n",  # a row error
        b"\xff\xfe\x00garbage that is no UTF-8 \x80\x81",  # unreadable
        "name,email\n",  # no rows
    ],
    ids=["row-error", "unreadable", "empty"],
)
def test_r36c_a_failed_dry_run_leaves_no_file_behind(folder, root, text):
    response = upload(login(root), text)
    assert response.status_code == 200 and 'name="import_file_name"' not in response.content.decode()
    assert files_in(folder) == []


def test_r36c_a_confirmation_that_fails_imports_nothing_and_leaves_no_file_behind(folder, root, manager_max):
    client = login(root)
    fields = hidden_fields(upload(client, GOOD + "Cirrus,finance@cirrus.example,,max,none\n"))
    manager_max.is_staff = False  # after the preview, the row's manager is no operator any more
    manager_max.save(update_fields=["is_staff"])
    before = snapshot()
    response = client.post(PROCESS, fields)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Nothing was imported: some rows are not valid any more." in html
    assert "manager: No operator with this username." in html
    assert (snapshot(), files_in(folder)) == (before, [])  # Acme and Bolt were valid: not imported either


def test_r36c_an_abandoned_upload_is_removed_after_its_time(folder, root, settings):
    client = login(root)
    hidden_fields(upload(client, GOOD))
    [abandoned] = files_in(folder)
    hour_ago = time.time() - settings.IMPORT_UPLOAD_MAX_AGE_SECONDS - 60
    os.utime(folder / abandoned, (hour_ago, hour_ago))
    fields = hidden_fields(upload(client, GOOD))  # the next upload sweeps
    assert files_in(folder) == [f for f in files_in(folder) if f.endswith(fields["import_file_name"])]
    assert abandoned not in files_in(folder)


def test_the_upload_storage_refuses_to_work_without_an_owner(folder):
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        SessionUploadStorage(name=uuid.uuid4().hex)
