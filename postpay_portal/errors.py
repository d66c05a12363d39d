"""The one domain error hierarchy (SPEC R31, CONTRACT §4).

Each app's ``errors.py`` subclasses :class:`DomainError` with a contract code. The REST
exception handler, the operator portal and the customer portal all map these same
exceptions, so a refusal reads the same everywhere.
"""


class DomainError(Exception):
    code = "error"
    status = 400
    default_detail = "The request could not be carried out."

    def __init__(self, detail=None, *, fields=None):
        self.detail = detail or self.default_detail
        self.fields = fields
        super().__init__(self.detail)

    def as_dict(self):
        body = {"code": self.code, "detail": self.detail}
        if self.code == InvalidInput.code:
            body["fields"] = self.fields or {}
        return body


class InvalidInput(DomainError):
    code = "invalid"
    status = 400
    default_detail = "The request is not valid."

    def __init__(self, detail=None, *, fields=None):
        super().__init__(detail, fields=fields or {})

    @classmethod
    def on(cls, field, message):
        return cls(message, fields={field: [message]})


class NotFound(DomainError):
    """Another account's object is reported exactly like a missing one (R31)."""

    code = "not_found"
    status = 404
    default_detail = "Not found."


class PermissionDenied(DomainError):
    code = "permission_denied"
    status = 403
    default_detail = "You do not have permission to perform this action."
