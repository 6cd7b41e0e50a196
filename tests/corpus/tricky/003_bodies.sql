-- revision: 003_bodies
-- parents: 002_comments
-- message: function and trigger bodies with their own semicolons and CASE ... END
-- +upgrade postgresql
CREATE FUNCTION add_one(i integer) RETURNS integer LANGUAGE sql
BEGIN ATOMIC
  SELECT i + 1;
END;
CREATE FUNCTION fill_body() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
  NEW.body := CASE WHEN NEW.body IS NULL THEN 'empty;' ELSE NEW.body END;
  RETURN NEW;
END;
$body$;
CREATE TRIGGER notes_fill BEFORE INSERT ON notes FOR EACH ROW EXECUTE FUNCTION fill_body();
-- +upgrade sqlite
CREATE TRIGGER notes_fill AFTER INSERT ON notes
BEGIN
  UPDATE notes SET body = CASE WHEN NEW.body IS NULL THEN 'empty;' ELSE NEW.body END
  WHERE id = NEW.id;
END;
-- +downgrade postgresql
DROP TRIGGER notes_fill ON notes;
DROP FUNCTION fill_body();
DROP FUNCTION add_one(integer);
-- +downgrade sqlite
DROP TRIGGER notes_fill;
