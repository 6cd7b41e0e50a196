-- revision: r292_trigger_touch_touched_at_199
-- parents: r290_require_invoices_156_slug_197
-- message: keep projects_34.touched_at_199 current
-- +upgrade postgresql
ALTER TABLE projects_34 ADD COLUMN touched_at_199 TIMESTAMP;
CREATE FUNCTION touch_touched_at_199() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.touched_at_199 := now(); -- a semicolon inside the body
  RETURN NEW;
END
$$;
CREATE TRIGGER touch_touched_at_199 BEFORE UPDATE ON projects_34
  FOR EACH ROW EXECUTE FUNCTION touch_touched_at_199();
-- +upgrade sqlite
ALTER TABLE projects_34 ADD COLUMN touched_at_199 TIMESTAMP;
CREATE TRIGGER touch_touched_at_199 AFTER UPDATE OF name ON projects_34
BEGIN
  UPDATE projects_34 SET touched_at_199 = CURRENT_TIMESTAMP WHERE id = NEW.id;
END;
-- +downgrade postgresql
DROP TRIGGER touch_touched_at_199 ON projects_34;
DROP FUNCTION touch_touched_at_199();
ALTER TABLE projects_34 DROP COLUMN touched_at_199;
-- +downgrade sqlite
DROP TRIGGER touch_touched_at_199;
ALTER TABLE projects_34 DROP COLUMN touched_at_199;
