-- Released reservations are pruned by age (service_runtime/pruning.py): found by this index.
CREATE INDEX stock_reservations_released_at_idx ON stock_reservations (released_at) WHERE status = 'released';
