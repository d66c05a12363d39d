"""The only write path for plans, orders and subscriptions (STYLE §1)."""

from .orders import (  # noqa: F401
    order_cancel,
    order_credit_check,
    order_fail_by_credit_review,
    order_fail_by_decline,
    order_pay,
    order_place,
    order_release_after_approval,
    order_retry_provisioning,
    plan_create,
    subscription_renew,
    subscription_switch,
)
from .provisioning import (  # noqa: F401
    enqueue_provisioning,
    order_fail_provisioning,
    order_provision,
    provisioning_sweep,
)
from .tally import order_tally_compact  # noqa: F401
