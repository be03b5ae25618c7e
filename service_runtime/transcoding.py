"""google.api.http transcoding: routes from a service's annotations, and HTTP
requests (path, query, JSON body) turned into request messages. Pure: no I/O."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

import grpc
from google.api import annotations_pb2, http_pb2
from google.protobuf import json_format
from google.protobuf.descriptor import FieldDescriptor, MethodDescriptor, ServiceDescriptor

# The standard gRPC -> HTTP mapping (google/rpc/code.proto, as grpc-gateway applies it).
HTTP_STATUS_BY_CODE: dict[grpc.StatusCode, int] = {
    grpc.StatusCode.OK: 200,
    grpc.StatusCode.CANCELLED: 499,
    grpc.StatusCode.UNKNOWN: 500,
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.FAILED_PRECONDITION: 400,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.INTERNAL: 500,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DATA_LOSS: 500,
}

_SEGMENT_LITERAL = re.compile(r"^[A-Za-z0-9._~-]+$")
_VARIABLE = re.compile(r"^\{([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)*)\}$")
_VERB = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")


class UnsupportedRule(ValueError):
    """An annotation this transcoder does not serve; raised at start, never per request."""


class BadHttpRequest(ValueError):
    """The HTTP request cannot become the RPC's request message (a 400)."""


@dataclass(frozen=True)
class Route:
    """One HTTP binding of one RPC."""

    http_method: str          # GET, POST, ...
    template: str             # as annotated, e.g. /v1/products/{id}
    pattern: str              # aiohttp route pattern, e.g. /v1/products/{v0}
    variables: tuple[str, ...]  # field paths, in the order of v0, v1, ...
    body: str                 # "", "*" or a top-level field name
    method: MethodDescriptor

    @property
    def rpc_path(self) -> str:
        return f"/{self.method.containing_service.full_name}/{self.method.name}"


def parse_template(template: str) -> tuple[str, tuple[str, ...]]:
    """Turn `/v1/a/{x.y}/b:verb` into an aiohttp pattern and its variables' field paths."""
    if not template.startswith("/"):
        raise UnsupportedRule(f"template {template!r} must start with '/'")
    path, verb = template, ""
    last = template[template.rfind("/") + 1:]
    colon = last.rfind(":")
    if colon > last.rfind("}"):  # a ':' after the last variable starts a custom verb
        verb = last[colon + 1:]
        path = template[: len(template) - len(last) + colon]
        if not _VERB.match(verb):
            raise UnsupportedRule(f"template {template!r} has an unsupported verb {verb!r}")
    segments = path.split("/")[1:]
    parts, variables = [], []
    for position, segment in enumerate(segments):
        variable = _VARIABLE.match(segment)
        if variable:
            # The last segment stops at ':' when a verb follows it.
            allowed = "[^/:]+" if verb and position == len(segments) - 1 else "[^/]+"
            parts.append("{v%d:%s}" % (len(variables), allowed))
            variables.append(variable.group(1))
        elif _SEGMENT_LITERAL.match(segment):
            parts.append(segment)
        else:
            raise UnsupportedRule(f"template {template!r}: segment {segment!r} is not supported")
    pattern = "/" + "/".join(parts) + (f":{verb}" if verb else "")
    return pattern, tuple(variables)


def _bindings(rule: http_pb2.HttpRule) -> Iterable[http_pb2.HttpRule]:
    yield rule
    yield from rule.additional_bindings


def routes_for(service: ServiceDescriptor) -> list[Route]:
    """Every HTTP binding annotated on the service's methods, checked against the messages."""
    routes = []
    for method in service.methods:
        options = method.GetOptions()
        if not options.HasExtension(annotations_pb2.http):
            continue
        for binding in _bindings(options.Extensions[annotations_pb2.http]):
            kind = binding.WhichOneof("pattern")
            if kind not in ("get", "put", "post", "delete", "patch"):
                raise UnsupportedRule(f"{method.full_name}: pattern {kind!r} is not supported")
            if binding.response_body:
                raise UnsupportedRule(f"{method.full_name}: response_body is not supported")
            template = getattr(binding, kind)
            pattern, variables = parse_template(template)
            for field_path in variables:
                field = _field_at(method.input_type, field_path)
                if field.type == FieldDescriptor.TYPE_MESSAGE or field.is_repeated:
                    raise UnsupportedRule(f"{method.full_name}: path variable {field_path!r} must be a scalar")
            if binding.body not in ("", "*"):
                if binding.body not in method.input_type.fields_by_name:
                    raise UnsupportedRule(f"{method.full_name}: body field {binding.body!r} does not exist")
            if kind in ("get", "delete") and binding.body:
                raise UnsupportedRule(f"{method.full_name}: {kind.upper()} cannot carry a body")
            routes.append(Route(kind.upper(), template, pattern, variables, binding.body, method))
    return routes


def _field_at(message, field_path: str) -> FieldDescriptor:
    """The field a dotted path names; UnsupportedRule if it names nothing or a repeated field."""
    field = None
    for name in field_path.split("."):
        if message is None:
            raise UnsupportedRule(f"{field_path!r} goes through a non-message field")
        field = message.fields_by_name.get(name)
        if field is None:
            raise UnsupportedRule(f"{message.full_name} has no field {name!r} (from {field_path!r})")
        message = field.message_type
    return field


def _resolve_query_path(message, dotted: str) -> tuple[list[str], FieldDescriptor]:
    """Field names (proto spelling) along a query parameter's dotted path, accepting either
    the proto name or its lowerCamelCase JSON name at each step."""
    names, field = [], None
    for part in dotted.split("."):
        if message is None:
            raise BadHttpRequest(f"unknown query parameter {dotted!r}")
        field = message.fields_by_name.get(part) or next(
            (f for f in message.fields if f.json_name == part), None
        )
        if field is None:
            raise BadHttpRequest(f"unknown query parameter {dotted!r}")
        names.append(field.name)
        message = field.message_type if field.type == FieldDescriptor.TYPE_MESSAGE else None
    return names, field


# Message types whose JSON form is a string, so they can come from a path or query.
_STRING_FORM_MESSAGES = {
    "google.protobuf.Timestamp", "google.protobuf.Duration", "google.protobuf.FieldMask",
}


def _json_scalar(field: FieldDescriptor, raw: str) -> Any:
    """A query or path string as the JSON value json_format expects for the field."""
    if field.type == FieldDescriptor.TYPE_BOOL:
        if raw in ("true", "1"):
            return True
        if raw in ("false", "0"):
            return False
        raise BadHttpRequest(f"{field.name} must be true or false, got {raw!r}")
    if field.type == FieldDescriptor.TYPE_MESSAGE and field.message_type.full_name not in _STRING_FORM_MESSAGES:
        raise BadHttpRequest(f"{field.name} cannot be given as a query parameter")
    return raw


def _put(tree: dict, names: list[str], value: Any, *, repeated: bool) -> None:
    for name in names[:-1]:
        node = tree.setdefault(name, {})
        if not isinstance(node, dict):
            raise BadHttpRequest(f"{'.'.join(names)} conflicts with another parameter")
        tree = node
    leaf = names[-1]
    if repeated:
        tree.setdefault(leaf, []).append(value)
    elif leaf in tree:
        raise BadHttpRequest(f"{'.'.join(names)} is given more than once")
    else:
        tree[leaf] = value


def build_request(
    route: Route,
    path_values: Mapping[str, str],
    query: Iterable[tuple[str, str]],
    body: Any,
    message_class,
):
    """The request message for one HTTP call: body first, then query, then path (path
    variables win: a body cannot redirect a call to another resource). Where the whole
    request is the body, an empty body is an object with no fields: an action that needs
    none (cancel) takes a bare POST, and one that needs some names what is missing."""
    tree: dict[str, Any] = {}
    if route.body == "*":
        if body is None:
            body = {}
        if not isinstance(body, dict):
            raise BadHttpRequest("the request body must be a JSON object")
        tree = dict(body)
    elif route.body:
        if body is None:
            raise BadHttpRequest(f"the request body ({route.body}) is required")
        tree[route.body] = body
    elif body is not None:
        raise BadHttpRequest("this request takes no body")

    descriptor = route.method.input_type
    for key, raw in query:
        if route.body == "*":
            raise BadHttpRequest(f"unknown query parameter {key!r}: this request takes its fields in the body")
        names, field = _resolve_query_path(descriptor, key)
        if route.body and names[0] == route.body:
            raise BadHttpRequest(f"{key} belongs in the request body")
        if ".".join(names) in route.variables:
            raise BadHttpRequest(f"{key} is already given by the URL path")
        _put(tree, names, _json_scalar(field, raw), repeated=field.is_repeated)

    for index, field_path in enumerate(route.variables):
        names = field_path.split(".")
        node = tree
        for name in names[:-1]:
            child = node.get(name)
            if child is None:
                child = node[name] = {}
            if not isinstance(child, dict):
                raise BadHttpRequest(f"{name} must be a JSON object")
            node = child
        node[names[-1]] = _json_scalar(_field_at(descriptor, field_path), path_values[f"v{index}"])

    _mask_from_body(route, tree, body)
    message = message_class()
    try:
        json_format.ParseDict(tree, message)
    except json_format.ParseError as exc:
        raise BadHttpRequest(f"invalid request: {exc}") from None
    return message


def _mask_from_body(route: Route, tree: dict, body: Any) -> None:
    """A PATCH without update_mask changes exactly the fields its body names (as
    grpc-gateway does): the mask is made from the body's keys, so `{"stock": 0}` sets the
    stock to 0 instead of being read as "no stock given". Fields the path gives (the id)
    are not changes."""
    if route.http_method != "PATCH" or not route.body or route.body == "*" or not isinstance(body, dict):
        return
    request_fields = route.method.input_type.fields_by_name
    mask_field = request_fields.get("update_mask")
    if mask_field is None or mask_field.message_type is None \
            or mask_field.message_type.full_name != "google.protobuf.FieldMask" or "update_mask" in tree:
        return
    target = request_fields[route.body].message_type
    # A FieldMask's JSON form: the fields' JSON names, comma-separated. An unknown key is
    # kept as it is: ParseDict then refuses the body, naming it.
    json_name = {f.json_name: f.json_name for f in target.fields} | {f.name: f.json_name for f in target.fields}
    from_path = {json_name.get(v.split(".", 1)[1]) for v in route.variables if v.startswith(route.body + ".")}
    paths = [json_name.get(key, key) for key in body]
    paths = [path for path in paths if path not in from_path]
    if paths:
        tree["update_mask"] = ",".join(paths)


def response_json(message) -> dict:
    """The proto3 JSON form of a response, zero values included so clients see them."""
    return json_format.MessageToDict(message, always_print_fields_with_no_presence=True)


def http_status(code: grpc.StatusCode) -> int:
    """The HTTP status of a gRPC status code, for the API and the website alike
    (docs/decisions/0010: google.rpc.Code's own mapping)."""
    return HTTP_STATUS_BY_CODE.get(code, 500)


def error_json(code: grpc.StatusCode, message: str) -> tuple[int, dict]:
    status = http_status(code)
    return status, {"error": {"code": status, "status": code.name, "message": message}}
