"""The website's way to the services: synchronous gRPC stubs made once per process (Flask
views are synchronous, and a grpc.aio channel would not outlive a request's event loop),
every call with a deadline and the visitor's request id, and failures turned into three
named errors the views can act on."""
from __future__ import annotations

from typing import Callable

import grpc

from service_runtime import rpc_spans, status_details
from shop.audit.v1 import audit_pb2_grpc
from shop.cart.v1 import cart_pb2_grpc
from shop.catalog.v1 import catalog_pb2_grpc, coupons_pb2_grpc, currency_pb2_grpc
from shop.checkout.v1 import checkout_pb2_grpc
from shop.email.v1 import email_pb2_grpc
from shop.identity.v1 import identity_pb2_grpc
from shop.operations.v1 import dead_letters_pb2_grpc
from shop.payment.v1 import payment_pb2_grpc
from shop.recommendation.v1 import recommendation_pb2_grpc
from shop.shipping.v1 import shipping_pb2_grpc

from frontend.config import Config

# The codes that mean "the service cannot answer now", not "the request is wrong".
UNAVAILABLE_CODES = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED,
                     grpc.StatusCode.CANCELLED, grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL}


class BackendError(Exception):
    def __init__(self, service: str, message: str):
        super().__init__(message)
        self.service = service
        self.message = message


class ServiceUnavailable(BackendError):
    """The service is down, slow or failing: the page says so with 503."""


class NotFound(BackendError):
    """What the visitor asked for does not exist: 404."""


class Refused(BackendError):
    """The service refused the request; `reason` (ErrorInfo) and `field` (BadRequest) say
    why, for a message at the right place in a form."""

    def __init__(self, service: str, code: grpc.StatusCode, message: str, reason: str = "",
                 metadata: dict[str, str] | None = None, field: str = ""):
        super().__init__(service, message)
        self.code, self.reason, self.metadata, self.field = code, reason, metadata or {}, field


def translate(service: str, error: grpc.RpcError) -> BackendError:
    code = error.code()
    message = error.details() or code.name
    if code in UNAVAILABLE_CODES:
        return ServiceUnavailable(service, message)
    if code == grpc.StatusCode.NOT_FOUND:
        return NotFound(service, message)
    reason, metadata = status_details.reason_of(error)
    return Refused(service, code, message, reason, metadata, status_details.field_of(error))


class Service:
    """One service's stubs: `service.Method(request)` calls it with the deadline and the
    metadata, and raises a BackendError instead of grpc.RpcError."""

    def __init__(self, name: str, stubs: list, timeout: float, metadata: Callable[[], tuple]):
        self._name, self._stubs, self._timeout, self._metadata = name, stubs, timeout, metadata

    def __getattr__(self, method: str):
        for stub in self._stubs:
            if hasattr(stub, method):
                rpc = getattr(stub, method)
                break
        else:
            raise AttributeError(f"{self._name} has no RPC {method}")

        def call(request, timeout: float | None = None):
            try:
                return rpc(request, timeout=timeout or self._timeout, metadata=self._metadata())
            except grpc.RpcError as error:
                raise translate(self._name, error) from None

        return call


# The services that carry out admin actions and keep their part of the audit log.
AUDITED = ("catalog", "checkout", "identity")


class Backends:
    """Channels to every service the website calls, made once per process."""

    def __init__(self, config: Config, metadata: Callable[[], tuple] = tuple):
        self._channels = {name: rpc_spans.traced(grpc.insecure_channel(address)) for name, address in (
            ("catalog", config.catalog_addr), ("cart", config.cart_addr), ("checkout", config.checkout_addr),
            ("shipping", config.shipping_addr), ("identity", config.identity_addr),
            ("payment", config.payment_addr), ("email", config.email_addr),
            ("recommendation", config.recommendation_addr))}
        c, timeout = self._channels, config.rpc_timeout
        self.catalog = Service("catalog", [catalog_pb2_grpc.CatalogServiceStub(c["catalog"]),
                                           currency_pb2_grpc.CurrencyServiceStub(c["catalog"]),
                                           coupons_pb2_grpc.CouponServiceStub(c["catalog"])], timeout, metadata)
        self.cart = Service("cart", [cart_pb2_grpc.CartServiceStub(c["cart"])], timeout, metadata)
        self.checkout = Service("checkout", [checkout_pb2_grpc.CheckoutServiceStub(c["checkout"]),
                                             dead_letters_pb2_grpc.DeadLetterServiceStub(c["checkout"])], timeout,
                                metadata)
        self.shipping = Service("shipping", [shipping_pb2_grpc.ShippingServiceStub(c["shipping"])], timeout, metadata)
        self.identity = Service("identity", [identity_pb2_grpc.IdentityServiceStub(c["identity"])], timeout, metadata)
        self.payment = Service("payment", [payment_pb2_grpc.PaymentServiceStub(c["payment"])], timeout, metadata)
        self.email = Service("email", [email_pb2_grpc.EmailServiceStub(c["email"])], timeout, metadata)
        self.recommendation = Service("recommendation", [
            recommendation_pb2_grpc.RecommendationServiceStub(c["recommendation"])], timeout, metadata)
        # Each service's part of the audit log of admin actions (docs/decisions/0013);
        # identity's also takes the website's own actions.
        self.audit_logs = {name: Service(f"{name} audit log", [audit_pb2_grpc.AuditLogServiceStub(c[name])], timeout,
                                         metadata) for name in AUDITED}

    def close(self) -> None:
        for channel in self._channels.values():
            channel.close()
