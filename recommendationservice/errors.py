"""What can go wrong in recommendations, named. server.py maps each to a status code."""
from __future__ import annotations

import re

_FIELD_PATH = re.compile(r"^[a-z_]+(\[\d+\])?(\.[a-z_]+)*$")


class RecommendationError(Exception):
    """Base of the service's named errors; the message is meant for the caller."""


class InvalidArgument(RecommendationError):
    """Messages begin with the field they are about ("limit must be ...", "product_ids[3]
    ..."); that field becomes the status's google.rpc.BadRequest field."""

    @property
    def field(self) -> str:
        first = str(self).split(" ", 1)[0].rstrip(":")
        return first if _FIELD_PATH.match(first) else ""


class DependencyUnavailable(RecommendationError):
    """The catalog did not answer in time: without it no suggestion can be checked, so
    none is made. The caller may retry."""


class InvalidEvent(RecommendationError):
    """An order event that cannot teach anything as it stands (no order id, a line
    without a product); retrying cannot help."""
