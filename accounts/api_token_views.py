"""Customer portal: the customer's API tokens (SPEC R46).

Create one with a name — the token is shown in that answer only, never again — see the list
(name, created, last used, expires) and revoke any of them. Every write is a POST with CSRF,
through ``accounts.tokens``.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from postpay_portal.errors import DomainError

from .forms import ApiTokenCreateForm
from .selectors import api_token_list
from .tokens import api_token_create, api_token_revoke
from .views import customer_required


@customer_required
def api_tokens(request):
    form = ApiTokenCreateForm(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        try:
            issued = api_token_create(actor=request.user, user=request.user, name=form.cleaned_data["name"])
        except DomainError as exc:
            form.add_error("name", exc.detail)
        else:
            form = ApiTokenCreateForm()
    context = {
        "section": "api_tokens",
        "form": form,
        "tokens": list(api_token_list(user=request.user)),
        "issued": issued and {"row": issued[0], "token": issued[1]},
    }
    response = render(request, "portal/api_tokens.html", context)
    if issued:
        response["Cache-Control"] = "no-store"  # the token must not stay in any cache
    return response


@require_POST
@customer_required
def api_token_revoke_view(request, pk):
    try:
        revoked = api_token_revoke(actor=request.user, token_id=pk)
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, f"The API token “{revoked.name}” is revoked.")
    return redirect("portal:api_tokens")
