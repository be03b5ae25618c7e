"""What can go wrong in identity, named. server.py maps each to a status code. An error's
`field` becomes the status's google.rpc.BadRequest, its `reason` and `metadata` its
google.rpc.ErrorInfo (through service_runtime.status_details)."""
from __future__ import annotations


class IdentityError(Exception):
    """Base of identity's named errors; the message is meant for the caller and never
    contains a password, a hash or a token."""


class InvalidArgument(IdentityError):
    """A malformed request value; `field` names it as the request does."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


class EmailTaken(IdentityError):
    reason = "EMAIL_TAKEN"

    def __init__(self):
        super().__init__("an account with this email address already exists")


class InvalidCredentials(IdentityError):
    """Sign-in refused. The same message whether the email is unknown or the password
    wrong, so the answer reveals nothing about which accounts exist."""

    def __init__(self):
        super().__init__("invalid email or password")


class InvalidRefreshToken(IdentityError):
    """Refresh refused, for whatever reason (unknown, expired, revoked, reused, another
    user's): one message, so a caller learns nothing from it."""

    def __init__(self):
        super().__init__("invalid or expired refresh token")


class SessionEnded(IdentityError):
    """A session asked about is not live (unknown, expired, revoked, another user's, or its
    account deleted): one message, so a caller learns nothing from it."""

    def __init__(self):
        super().__init__("this session has ended")


class AccountLocked(IdentityError):
    """Sign-in refused because an admin locked the account (LockUser). Said only once the
    password is right, so it tells someone who does not know it nothing. Not the lockout
    after repeated failures (TooManyAttempts): that one is per address and ends by itself."""

    reason = "ACCOUNT_LOCKED"

    def __init__(self):
        super().__init__("this account is locked by the shop: contact customer service to have it unlocked")


class WrongPassword(IdentityError):
    """The caller is signed in but the password they confirmed with is wrong."""

    def __init__(self, field: str):
        super().__init__(f"{field} is incorrect")


class TooManyAttempts(IdentityError):
    reason = "TOO_MANY_ATTEMPTS"

    def __init__(self, retry_after_seconds: int):
        super().__init__(
            "too many failed sign-in attempts for this email address; "
            f"try again in {retry_after_seconds} seconds"
        )
        self.retry_after_seconds = retry_after_seconds
        self.metadata = {"retry_after_seconds": str(retry_after_seconds)}


class TooManyRequests(IdentityError):
    """One client asked for too many password checks (client_limits.py)."""
    reason = "TOO_MANY_REQUESTS"

    def __init__(self, retry_after_seconds: int):
        super().__init__(f"too many sign-in attempts from your address; try again in {retry_after_seconds} seconds")
        self.retry_after_seconds = retry_after_seconds
        self.metadata = {"retry_after_seconds": str(retry_after_seconds)}


class UserNotFound(IdentityError):
    def __init__(self, user_id: str):
        super().__init__(f"there is no user with id {user_id[:100]!r}")
        self.user_id = user_id


class LastAdmin(IdentityError):
    """The change would leave the shop without an admin who can sign in (one not locked)."""

    reason = "LAST_ADMIN"

    def __init__(self):
        super().__init__("this is the last admin who can sign in: make another user an admin first")


class AdminPasswordRequired(IdentityError):
    """ADMIN_EMAIL names no account yet and ADMIN_PASSWORD is not set."""


class AdminWouldBePromoted(IdentityError):
    """ADMIN_EMAIL names an ordinary account, and promoting it was not allowed."""
