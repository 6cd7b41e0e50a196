-- revision: r168_lookup_lookup_114
-- parents: r165_merge
-- message: lookup table with rows
-- +upgrade
CREATE TABLE lookup_114 (id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE, label TEXT NOT NULL);
INSERT INTO lookup_114 (id, code, label) VALUES
  (1, 'a', 'Alpha'),
  (2, 'b', 'Beta'),
  (3, 'c', 'It''s; a "quoted" label');
-- +downgrade
DROP TABLE lookup_114;
