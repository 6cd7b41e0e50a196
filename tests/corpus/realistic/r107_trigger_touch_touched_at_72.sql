-- revision: r107_trigger_touch_touched_at_72
-- parents: r106_merge
-- message: keep projects_34.touched_at_72 current
-- +upgrade postgresql
ALTER TABLE projects_34 ADD COLUMN touched_at_72 TIMESTAMP;
CREATE FUNCTION touch_touched_at_72() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.touched_at_72 := now(); -- a semicolon inside the body
  RETURN NEW;
END
$$;
CREATE TRIGGER touch_touched_at_72 BEFORE UPDATE ON projects_34
  FOR EACH ROW EXECUTE FUNCTION touch_touched_at_72();
-- +upgrade sqlite
ALTER TABLE projects_34 ADD COLUMN touched_at_72 TIMESTAMP;
CREATE TRIGGER touch_touched_at_72 AFTER UPDATE OF name ON projects_34
BEGIN
  UPDATE projects_34 SET touched_at_72 = CURRENT_TIMESTAMP WHERE id = NEW.id;
END;
-- +downgrade postgresql
DROP TRIGGER touch_touched_at_72 ON projects_34;
DROP FUNCTION touch_touched_at_72();
ALTER TABLE projects_34 DROP COLUMN touched_at_72;
-- +downgrade sqlite
DROP TRIGGER touch_touched_at_72;
ALTER TABLE projects_34 DROP COLUMN touched_at_72;
