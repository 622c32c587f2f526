"""Jobs of the notification centre."""
from __future__ import annotations

from procura.jobs import job
from procura.notify.center import DISPATCH_JOB, dispatch


@job(DISPATCH_JOB)
def dispatch_job(request, payload):
    """Deliver the notifications of one domain event (idempotent: dedupe keys per event, user, channel)."""
    return dispatch(request, payload)
