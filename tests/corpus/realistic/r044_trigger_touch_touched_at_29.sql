-- revision: r044_trigger_touch_touched_at_29
-- parents: r041_lookup_lookup_27
-- message: keep tickets_18.touched_at_29 current
-- +upgrade postgresql
ALTER TABLE tickets_18 ADD COLUMN touched_at_29 TIMESTAMP;
CREATE FUNCTION touch_touched_at_29() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.touched_at_29 := now(); -- a semicolon inside the body
  RETURN NEW;
END
$$;
CREATE TRIGGER touch_touched_at_29 BEFORE UPDATE ON tickets_18
  FOR EACH ROW EXECUTE FUNCTION touch_touched_at_29();
-- +upgrade sqlite
ALTER TABLE tickets_18 ADD COLUMN touched_at_29 TIMESTAMP;
CREATE TRIGGER touch_touched_at_29 AFTER UPDATE OF name ON tickets_18
BEGIN
  UPDATE tickets_18 SET touched_at_29 = CURRENT_TIMESTAMP WHERE id = NEW.id;
END;
-- +downgrade postgresql
DROP TRIGGER touch_touched_at_29 ON tickets_18;
DROP FUNCTION touch_touched_at_29();
ALTER TABLE tickets_18 DROP COLUMN touched_at_29;
-- +downgrade sqlite
DROP TRIGGER touch_touched_at_29;
ALTER TABLE tickets_18 DROP COLUMN touched_at_29;
