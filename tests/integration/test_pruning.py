"""Tables that only grew are pruned by the running services (service_runtime/pruning.py):
sent outbox rows, processed-event ids and the catalog's released reservations go after
their keep time, everything younger (and every unsent event) stays, a redelivery inside
the window is still recognised, and each table's size is in the metrics."""
import uuid

import psycopg
import pytest

from service_runtime import db, schema
from tests.support import metrics
from tests.support.services import ServiceProcess, wait_until

HOUR = 3600


@pytest.fixture
def own_vhost(rabbitmq):
    with rabbitmq.vhost(f"pruning-{uuid.uuid4().hex[:8]}") as url:
        yield url


def fresh_database(postgres, purpose: str) -> str:
    name = f"{purpose}_{uuid.uuid4().hex[:8]}"
    postgres.create_databases([name])
    return postgres.url(name)


def started(module: str, database_url: str, amqp_url: str, tmp_path, **env) -> ServiceProcess:
    return ServiceProcess(module, {"DATABASE_URL": database_url, "AMQP_URL": amqp_url,
                                   "PRUNE_INTERVAL_SECONDS": "0.5", **env}, tmp_path / f"{module}.log").start()


def count(database_url: str, query: str) -> int:
    with psycopg.connect(database_url) as conn:
        return conn.execute(query).fetchone()[0]


def test_sent_events_and_old_ids_go_the_rest_stays_and_a_redelivery_is_still_caught(postgres, own_vhost, tmp_path):
    url = fresh_database(postgres, "pruning_payment")
    schema.apply_migrations(url, db.MESSAGING_MIGRATIONS)
    with psycopg.connect(url) as conn:
        conn.execute("""INSERT INTO outbox (exchange, message_type, event_id, body, created_at, sent_at) VALUES
                        ('x', 't', 'sent-long-ago', '', now() - interval '3 hours', now() - interval '2 hours'),
                        ('x', 't', 'sent-just-now', '', now(), now()),
                        ('x', 't', 'never-sent-old', '', now() - interval '3 hours', NULL)""")
        conn.execute("""INSERT INTO processed_events (event_id, message_type, processed_at) VALUES
                        ('handled-long-ago', 't', now() - interval '2 hours'),
                        ('handled-recently', 't', now() - interval '10 minutes')""")
    service = started("paymentservice", url, own_vhost, tmp_path,
                      OUTBOX_KEEP_SENT_SECONDS=str(HOUR), PROCESSED_EVENTS_KEEP_SECONDS=str(HOUR))
    try:
        wait_until(lambda: count(url, "SELECT count(*) FROM processed_events WHERE event_id = 'handled-long-ago'") == 0
                   and count(url, "SELECT count(*) FROM outbox WHERE event_id = 'sent-long-ago'") == 0,
                   20, "the old rows pruned")
        with psycopg.connect(url) as conn:
            outbox = {row[0] for row in conn.execute("SELECT event_id FROM outbox")}
            assert {"sent-just-now", "never-sent-old"} <= outbox, "young and unsent events stay"
            # A redelivery of an event handled inside the window is still recognised (claim's insert).
            again = conn.execute("INSERT INTO processed_events (event_id, message_type) VALUES ('handled-recently', 't') "
                                 "ON CONFLICT (event_id) DO NOTHING")
            assert again.rowcount == 0
        wait_until(lambda: metrics.value(service.http_url, "shop_table_rows", table="outbox")
                   == count(url, "SELECT count(*) FROM outbox"), 10, "the outbox's size in the metrics")
        assert metrics.value(service.http_url, "shop_rows_pruned_total", table="processed_events") >= 1
        assert metrics.value(service.http_url, "shop_table_rows", table="processed_events") >= 1
    finally:
        service.stop()


def test_the_catalog_prunes_old_released_reservations_and_keeps_held_ones(postgres, own_vhost, tmp_path):
    url = fresh_database(postgres, "pruning_catalog")
    service = started("catalogservice", url, own_vhost, tmp_path, RELEASED_RESERVATIONS_KEEP_SECONDS=str(HOUR))
    try:
        with psycopg.connect(url) as conn:
            conn.execute("""INSERT INTO stock_reservations (order_id, status, created_at, released_at) VALUES
                            ('released-long-ago', 'released', now() - interval '3 hours', now() - interval '2 hours'),
                            ('released-just-now', 'released', now(), now()),
                            ('held-long', 'reserved', now() - interval '3 hours', NULL)""")
        wait_until(lambda: count(url, "SELECT count(*) FROM stock_reservations WHERE order_id = 'released-long-ago'")
                   == 0, 20, "the old released reservation pruned")
        with psycopg.connect(url) as conn:
            kept = {row[0] for row in conn.execute("SELECT order_id FROM stock_reservations")}
        assert {"released-just-now", "held-long"} <= kept
        assert metrics.value(service.http_url, "shop_table_rows", table="stock_reservations") >= 2
    finally:
        service.stop()
