"""Provisioners for tests, named by the PROVISIONER setting (env POSTPAY_PROVISIONER)."""

import os
import time

from subscriptions.errors import TransientProvisioningError
from subscriptions.provisioners import LocalProvisioner


class AlwaysTransient(LocalProvisioner):
    def provision(self, order):
        raise TransientProvisioningError("platform unavailable")


class FlakyOnce(LocalProvisioner):
    """Fails transiently on an order's first attempt, then works."""

    def provision(self, order):
        if order.attempts.count() == 1:
            raise TransientProvisioningError("platform busy")
        return super().provision(order)


class Broken(LocalProvisioner):
    def provision(self, order):
        raise ValueError("plan has no platform mapping")


class Slow(LocalProvisioner):
    """Sleeps POSTPAY_TEST_PROVISION_SECONDS before provisioning: a window to kill the worker."""

    def provision(self, order):
        time.sleep(float(os.environ.get("POSTPAY_TEST_PROVISION_SECONDS", "30")))
        return super().provision(order)
