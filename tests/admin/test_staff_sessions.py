"""Security review, finding 7: an operator-portal session ends after a working day without a
request (``POSTPAY_STAFF_SESSION_IDLE_HOURS``, default 8) and lives on while it is used; a
customer's keeps Django's two weeks."""

import time
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from tests.factories import PASSWORD, StaffFactory

pytestmark = pytest.mark.django_db


def expires_in(client):
    session = Session.objects.get(session_key=client.cookies["sessionid"].value)
    return session.expire_date - timezone.now()


def near(actual, expected, slack=timedelta(minutes=2)):
    return abs(actual - expected) < slack


def test_a_staff_login_expires_after_eight_idle_hours_a_customers_after_two_weeks(customer_alice, settings):
    assert settings.POSTPAY_STAFF_SESSION_IDLE_HOURS == 8
    StaffFactory(username="olga")
    operator = Client()
    assert operator.post("/admin/login/", {"username": "olga", "password": PASSWORD}).status_code == 302
    assert near(expires_in(operator), timedelta(hours=8))
    assert operator.cookies["sessionid"]["max-age"] == 8 * 3600

    customer = Client()
    assert customer.post("/portal/login/", {"username": "alice", "password": PASSWORD}).status_code == 302
    assert near(expires_in(customer), timedelta(seconds=settings.SESSION_COOKIE_AGE))
    assert settings.SESSION_COOKIE_AGE == 14 * 24 * 3600


@pytest.mark.slow  # waits on the clock
def test_an_idle_staff_session_is_over_and_a_customers_is_not(customer_alice, settings):
    settings.POSTPAY_STAFF_SESSION_IDLE_HOURS = 3 / 3600  # three seconds, for the test
    StaffFactory(username="olga", is_superuser=True)
    operator, customer = Client(), Client()
    operator.post("/admin/login/", {"username": "olga", "password": PASSWORD})
    customer.post("/portal/login/", {"username": "alice", "password": PASSWORD})
    assert operator.get("/admin/").status_code == 200

    time.sleep(4.5)

    assert operator.get("/admin/")["Location"].startswith("/admin/login/")
    assert customer.get("/portal/").status_code == 200


@pytest.mark.slow  # waits on the clock
def test_a_used_staff_session_stays_open_past_the_idle_time(settings):
    settings.POSTPAY_STAFF_SESSION_IDLE_HOURS = 4 / 3600  # four seconds, for the test
    StaffFactory(username="olga", is_superuser=True)
    operator = Client()
    operator.post("/admin/login/", {"username": "olga", "password": PASSWORD})
    started = time.monotonic()
    while time.monotonic() - started < 9:  # more than twice the idle time, in use all along
        assert operator.get("/admin/").status_code == 200
        time.sleep(0.8)


def test_a_session_that_predates_the_setting_gets_the_staff_expiry_on_its_next_request(settings):
    """A staff session opened before the upgrade (two weeks) shortens at its next request."""
    StaffFactory(username="olga", is_superuser=True)
    operator = Client()
    operator.post("/admin/login/", {"username": "olga", "password": PASSWORD})
    session = operator.session
    session.set_expiry(None)  # Django's default, as before
    session.save()
    settings.POSTPAY_STAFF_SESSION_IDLE_HOURS = 10
    assert operator.get("/admin/").status_code == 200
    assert near(expires_in(operator), timedelta(hours=10))
