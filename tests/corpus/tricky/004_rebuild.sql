-- revision: 004_rebuild
-- parents: 003_bodies
-- message: a new NOT NULL column on a table other rows reference (SQLite: the 12-step rebuild)
-- sqlite-foreign-keys: off
-- +upgrade postgresql
CREATE TABLE authors (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE books (id INTEGER PRIMARY KEY, author_id INTEGER NOT NULL REFERENCES authors (id) ON DELETE CASCADE);
INSERT INTO authors VALUES (1, 'a'), (2, 'b');
INSERT INTO books VALUES (1, 1), (2, 1), (3, 2);
ALTER TABLE authors ADD COLUMN country TEXT NOT NULL DEFAULT 'unknown';
-- +upgrade sqlite
CREATE TABLE authors (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE books (id INTEGER PRIMARY KEY, author_id INTEGER NOT NULL REFERENCES authors (id) ON DELETE CASCADE);
INSERT INTO authors VALUES (1, 'a'), (2, 'b');
INSERT INTO books VALUES (1, 1), (2, 1), (3, 2);
CREATE TABLE authors_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL, country TEXT NOT NULL DEFAULT 'unknown');
INSERT INTO authors_new (id, name) SELECT id, name FROM authors;
DROP TABLE authors;
ALTER TABLE authors_new RENAME TO authors;
-- +downgrade
DROP TABLE books;
DROP TABLE authors;
