-- revision: r367_trigger_touch_touched_at_252
-- parents: r365_merge
-- message: keep projects_220.touched_at_252 current
-- +upgrade postgresql
ALTER TABLE projects_220 ADD COLUMN touched_at_252 TIMESTAMP;
CREATE FUNCTION touch_touched_at_252() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.touched_at_252 := now(); -- a semicolon inside the body
  RETURN NEW;
END
$$;
CREATE TRIGGER touch_touched_at_252 BEFORE UPDATE ON projects_220
  FOR EACH ROW EXECUTE FUNCTION touch_touched_at_252();
-- +upgrade sqlite
ALTER TABLE projects_220 ADD COLUMN touched_at_252 TIMESTAMP;
CREATE TRIGGER touch_touched_at_252 AFTER UPDATE OF name ON projects_220
BEGIN
  UPDATE projects_220 SET touched_at_252 = CURRENT_TIMESTAMP WHERE id = NEW.id;
END;
-- +downgrade postgresql
DROP TRIGGER touch_touched_at_252 ON projects_220;
DROP FUNCTION touch_touched_at_252();
ALTER TABLE projects_220 DROP COLUMN touched_at_252;
-- +downgrade sqlite
DROP TRIGGER touch_touched_at_252;
ALTER TABLE projects_220 DROP COLUMN touched_at_252;
