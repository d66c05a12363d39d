"""Driving a bulk action's confirmation page (R18) the way a browser does: the preview, then
a confirmation that carries the signed selection the preview gave."""

from postpay_portal.admin_site import SELECTION_FIELD


def signed_selection(preview):
    """The signed ids a confirmation page carries (one hidden field)."""
    return dict(preview.context["hidden"])[SELECTION_FIELD]


def preview_then_confirm(client, url, data, **confirmation):
    """POST the action (the preview), then confirm it with its signed selection; returns
    ``(preview, response)``."""
    preview = client.post(url, data)
    assert preview.status_code == 200, preview
    response = client.post(url, {**data, SELECTION_FIELD: signed_selection(preview), **confirmation})
    return preview, response
