-- revision: r179_trigger_touch_touched_at_122
-- parents: r178_create_accounts_121
-- message: keep documents_69.touched_at_122 current
-- +upgrade postgresql
ALTER TABLE documents_69 ADD COLUMN touched_at_122 TIMESTAMP;
CREATE FUNCTION touch_touched_at_122() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.touched_at_122 := now(); -- a semicolon inside the body
  RETURN NEW;
END
$$;
CREATE TRIGGER touch_touched_at_122 BEFORE UPDATE ON documents_69
  FOR EACH ROW EXECUTE FUNCTION touch_touched_at_122();
-- +upgrade sqlite
ALTER TABLE documents_69 ADD COLUMN touched_at_122 TIMESTAMP;
CREATE TRIGGER touch_touched_at_122 AFTER UPDATE OF name ON documents_69
BEGIN
  UPDATE documents_69 SET touched_at_122 = CURRENT_TIMESTAMP WHERE id = NEW.id;
END;
-- +downgrade postgresql
DROP TRIGGER touch_touched_at_122 ON documents_69;
DROP FUNCTION touch_touched_at_122();
ALTER TABLE documents_69 DROP COLUMN touched_at_122;
-- +downgrade sqlite
DROP TRIGGER touch_touched_at_122;
ALTER TABLE documents_69 DROP COLUMN touched_at_122;
