-- revision: r065_trigger_touch_touched_at_42
-- parents: r064_merge
-- message: keep documents_20.touched_at_42 current
-- +upgrade postgresql
ALTER TABLE documents_20 ADD COLUMN touched_at_42 TIMESTAMP;
CREATE FUNCTION touch_touched_at_42() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.touched_at_42 := now(); -- a semicolon inside the body
  RETURN NEW;
END
$$;
CREATE TRIGGER touch_touched_at_42 BEFORE UPDATE ON documents_20
  FOR EACH ROW EXECUTE FUNCTION touch_touched_at_42();
-- +upgrade sqlite
ALTER TABLE documents_20 ADD COLUMN touched_at_42 TIMESTAMP;
CREATE TRIGGER touch_touched_at_42 AFTER UPDATE OF name ON documents_20
BEGIN
  UPDATE documents_20 SET touched_at_42 = CURRENT_TIMESTAMP WHERE id = NEW.id;
END;
-- +downgrade postgresql
DROP TRIGGER touch_touched_at_42 ON documents_20;
DROP FUNCTION touch_touched_at_42();
ALTER TABLE documents_20 DROP COLUMN touched_at_42;
-- +downgrade sqlite
DROP TRIGGER touch_touched_at_42;
ALTER TABLE documents_20 DROP COLUMN touched_at_42;
