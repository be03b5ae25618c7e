-- Pruning (service_runtime/pruning.py) deletes sent outbox rows and processed-event ids by
-- age; these indexes let it find them without reading the whole table.
CREATE INDEX outbox_sent_at_idx ON outbox (sent_at) WHERE sent_at IS NOT NULL;
CREATE INDEX processed_events_processed_at_idx ON processed_events (processed_at);
