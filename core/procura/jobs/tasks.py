"""The core's own tasks."""
from __future__ import annotations

import os
import socket
from datetime import UTC, datetime

from procura.jobs import celery_app, transact
from procura.jobs import scheduled as scheduled_jobs  # noqa: F401 - registers procura.scheduled.* jobs
from procura.notify import tasks as notify_tasks  # noqa: F401 - registers procura.notify.dispatch
from procura.search import tasks as search_tasks  # noqa: F401 - registers procura.search.* jobs
from procura.security import tasks as security_tasks  # noqa: F401 - registers procura.security.* jobs


@celery_app.task(name="procura.heartbeat", bind=True, ignore_result=False)
def heartbeat(self, origin: str = "beat"):
    """Record that a worker is alive (shown on the system status page); returns what it wrote."""
    record = {
        "at": datetime.now(UTC),
        "hostname": self.request.hostname or socket.gethostname(),
        "pid": os.getpid(),
        "origin": origin,
    }

    def write(root):
        root.system["worker_heartbeat"] = record
        count = root.system.get("heartbeats", 0) + 1
        root.system["heartbeats"] = count
        return count

    count = transact(write, note="procura.heartbeat")
    return {"hostname": record["hostname"], "pid": record["pid"], "count": count, "origin": origin}
