"""Tables that would only grow, kept bounded: a periodic worker deletes rows that can no
longer matter, in small batches, and reports every such table's size.

- `outbox`: rows the broker confirmed (`sent_at`), after OUTBOX_KEEP_SENT_SECONDS (a day):
  each holds a whole event, and once sent nothing reads it but a person investigating.
- `processed_events`: the ids consumers record so a redelivered event does nothing twice,
  after PROCESSED_EVENTS_KEEP_SECONDS (a week). An event comes again only while it is in
  flight: an acknowledgement lost with a connection, a publish confirmed twice, a message
  replayed from a dead-letter queue (which was never processed, so has no id here). Each
  of these is minutes, not days, so a week keeps every id far past its last redelivery;
  the setting refuses anything under an hour.
- a service's own tombstones (the catalog's released stock reservations, which stop a
  late retry of a released order from reserving again), by a rule the service adds.

Counts go to `shop_table_rows{table}` at every round, so growth shows on the dashboard."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Iterable

from prometheus_client import Counter, Gauge
from psycopg import sql
from psycopg_pool import AsyncConnectionPool

from service_runtime.config import ConfigError, Env
from service_runtime.periodic import Periodic

log = logging.getLogger("service_runtime.pruning")

TABLE_ROWS = Gauge("shop_table_rows", "Rows in a table that grows with traffic, counted at each pruning round.",
                   ["table"])
PRUNED = Counter("shop_rows_pruned_total", "Rows deleted because they can no longer matter, by table.", ["table"])

HOUR, DAY = 3600.0, 86400.0
# Rows deleted per statement: short transactions, however far behind the pruning is.
BATCH = 1000


@dataclass(frozen=True)
class Rule:
    """Delete rows of `table` for which `expired` holds: SQL over the row, where {cutoff}
    stands for the database's now() minus keep_seconds (the clock that wrote the rows)."""

    table: str
    expired: str
    keep_seconds: float


def messaging_rules(env: Env | None = None) -> list[Rule]:
    """The rules for the outbox and processed-events tables every messaging service has."""
    env = env or Env()
    keep_sent = env.float("OUTBOX_KEEP_SENT_SECONDS", DAY, minimum=60.0)
    keep_processed = env.float("PROCESSED_EVENTS_KEEP_SECONDS", 7 * DAY, minimum=0.0)
    if keep_processed < HOUR:
        raise ConfigError("PROCESSED_EVENTS_KEEP_SECONDS must be at least 3600: an id must outlive every "
                          f"redelivery of its event, got {keep_processed:g}")
    return [Rule("outbox", "sent_at < {cutoff}", keep_sent),
            Rule("processed_events", "processed_at < {cutoff}", keep_processed)]


def interval(env: Env | None = None) -> float:
    return (env or Env()).float("PRUNE_INTERVAL_SECONDS", 600.0, minimum=0.1)


def pruner(pool: AsyncConnectionPool, *own: Rule, env: Env | None = None) -> "Pruner":
    """The worker a service with a database runs: the messaging tables' rules, then the
    service's own, every PRUNE_INTERVAL_SECONDS (600)."""
    env = env or Env()
    return Pruner(pool, [*messaging_rules(env), *own], every=interval(env))


class Pruner(Periodic):
    def __init__(self, pool: AsyncConnectionPool, rules: Iterable[Rule], *, every: float):
        super().__init__("pruning", every, self.round)
        self._pool = pool
        self._rules = list(rules)
        for rule in self._rules:
            TABLE_ROWS.labels(rule.table)

    async def round(self) -> bool:
        """One batch per table, then the counts; True when a batch was full (more to do)."""
        more = False
        async with self._pool.connection() as conn:
            for rule in self._rules:
                table = sql.Identifier(rule.table)
                expired = sql.SQL(rule.expired).format(cutoff=sql.SQL("now() - make_interval(secs => %(keep)s)"))
                cur = await conn.execute(
                    sql.SQL("DELETE FROM {table} WHERE ctid IN (SELECT ctid FROM {table} WHERE {expired} LIMIT %(batch)s)")
                    .format(table=table, expired=expired),
                    {"keep": rule.keep_seconds, "batch": BATCH})
                if cur.rowcount:
                    PRUNED.labels(rule.table).inc(cur.rowcount)
                    log.info("pruned", extra={"table": rule.table, "rows": cur.rowcount})
                more = more or cur.rowcount == BATCH
                count = await conn.execute(sql.SQL("SELECT count(*) FROM {table}").format(table=table))
                TABLE_ROWS.labels(rule.table).set((await count.fetchone())[0])
        return more

