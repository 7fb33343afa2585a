CREATE INDEX items_by_missing_column ON items (no_such_column);
