-- revision: r217_trigger_touch_touched_at_149
-- parents: r216_create_invoices_148
-- message: keep events_60.touched_at_149 current
-- +upgrade postgresql
ALTER TABLE events_60 ADD COLUMN touched_at_149 TIMESTAMP;
CREATE FUNCTION touch_touched_at_149() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.touched_at_149 := now(); -- a semicolon inside the body
  RETURN NEW;
END
$$;
CREATE TRIGGER touch_touched_at_149 BEFORE UPDATE ON events_60
  FOR EACH ROW EXECUTE FUNCTION touch_touched_at_149();
-- +upgrade sqlite
ALTER TABLE events_60 ADD COLUMN touched_at_149 TIMESTAMP;
CREATE TRIGGER touch_touched_at_149 AFTER UPDATE OF name ON events_60
BEGIN
  UPDATE events_60 SET touched_at_149 = CURRENT_TIMESTAMP WHERE id = NEW.id;
END;
-- +downgrade postgresql
DROP TRIGGER touch_touched_at_149 ON events_60;
DROP FUNCTION touch_touched_at_149();
ALTER TABLE events_60 DROP COLUMN touched_at_149;
-- +downgrade sqlite
DROP TRIGGER touch_touched_at_149;
ALTER TABLE events_60 DROP COLUMN touched_at_149;
