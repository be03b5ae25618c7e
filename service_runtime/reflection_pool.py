"""The descriptor pool that server reflection reads from, able to find a method.

grpcurl `describe pkg.Service.Method` and ghz ask reflection for the file that holds a
method's full name. The upb-backed default pool finds services, messages and fields, but
not methods, so those tools fail with "Symbol not found". This wrapper answers a method
with its service's file and hands every other lookup to the default pool unchanged."""
from __future__ import annotations

from google.protobuf import descriptor_pool


class MethodAwarePool:
    def __init__(self, pool=None):
        self._pool = pool or descriptor_pool.Default()

    def FindFileContainingSymbol(self, name: str):  # noqa: N802 (the pool's own spelling)
        try:
            return self._pool.FindFileContainingSymbol(name)
        except KeyError:
            service_name, _, method = name.rpartition(".")
            try:
                service = self._pool.FindServiceByName(service_name)
            except KeyError:
                service = None
            if service is not None and method in service.methods_by_name:
                return service.file
            raise

    def __getattr__(self, attribute):
        return getattr(self._pool, attribute)
