-- revision: r329_trigger_touch_touched_at_225
-- parents: r328_create_events_224
-- message: keep members_137.touched_at_225 current
-- +upgrade postgresql
ALTER TABLE members_137 ADD COLUMN touched_at_225 TIMESTAMP;
CREATE FUNCTION touch_touched_at_225() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.touched_at_225 := now(); -- a semicolon inside the body
  RETURN NEW;
END
$$;
CREATE TRIGGER touch_touched_at_225 BEFORE UPDATE ON members_137
  FOR EACH ROW EXECUTE FUNCTION touch_touched_at_225();
-- +upgrade sqlite
ALTER TABLE members_137 ADD COLUMN touched_at_225 TIMESTAMP;
CREATE TRIGGER touch_touched_at_225 AFTER UPDATE OF name ON members_137
BEGIN
  UPDATE members_137 SET touched_at_225 = CURRENT_TIMESTAMP WHERE id = NEW.id;
END;
-- +downgrade postgresql
DROP TRIGGER touch_touched_at_225 ON members_137;
DROP FUNCTION touch_touched_at_225();
ALTER TABLE members_137 DROP COLUMN touched_at_225;
-- +downgrade sqlite
DROP TRIGGER touch_touched_at_225;
ALTER TABLE members_137 DROP COLUMN touched_at_225;
