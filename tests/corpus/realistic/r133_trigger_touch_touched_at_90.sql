-- revision: r133_trigger_touch_touched_at_90
-- parents: r132_merge
-- message: keep projects_73.touched_at_90 current
-- +upgrade postgresql
ALTER TABLE projects_73 ADD COLUMN touched_at_90 TIMESTAMP;
CREATE FUNCTION touch_touched_at_90() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.touched_at_90 := now(); -- a semicolon inside the body
  RETURN NEW;
END
$$;
CREATE TRIGGER touch_touched_at_90 BEFORE UPDATE ON projects_73
  FOR EACH ROW EXECUTE FUNCTION touch_touched_at_90();
-- +upgrade sqlite
ALTER TABLE projects_73 ADD COLUMN touched_at_90 TIMESTAMP;
CREATE TRIGGER touch_touched_at_90 AFTER UPDATE OF name ON projects_73
BEGIN
  UPDATE projects_73 SET touched_at_90 = CURRENT_TIMESTAMP WHERE id = NEW.id;
END;
-- +downgrade postgresql
DROP TRIGGER touch_touched_at_90 ON projects_73;
DROP FUNCTION touch_touched_at_90();
ALTER TABLE projects_73 DROP COLUMN touched_at_90;
-- +downgrade sqlite
DROP TRIGGER touch_touched_at_90;
ALTER TABLE projects_73 DROP COLUMN touched_at_90;
