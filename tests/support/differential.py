"""The machinery of the R32 differential test: twin customers, their whole surface, and a
normalised transcript of it.

Two accounts live through the same history; one is then declined, the other left under
review. Everything either customer can reach — every API operation of the OpenAPI schema,
every portal page reachable by links from ``/portal/``, every portal form, the e-mails sent
to them — is requested for both, and the answers are compared after normalising what
legitimately differs: their own ids, their login and address, and times. A difference is a
decline showing through.
"""

import difflib
import json
import re
from datetime import datetime
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit

from django.core import mail
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.services import account_create, account_user_create
from subscriptions.models import Order, Period, Plan, Subscription
from tests.factories import api_token_for

PASSWORD = "twin-password-42"

# Ids of different kinds live in different ranges during the test, so that a number in a
# page names one object only (an order and a subscription never share an id).
ID_RANGES = {
    "subscriptions_order": 10**9,
    "subscriptions_subscription": 2 * 10**9,
    "accounts_account": 3 * 10**9,
    "accounts_apitoken": 4 * 10**9,
}


def separate_id_ranges():
    """Move the id sequences of orders, subscriptions and accounts apart (PostgreSQL).
    Returns a function that puts them back (sequences ignore rollbacks: later tests would
    otherwise show ten-digit ids)."""
    with connection.cursor() as cursor:
        before = {}
        for table, start in ID_RANGES.items():
            cursor.execute("SELECT last_value FROM pg_sequences WHERE sequencename = %s", [f"{table}_id_seq"])
            before[table] = cursor.fetchone()[0]
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), GREATEST(%s, COALESCE(%s, 1)))",
                [table, start, before[table]],
            )

    def restore():
        with connection.cursor() as cursor:
            for table, value in before.items():
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                    f"GREATEST(COALESCE(%s, 1), (SELECT COALESCE(MAX(id), 1) FROM {table} WHERE id < %s)))",
                    [table, value, ID_RANGES[table]],
                )

    return restore


class Twin:
    """One of the two customers: an account, its login, an API client and a portal client."""

    def __init__(self, label):
        self.label = label
        self.username = f"twin-{label}"
        self.email = f"{label}@twin.example"
        self.account = account_create(actor=None, name="Twin Trading", email=f"billing-{label}@twin.example")
        self.user = account_user_create(
            actor=None, account_id=self.account.pk, username=self.username, password=PASSWORD, email=self.email
        )
        self.api = APIClient()
        self.api.credentials(HTTP_AUTHORIZATION=f"Token {api_token_for(self.user)}")
        self.portal = Client()
        self.portal.force_login(self.user)

    # --- what is the twin's own --------------------------------------------------------------

    def orders(self):
        return list(Order.objects.filter(account=self.account).order_by("id").values_list("pk", flat=True))

    def subscriptions(self):
        return list(Subscription.objects.filter(account=self.account).order_by("id").values_list("pk", flat=True))

    def ids(self):
        """Every id of the twin's own objects → a placeholder naming its kind and rank."""
        named = {self.account.pk: "<account>"}
        named.update({pk: f"<order {i}>" for i, pk in enumerate(self.orders())})
        named.update({pk: f"<subscription {i}>" for i, pk in enumerate(self.subscriptions())})
        tokens = ApiToken.objects.filter(user=self.user).order_by("id").values_list("pk", flat=True)
        named.update({pk: f"<api token {i}>" for i, pk in enumerate(tokens)})
        return named

    def addresses(self):
        return {self.username: "<login>", self.email: "<e-mail>", self.account.email: "<billing e-mail>"}

    def sent_mail(self, since=0):
        mine = {self.email, self.account.email}
        return [m for m in mail.outbox[since:] if mine & set(m.to)]


# --- normalising -----------------------------------------------------------------------------

ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})?")
PORTAL_TIME = re.compile(r"\b(\d{1,2}) ([A-Z][a-z]{2}) (\d{4})(?:, (\d{2}):(\d{2}))?")
CSRF = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]+(")')
NUMBER = re.compile(r"\d+")
API_TOKEN = re.compile(r"\b[0-9a-f]{64}\b")  # a new API token is random (R46)


def _relative_days(moment, now):
    return f"<now{round((moment - now).total_seconds() / 86400):+d}d>"


def normalise(text, twin, named=None, now=None):
    """The twin's ids, login and addresses, and times relative to now, replaced by
    placeholders; what remains must be the same for both twins. ``named`` is
    ``twin.ids()`` when the caller has it."""
    now = now or timezone.now()
    text = CSRF.sub(r"\1<csrf>\2", text)
    text = API_TOKEN.sub("<new api token>", text)
    text = ISO_TIME.sub(lambda m: _relative_days(datetime.fromisoformat(m.group(0).replace("Z", "+00:00")), now), text)

    def portal_time(match):
        day, month, year, hour, minute = match.groups()
        moment = datetime.strptime(f"{day} {month} {year} {hour or '12'}:{minute or '00'}", "%d %b %Y %H:%M")
        return _relative_days(timezone.make_aware(moment, timezone.get_current_timezone()), now)

    text = PORTAL_TIME.sub(portal_time, text)
    for value, placeholder in sorted(twin.addresses().items(), key=lambda item: -len(item[0])):
        text = text.replace(value, placeholder)
    named = named if named is not None else twin.ids()
    return NUMBER.sub(lambda m: named.get(int(m.group(0)), m.group(0)), text)


# --- the surface -------------------------------------------------------------------------------


class _Forms(HTMLParser):
    """The forms of a page: method, action, hidden and visible fields, select options."""

    def __init__(self):
        super().__init__()
        self.forms, self._form, self._select = [], None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            method = (attrs.get("method") or "get").lower()
            self._form = {"method": method, "action": attrs.get("action") or "", "fields": {}, "choices": {}}
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and attrs.get("name") and attrs.get("type") != "password":
            self._form["fields"][attrs["name"]] = attrs.get("value", "")
        elif tag == "select":
            self._select = attrs.get("name")
            self._form["choices"][self._select] = []
        elif tag == "option" and self._select:
            if attrs.get("value"):
                self._form["choices"][self._select].append(attrs["value"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


LINK = re.compile(r'href="(/portal/[^"#?]*)(?:\?[^"]*)?"')
NOT_CRAWLED = ("/portal/logout/", "/portal/login/")
# Forms whose outcome does not depend on the account: the password form checks a password.
NOT_SUBMITTED = ("/portal/logout/", "/portal/password/")


def _submissions(path, html, method):
    """The forms of one page with this method: (action, data) for every submission to try
    — each option of a select, disabled ones included (a crafted request)."""
    parser = _Forms()
    parser.feed(html)
    submissions = []
    for form in parser.forms:
        if form["method"] != method:
            continue
        action = form["action"] or urlsplit(path).path
        if action.startswith(NOT_SUBMITTED) or path.startswith(NOT_SUBMITTED):
            continue
        fields = {k: v for k, v in form["fields"].items() if k != "csrfmiddlewaretoken"}
        variants = [fields]
        for name, options in form["choices"].items():
            variants = [{**variant, name: option} for variant in variants for option in options] or variants
        submissions.extend((action, variant) for variant in variants)
    return submissions


def crawl(twin):
    """Every portal page reachable from /portal/ by links and by GET forms (filters, the
    confirm steps), with each choice of their selects: {url: (status, html)}."""
    pages, queue = {}, ["/portal/"]
    while queue:
        url = queue.pop(0)
        if url in pages or url.startswith(NOT_CRAWLED):
            continue
        response = twin.portal.get(url)
        html = response.content.decode()
        pages[url] = (response.status_code, html)
        queue.extend(link for link in LINK.findall(html) if link not in pages)
        for action, data in _submissions(url, html, "get"):
            target = f"{action}?{urlencode(sorted(data.items()))}" if data else action
            if target not in pages:
                queue.append(target)
    return pages


def page_forms(pages):
    """The POST forms of the crawled pages: (page, action, data) for every submission to try."""
    return [
        (path, action, data)
        for path, (_, html) in sorted(pages.items())
        for action, data in _submissions(path, html, "post")
    ]


def api_operations():
    """(method, path template, its parameters) of every API operation but the token."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, operations in sorted(schema["paths"].items()):
        if path == "/api/v1/auth/token/":
            continue
        for method, operation in sorted(operations.items()):
            yield method, path, operation.get("parameters", [])


def _ids_for(path, twin):
    """The ids a path parameter takes for this twin: its own objects of the path's kind."""
    kind = path.split("/")[3]
    if kind == "orders":
        return twin.orders()
    if kind == "subscriptions":
        return twin.subscriptions()
    if kind == "plans":
        return list(Plan.objects.order_by("id").values_list("pk", flat=True))
    if kind in ("accounts", "account"):
        return [twin.account.pk]
    return [1]  # staff-only resources: the role is refused before any lookup


def api_reads(twin):
    """Every GET of the schema, with each of the twin's ids and each value of each enum
    filter: [(label, url)]."""
    requests = []
    for method, path, parameters in api_operations():
        if method != "get":
            continue
        urls = [path.replace("{id}", str(pk)) for pk in _ids_for(path, twin)] if "{id}" in path else [path]
        queries = [{}]
        for parameter in parameters:
            if parameter["in"] != "query" or parameter["name"] in ("page", "page_size"):
                continue
            schema = parameter.get("schema", {})
            if "enum" in schema:
                queries += [{parameter["name"]: value} for value in schema["enum"]]
            elif schema.get("type") == "integer":
                queries.append({parameter["name"]: twin.account.pk})
        requests += [
            (f"GET {url}?{urlencode(query)}", f"{url}?{urlencode(query)}") for url in urls for query in queries
        ]
    return requests


def api_writes(twin):
    """Every write of the schema: [(label, method, url, body)], with each of the twin's ids
    and, for orders and switches, each plan and period."""
    plans = list(Plan.objects.order_by("id").values_list("pk", flat=True))
    writes = []
    for method, path, _ in api_operations():
        if method == "get":
            continue
        urls = [path.replace("{id}", str(pk)) for pk in _ids_for(path, twin)] if "{id}" in path else [path]
        if path == "/api/v1/orders/" and method == "post":
            bodies = [{"plan": plan, "period": period} for plan in plans for period in Period.values]
        elif path.endswith("/switch/"):
            bodies = [{"plan": plan} for plan in plans]
        else:
            bodies = [{}]
        writes += [
            (f"{method.upper()} {url} {json.dumps(body, sort_keys=True)}", method, url, body)
            for url in urls
            for body in bodies
        ]
    return writes


# --- the transcript ----------------------------------------------------------------------------


def _api_answer(response):
    return f"{response.status_code} {response.content.decode()}"


def _portal_answer(twin, response):
    """The status, where it leads, and the page it leads to (with its messages)."""
    answer = [str(response.status_code)]
    if response.status_code in (301, 302):
        location = response["Location"]
        answer.append(f"-> {location}")
        answer.append(twin.portal.get(urlsplit(location).path).content.decode())
    else:
        answer.append(response.content.decode())
    return "\n".join(answer)


def probe(twin, request):
    """Run one write in a savepoint that is rolled back: its answer, normalised while the
    objects it created still exist."""
    outbox = len(mail.outbox)
    with transaction.atomic():
        answer = request()
        text = normalise(answer, twin)
        transaction.set_rollback(True)
    del mail.outbox[outbox:]
    return text


def transcript(twin):
    """Everything the customer can observe, normalised: {request: answer}."""
    seen = {}
    named = twin.ids()
    for label, url in api_reads(twin):
        seen[normalise(label, twin, named)] = normalise(_api_answer(twin.api.get(url)), twin, named)
    for label, method, url, body in api_writes(twin):
        seen[normalise(label, twin, named)] = probe(
            twin,
            lambda method=method, url=url, body=body: _api_answer(getattr(twin.api, method)(url, body, format="json")),
        )
    pages = crawl(twin)
    for path, (status, html) in pages.items():
        seen[normalise(f"PAGE {path}", twin, named)] = normalise(f"{status}\n{html}", twin, named)
    for page, action, data in page_forms(pages):
        label = normalise(f"FORM {page} -> {action} {json.dumps(data, sort_keys=True)}", twin, named)
        seen[label] = probe(twin, lambda action=action, data=data: _portal_answer(twin, twin.portal.post(action, data)))
    for i, message in enumerate(twin.sent_mail()):
        seen[f"MAIL {i}"] = normalise(f"{message.subject}\n{message.to}\n{message.body}", twin, named)
    return seen


def differences(left, right, left_twin, right_twin):
    """A readable diff of two transcripts, or "" when they are the same."""
    lines = []
    for key in sorted(set(left) | set(right)):
        a, b = left.get(key, "<absent>"), right.get(key, "<absent>")
        if a != b:
            lines.append(f"=== {key}")
            lines.extend(
                difflib.unified_diff(
                    a.splitlines(), b.splitlines(), left_twin.label, right_twin.label, lineterm="", n=2
                )
            )
    return "\n".join(lines)


def same_answers(twins, act):
    """Do ``act(twin)`` for each twin and compare the normalised answers."""
    answers = [normalise(str(act(twin)), twin) for twin in twins]
    return answers[0] == answers[1], answers
