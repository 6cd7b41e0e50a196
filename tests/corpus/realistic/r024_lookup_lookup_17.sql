-- revision: r024_lookup_lookup_17
-- parents: r023_create_events_16
-- message: lookup table with rows
-- +upgrade
CREATE TABLE lookup_17 (id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE, label TEXT NOT NULL);
INSERT INTO lookup_17 (id, code, label) VALUES
  (1, 'a', 'Alpha'),
  (2, 'b', 'Beta'),
  (3, 'c', 'It''s; a "quoted" label');
-- +downgrade
DROP TABLE lookup_17;
