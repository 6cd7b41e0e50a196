-- revision: r254_lookup_lookup_174
-- parents: r253_require_events_60_slug_173
-- message: lookup table with rows
-- +upgrade
CREATE TABLE lookup_174 (id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE, label TEXT NOT NULL);
INSERT INTO lookup_174 (id, code, label) VALUES
  (1, 'a', 'Alpha'),
  (2, 'b', 'Beta'),
  (3, 'c', 'It''s; a "quoted" label');
-- +downgrade
DROP TABLE lookup_174;
