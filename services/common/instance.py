"""Which process this is: the instance id every service's heartbeats and log lines carry (and a worker's default id)."""

import os
import socket


def instance_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"
