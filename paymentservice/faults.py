"""paymentFailure, one of paymentservice's fault flags (service_runtime/fault_flags.py,
docs/fault-flags.md): the card's issuer declines a share of the authorizations the
network approves. (paymentUnavailable is server.py's `unavailable`.)"""
from __future__ import annotations

import random

from service_runtime import fault_flags


def issuer_fails(draw=random.random) -> bool:
    share = fault_flags.value("paymentFailure")
    if share and draw() < share:
        fault_flags.applied("paymentFailure", "authorization declined: ISSUER_UNAVAILABLE")
        return True
    return False
