-- revision: r111_lookup_lookup_75
-- parents: r109_merge
-- message: lookup table with rows
-- +upgrade
CREATE TABLE lookup_75 (id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE, label TEXT NOT NULL);
INSERT INTO lookup_75 (id, code, label) VALUES
  (1, 'a', 'Alpha'),
  (2, 'b', 'Beta'),
  (3, 'c', 'It''s; a "quoted" label');
-- +downgrade
DROP TABLE lookup_75;
