-- revision: r294_trigger_touch_touched_at_200
-- parents: r293_merge
-- message: keep invoices_30.touched_at_200 current
-- +upgrade postgresql
ALTER TABLE invoices_30 ADD COLUMN touched_at_200 TIMESTAMP;
CREATE FUNCTION touch_touched_at_200() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.touched_at_200 := now(); -- a semicolon inside the body
  RETURN NEW;
END
$$;
CREATE TRIGGER touch_touched_at_200 BEFORE UPDATE ON invoices_30
  FOR EACH ROW EXECUTE FUNCTION touch_touched_at_200();
-- +upgrade sqlite
ALTER TABLE invoices_30 ADD COLUMN touched_at_200 TIMESTAMP;
CREATE TRIGGER touch_touched_at_200 AFTER UPDATE OF name ON invoices_30
BEGIN
  UPDATE invoices_30 SET touched_at_200 = CURRENT_TIMESTAMP WHERE id = NEW.id;
END;
-- +downgrade postgresql
DROP TRIGGER touch_touched_at_200 ON invoices_30;
DROP FUNCTION touch_touched_at_200();
ALTER TABLE invoices_30 DROP COLUMN touched_at_200;
-- +downgrade sqlite
DROP TRIGGER touch_touched_at_200;
ALTER TABLE invoices_30 DROP COLUMN touched_at_200;
