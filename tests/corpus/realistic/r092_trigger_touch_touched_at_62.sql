-- revision: r092_trigger_touch_touched_at_62
-- parents: r090_merge
-- message: keep invoices_30.touched_at_62 current
-- +upgrade postgresql
ALTER TABLE invoices_30 ADD COLUMN touched_at_62 TIMESTAMP;
CREATE FUNCTION touch_touched_at_62() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.touched_at_62 := now(); -- a semicolon inside the body
  RETURN NEW;
END
$$;
CREATE TRIGGER touch_touched_at_62 BEFORE UPDATE ON invoices_30
  FOR EACH ROW EXECUTE FUNCTION touch_touched_at_62();
-- +upgrade sqlite
ALTER TABLE invoices_30 ADD COLUMN touched_at_62 TIMESTAMP;
CREATE TRIGGER touch_touched_at_62 AFTER UPDATE OF name ON invoices_30
BEGIN
  UPDATE invoices_30 SET touched_at_62 = CURRENT_TIMESTAMP WHERE id = NEW.id;
END;
-- +downgrade postgresql
DROP TRIGGER touch_touched_at_62 ON invoices_30;
DROP FUNCTION touch_touched_at_62();
ALTER TABLE invoices_30 DROP COLUMN touched_at_62;
-- +downgrade sqlite
DROP TRIGGER touch_touched_at_62;
ALTER TABLE invoices_30 DROP COLUMN touched_at_62;
