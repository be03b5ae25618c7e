"""Rich error details (google.rpc.ErrorInfo, google.rpc.BadRequest) on gRPC statuses.

A domain error stays free of protobuf: it may carry plain attributes, which the server
interceptor turns into standard details:
- `reason` (and optionally `metadata`, a dict of strings): an ErrorInfo, e.g. reason
  OUT_OF_STOCK with metadata {"product_id": "..."};
- `field` (e.g. "address.postal_code"): a BadRequest naming the field, with the error's
  message as the description.
Clients read them back with `reason_of` and `field_of`."""
from __future__ import annotations

import grpc
from google.protobuf import any_pb2, json_format
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

DOMAIN = "shop"
_DETAILS_KEY = "grpc-status-details-bin"


def rich_status(code: grpc.StatusCode, message: str, exc: BaseException) -> grpc.Status | None:
    """The status with details for an error that carries any; None when it carries none."""
    details = []
    reason = getattr(exc, "reason", None)
    if reason:
        info = error_details_pb2.ErrorInfo(reason=reason, domain=DOMAIN,
                                           metadata=dict(getattr(exc, "metadata", None) or {}))
        details.append(info)
    field = getattr(exc, "field", None)
    if field:
        details.append(error_details_pb2.BadRequest(
            field_violations=[error_details_pb2.BadRequest.FieldViolation(field=field, description=message)]))
    if not details:
        return None
    packed = []
    for detail in details:
        holder = any_pb2.Any()
        holder.Pack(detail)
        packed.append(holder)
    return rpc_status.to_status(status_pb2.Status(code=code.value[0], message=message, details=packed))


def _status_of(error: grpc.aio.AioRpcError) -> status_pb2.Status | None:
    for key, value in error.trailing_metadata() or ():
        if key == _DETAILS_KEY:
            return status_pb2.Status.FromString(value)
    return None


def _details(error: grpc.aio.AioRpcError, kind):
    status = _status_of(error)
    for holder in status.details if status else ():
        if holder.Is(kind.DESCRIPTOR):
            detail = kind()
            holder.Unpack(detail)
            yield detail


def reason_of(error: grpc.aio.AioRpcError) -> tuple[str, dict[str, str]]:
    """The ErrorInfo reason and metadata of a failed call, or ("", {})."""
    for info in _details(error, error_details_pb2.ErrorInfo):
        return info.reason, dict(info.metadata)
    return "", {}


def field_of(error: grpc.aio.AioRpcError) -> str:
    """The first field a BadRequest of a failed call names, or ""."""
    for bad_request in _details(error, error_details_pb2.BadRequest):
        for violation in bad_request.field_violations:
            return violation.field
    return ""


def details_json(error: grpc.aio.AioRpcError) -> list[dict]:
    """The details as proto3 JSON (with their "@type"), for an HTTP error body."""
    status = _status_of(error)
    return [json_format.MessageToDict(holder) for holder in status.details] if status else []
