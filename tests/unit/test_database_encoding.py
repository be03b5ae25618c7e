"""A database that is not UTF8 is refused in one line that names it and its encoding, and
the service stops with that line alone (no traceback), exit code 2."""
import pytest

from service_runtime import schema
from service_runtime.host import run


@pytest.mark.parametrize("encoding", ["UTF8", "utf8"])
def test_a_utf8_database_is_fine(encoding):
    assert schema.encoding_problem("catalog", encoding) is None


@pytest.mark.parametrize("encoding", ["SQL_ASCII", "LATIN1", "WIN1252", "EUC_JP"])
def test_any_other_encoding_is_named_with_the_database_and_the_cure(encoding):
    assert schema.encoding_problem("catalog", encoding) == (
        f'database "catalog" has encoding {encoding}; the shop needs UTF8 '
        "(create it with ENCODING 'UTF8', or initdb --encoding=UTF8)"
    )


def test_a_start_up_error_stops_the_service_with_one_line_after_its_name(monkeypatch, capsys):
    for name in ("SHOP_TRACE_FILE", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG"):
        monkeypatch.delenv(name, raising=False)  # tracing off: nothing global is installed

    async def main():
        raise schema.DatabaseEncodingError(schema.encoding_problem("catalog", "SQL_ASCII"))

    with pytest.raises(SystemExit) as stopped:
        run(main, service="catalogservice")
    assert stopped.value.code == 2
    out, err = capsys.readouterr()
    assert err.splitlines() == [f'catalogservice: {schema.encoding_problem("catalog", "SQL_ASCII")}']
    assert "Traceback" not in out + err
