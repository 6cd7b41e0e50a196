-- revision: 002_comments
-- parents: 001_quoting
-- message: comments that hold semicolons, nested where the engine nests them
-- +upgrade postgresql
/* outer /* inner; */ still a comment; */
CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT); -- trailing; comment
/* a; */ INSERT INTO tags VALUES (1, 'a');
-- +upgrade sqlite
/* SQLite comments do not nest; this one ends here: */
CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT); -- trailing; comment
/* a; */ INSERT INTO tags VALUES (1, 'a');
-- +downgrade
DROP TABLE tags;
