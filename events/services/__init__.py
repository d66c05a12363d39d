"""The only write path of events, endpoints and deliveries (STYLE §1)."""

from .delivery import (  # noqa: F401
    webhook_delivery_attempt,
    webhook_delivery_sweep,
)
from .endpoints import (  # noqa: F401
    new_secret,
    webhook_delivery_redeliver,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_ping,
    webhook_endpoint_replay,
    webhook_endpoint_rotate_secret,
    webhook_endpoint_update,
    webhook_endpoints_forget_expired_secrets,
    webhook_endpoints_reencrypt_secrets,
)
from .enqueue import enqueue_deliveries  # noqa: F401
