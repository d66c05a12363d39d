"""``POST /api/v1/accounts/`` and ``PATCH /api/v1/accounts/{id}/`` refuse, 400 ``invalid``,
a name with a control character (``fields.name``) and a billing e-mail another account uses
whatever its case (``fields.email``), as ``accounts.services`` does for every face (R31)."""

import pytest

from tests.factories import AccountFactory
from tests.support.api import body
from tests.support.state import snapshot

pytestmark = pytest.mark.django_db

TAKEN = "Another account already uses this billing e-mail address"
CONTROL = "A name cannot contain line breaks, tabs or other control characters."


def assert_invalid(response, field, starts_with):
    assert response.status_code == 400
    answer = body(response)
    assert answer["code"] == "invalid" and list(answer["fields"]) == [field]
    assert answer["fields"][field][0].startswith(starts_with)


@pytest.mark.parametrize("name", ["Evil\nBcc: victim@example.com", "Evil\r\nCorp", "Tab\tCo", "Sep\u2028Co"])
def test_r31_creating_an_account_named_with_a_control_character_is_400_on_name(api, staff_sam, name):
    before = snapshot()
    assert_invalid(api(staff_sam).post("/api/v1/accounts/", {"name": name}, format="json"), "name", CONTROL)
    assert snapshot() == before


def test_r31_renaming_an_account_with_a_newline_is_400_on_name(api, staff_sam, alice_account):
    before = snapshot()
    response = api(staff_sam).patch(f"/api/v1/accounts/{alice_account.pk}/", {"name": "A\nB"}, format="json")
    assert_invalid(response, "name", CONTROL)
    assert snapshot() == before


def test_r31_creating_an_account_with_a_taken_e_mail_in_any_case_is_400_on_email(api, staff_sam, alice_account):
    before = snapshot()
    response = api(staff_sam).post(
        "/api/v1/accounts/", {"name": "Copy", "email": "BILLING@alice.EXAMPLE"}, format="json"
    )
    assert_invalid(response, "email", TAKEN)
    assert snapshot() == before


def test_r31_changing_to_a_taken_e_mail_is_400_on_email(api, staff_sam, alice_account):
    bolt = AccountFactory(name="Bolt", email="ap@bolt.example")
    before = snapshot()
    response = api(staff_sam).patch(f"/api/v1/accounts/{bolt.pk}/", {"email": "Billing@Alice.example"}, format="json")
    assert_invalid(response, "email", TAKEN)
    assert snapshot() == before


def test_an_account_keeps_its_e_mail_and_accounts_without_one_never_conflict(api, staff_sam, alice_account):
    client = api(staff_sam)
    own = client.patch(f"/api/v1/accounts/{alice_account.pk}/", {"email": "BILLING@alice.example"}, format="json")
    assert own.status_code == 200 and body(own)["email"] == "BILLING@alice.example"
    for name in ("One", "Two"):
        assert client.post("/api/v1/accounts/", {"name": name, "email": ""}, format="json").status_code == 201
        assert client.post("/api/v1/accounts/", {"name": name + " bis"}, format="json").status_code == 201
