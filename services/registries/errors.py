"""Why a registry request cannot be met, without HTTP: each error's message says what was wrong and what to do.

The API answers each kind with its status (services/api/errors.py); bootstrap and tests see plain exceptions.
"""


class RegistryError(Exception):
    """A request of a registry that cannot be met; `detail` is the whole explanation."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotRegistered(RegistryError):
    """The name (or that version of it) does not exist."""


class VersionConflict(RegistryError):
    """The request contradicts what exists: the name is taken, retired, or may not be retired."""


class Unusable(RegistryError):
    """A job names a version it cannot run with (malformed, missing or retired)."""


class NotReady(RegistryError):
    """The registry lacks what the installation creates at bootstrap."""
