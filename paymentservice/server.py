"""The payment gRPC servicer: protobuf in, domain call, protobuf out. Nothing else.

Errors go through the shared interceptor and STATUS_BY_ERROR; a refusal's ErrorInfo comes
from its `reason` and `metadata` (service_runtime.status_details). The one exception is
InvalidRequest: the contract's BadRequest names every field at fault, and the runtime's
convention (`field`) can name only one, so that BadRequest is sent from here."""
from __future__ import annotations

import functools

import grpc
from google.protobuf.any_pb2 import Any
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from service_runtime import fault_flags
from service_runtime.db import DATA_ERRORS, UNAVAILABLE_ERRORS
from shop.payment.v1 import payment_pb2, payment_pb2_grpc

from paymentservice import errors
from paymentservice.amounts import MoneyInput
from paymentservice.cards import CardInput
from paymentservice.messages import payment_to_proto
from paymentservice.processor import AuthorizeInput, PaymentProcessor

# The one table from payment's named errors to status codes.
STATUS_BY_ERROR = {
    errors.InvalidRequest: grpc.StatusCode.INVALID_ARGUMENT,
    errors.CardRefused: grpc.StatusCode.FAILED_PRECONDITION,
    errors.IllegalTransition: grpc.StatusCode.FAILED_PRECONDITION,
    errors.AuthorizationExists: grpc.StatusCode.ALREADY_EXISTS,
    errors.PaymentNotFound: grpc.StatusCode.NOT_FOUND,
    fault_flags.Unavailable: grpc.StatusCode.UNAVAILABLE,
    **UNAVAILABLE_ERRORS,
    **DATA_ERRORS,
}


def bad_request_status(exc: errors.InvalidRequest) -> grpc.Status:
    """INVALID_ARGUMENT with a google.rpc.BadRequest naming each field at fault."""
    bad_request = error_details_pb2.BadRequest(field_violations=[
        error_details_pb2.BadRequest.FieldViolation(field=v.field, description=v.description)
        for v in exc.violations
    ])
    detail = Any()
    detail.Pack(bad_request)
    code = STATUS_BY_ERROR[errors.InvalidRequest]
    return rpc_status.to_status(status_pb2.Status(code=code.value[0], message=str(exc), details=[detail]))


def with_field_violations(method):
    @functools.wraps(method)
    async def wrapper(self, request, context):
        try:
            return await method(self, request, context)
        except errors.InvalidRequest as exc:
            await context.abort_with_status(bad_request_status(exc))

    return wrapper


def card_from_proto(card: payment_pb2.CreditCard) -> CardInput:
    return CardInput(number=card.number, cvv=card.cvv, expiry_month=card.expiry_month,
                     expiry_year=card.expiry_year, holder_name=card.holder_name)


def money_from_proto(message, present: bool) -> MoneyInput | None:
    return MoneyInput(message.currency_code, message.units, message.nanos) if present else None


# The paymentUnavailable fault flag: every call answers as an outage would.
unavailable = fault_flags.unavailable_while("paymentUnavailable", "payments are unavailable right now; try again shortly")


class PaymentServicer(payment_pb2_grpc.PaymentServiceServicer):
    def __init__(self, processor: PaymentProcessor):
        self._processor = processor

    @unavailable
    @with_field_violations
    async def Authorize(self, request, context):
        payment = await self._processor.authorize(AuthorizeInput(
            order_id=request.order_id, amount=money_from_proto(request.amount, request.HasField("amount")),
            card=card_from_proto(request.credit_card),
        ))
        return payment_pb2.AuthorizeResponse(payment=payment_to_proto(payment))

    @unavailable
    @with_field_violations
    async def Capture(self, request, context):
        payment = await self._processor.capture(request.payment_id)
        return payment_pb2.CaptureResponse(payment=payment_to_proto(payment))

    @unavailable
    @with_field_violations
    async def Refund(self, request, context):
        payment = await self._processor.refund(
            request.payment_id, money_from_proto(request.amount, request.HasField("amount")), request.reason
        )
        return payment_pb2.RefundResponse(payment=payment_to_proto(payment))

    @unavailable
    @with_field_violations
    async def Void(self, request, context):
        payment = await self._processor.void(request.payment_id)
        return payment_pb2.VoidResponse(payment=payment_to_proto(payment))

    @unavailable
    @with_field_violations
    async def GetPayment(self, request, context):
        lookup = request.WhichOneof("lookup")
        if lookup == "order_id":
            payment = await self._processor.get_for_order(request.order_id)
        elif lookup == "payment_id":
            payment = await self._processor.get(request.payment_id)
        else:
            raise errors.InvalidRequest([errors.FieldViolation("payment_id", "payment_id or order_id is required")])
        return payment_pb2.GetPaymentResponse(payment=payment_to_proto(payment))
