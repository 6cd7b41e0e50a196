-- revision: r195_trigger_touch_touched_at_133
-- parents: r193_merge
-- message: keep documents_2.touched_at_133 current
-- +upgrade postgresql
ALTER TABLE documents_2 ADD COLUMN touched_at_133 TIMESTAMP;
CREATE FUNCTION touch_touched_at_133() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.touched_at_133 := now(); -- a semicolon inside the body
  RETURN NEW;
END
$$;
CREATE TRIGGER touch_touched_at_133 BEFORE UPDATE ON documents_2
  FOR EACH ROW EXECUTE FUNCTION touch_touched_at_133();
-- +upgrade sqlite
ALTER TABLE documents_2 ADD COLUMN touched_at_133 TIMESTAMP;
CREATE TRIGGER touch_touched_at_133 AFTER UPDATE OF name ON documents_2
BEGIN
  UPDATE documents_2 SET touched_at_133 = CURRENT_TIMESTAMP WHERE id = NEW.id;
END;
-- +downgrade postgresql
DROP TRIGGER touch_touched_at_133 ON documents_2;
DROP FUNCTION touch_touched_at_133();
ALTER TABLE documents_2 DROP COLUMN touched_at_133;
-- +downgrade sqlite
DROP TRIGGER touch_touched_at_133;
ALTER TABLE documents_2 DROP COLUMN touched_at_133;
