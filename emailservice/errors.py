"""What can go wrong in emailservice, named. server.py maps each to a status code."""


class EmailError(Exception):
    """Base of the service's named errors; the message is meant for the caller."""


class InvalidArgument(EmailError):
    pass


class EmailNotFound(EmailError):
    def __init__(self, email_id: str):
        super().__init__(f"there is no sent email with id {email_id!r}")
        self.email_id = email_id


class InvalidEvent(EmailError):
    """An order event that parses but cannot become an email (no recipient, say). The
    consumer dead-letters it at once, for a person to look at."""


class DeliveryFailed(EmailError):
    """The mail server or the mail directory did not take the message. `permanent` when
    trying again cannot help (the server refused the recipient or the content)."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent
