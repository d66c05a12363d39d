from postpay_portal.errors import DomainError


class PostpayUnderReview(DomainError):
    """R10: customers get this for a declined account too (R6)."""

    code = "postpay_under_review"
    status = 409
    default_detail = "Your account is under review for postpaid ordering."


class PostpayDeclined(DomainError):
    """R10: staff only; never raised towards a customer."""

    code = "postpay_declined"
    status = 409
    default_detail = "The account's permission to order postpaid subscriptions was declined."


class PostpayPermissionReadOnly(DomainError):
    code = "postpay_permission_read_only"
    status = 400
    default_detail = "The postpay permission of an account cannot be changed after it is created."


class PostpayReviewNotNeeded(DomainError):
    """R36: a review in advance while the mode is Automatically, or of an approved account."""

    code = "postpay_review_not_needed"
    status = 409
    default_detail = "No review is needed: postpaid plans can be ordered without one."


class SecondFactorRequired(DomainError):
    """R45: a login that needs a second factor asked for an API token without a valid ``otp``."""

    code = "otp_required"
    status = 401
    auth_header = "Token"
    default_detail = (
        "This login needs a second factor: send `otp`, the current code of your authenticator app "
        "or one of your backup codes."
    )


class CreditTermsRequireApproval(DomainError):
    """R37: a postpaid limit or a review date belongs to an approved account only."""

    code = "credit_terms_require_approval"
    status = 409
    default_detail = "A postpaid limit or a review date can be set only on an account approved for postpaid ordering."
