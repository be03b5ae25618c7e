"""The email gRPC servicer: protobuf in, repository call, protobuf out. Nothing else."""
from __future__ import annotations

import grpc

from service_runtime.db import DATA_ERRORS, UNAVAILABLE_ERRORS
from service_runtime.prototime import to_timestamp
from shop.email.v1 import email_pb2, email_pb2_grpc

from emailservice import errors, listing
from emailservice.notices import EmailKind
from emailservice.records import EmailRecord
from emailservice.repository import EmailRepository

# The one table from the service's named errors to status codes.
STATUS_BY_ERROR = {
    errors.InvalidArgument: grpc.StatusCode.INVALID_ARGUMENT,
    errors.EmailNotFound: grpc.StatusCode.NOT_FOUND,
    **UNAVAILABLE_ERRORS,
    **DATA_ERRORS,
}

KIND_TO_PROTO = {kind: email_pb2.EmailKind.Value(f"EMAIL_KIND_{kind.name}") for kind in EmailKind}
KIND_FROM_PROTO = {number: kind for kind, number in KIND_TO_PROTO.items()}


def kind_from_proto(number: int) -> EmailKind | None:
    if number == email_pb2.EMAIL_KIND_UNSPECIFIED:
        return None
    if number not in KIND_FROM_PROTO:
        raise errors.InvalidArgument(f"kind {number} is not an email kind")
    return KIND_FROM_PROTO[number]


def email_to_proto(email: EmailRecord) -> email_pb2.SentEmail:
    return email_pb2.SentEmail(
        id=email.id, recipient=email.recipient, sender=email.sender, subject=email.subject,
        kind=KIND_TO_PROTO[email.kind], order_id=email.order_id, event_id=email.event_id,
        message_id=email.message_id, sent_time=to_timestamp(email.sent_at),
        text_body=email.text, html_body=email.html,
    )


class EmailServicer(email_pb2_grpc.EmailServiceServicer):
    def __init__(self, repository: EmailRepository):
        self._repository = repository

    async def ListSentEmails(self, request, context):
        query = listing.list_query(
            recipient=request.recipient, order_id=request.order_id, kind=kind_from_proto(request.kind),
            page_size=request.page_size, page_token=request.page_token,
        )
        found, total = await self._repository.list_sent(query)
        page = listing.page(query, found, total)
        return email_pb2.ListSentEmailsResponse(
            emails=[email_to_proto(e) for e in page.emails], next_page_token=page.next_page_token,
            total_size=page.total_size,
        )

    async def GetSentEmail(self, request, context):
        email = await self._repository.get_sent(listing.check_email_id(request.id))
        return email_pb2.GetSentEmailResponse(email=email_to_proto(email))
