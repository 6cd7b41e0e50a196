-- revision: 001_quoting
-- parents:
-- message: every way a semicolon hides in a string or an identifier
-- +upgrade postgresql
CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);
INSERT INTO notes VALUES (1, E'it\'s; tricky');
INSERT INTO notes VALUES (2, 'semi;colon -- not a comment /* nor this */');
INSERT INTO notes VALUES (3, $tag$ a; $$ b; $tag$);
INSERT INTO notes VALUES (4, U&'d\0061t\+000061;');
CREATE TABLE "odd;name" ("c;d" INTEGER);
-- +upgrade sqlite
CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);
INSERT INTO notes VALUES (1, 'it''s; tricky');
INSERT INTO notes VALUES (2, 'semi;colon -- not a comment /* nor this */');
INSERT INTO notes VALUES (3, ' a; $$ b; ');
INSERT INTO notes VALUES (4, 'data;');
CREATE TABLE [odd;name] (`c;d` INTEGER, "e;f" INTEGER);
-- +downgrade postgresql
DROP TABLE "odd;name";
DROP TABLE notes;
-- +downgrade sqlite
DROP TABLE [odd;name];
DROP TABLE notes;
