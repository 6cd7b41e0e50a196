-- revision: r104_lookup_lookup_70
-- parents: r103_merge
-- message: lookup table with rows
-- +upgrade
CREATE TABLE lookup_70 (id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE, label TEXT NOT NULL);
INSERT INTO lookup_70 (id, code, label) VALUES
  (1, 'a', 'Alpha'),
  (2, 'b', 'Beta'),
  (3, 'c', 'It''s; a "quoted" label');
-- +downgrade
DROP TABLE lookup_70;
