"""The spans a traced process wrote to its SHOP_TRACE_FILE (one JSON object a line,
service_runtime/tracing_sdk.span_record), as the tracing tests read them."""
from __future__ import annotations

import json
from pathlib import Path


def read_spans(trace_file: Path) -> list[dict]:
    if not trace_file.exists():
        return []
    return [json.loads(line) for line in trace_file.read_text().splitlines() if line.strip()]
