ALTER TABLE t ADD COLUMN k TEXT NOT NULL;
ALTER TABLE t DROP COLUMN n;
-- lint: allow drop-column: gone
DROP TABLE t;
