-- revision: r229_trigger_touch_touched_at_158
-- parents: r228_index_ix_projects_86_157
-- message: keep documents_69.touched_at_158 current
-- +upgrade postgresql
ALTER TABLE documents_69 ADD COLUMN touched_at_158 TIMESTAMP;
CREATE FUNCTION touch_touched_at_158() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.touched_at_158 := now(); -- a semicolon inside the body
  RETURN NEW;
END
$$;
CREATE TRIGGER touch_touched_at_158 BEFORE UPDATE ON documents_69
  FOR EACH ROW EXECUTE FUNCTION touch_touched_at_158();
-- +upgrade sqlite
ALTER TABLE documents_69 ADD COLUMN touched_at_158 TIMESTAMP;
CREATE TRIGGER touch_touched_at_158 AFTER UPDATE OF name ON documents_69
BEGIN
  UPDATE documents_69 SET touched_at_158 = CURRENT_TIMESTAMP WHERE id = NEW.id;
END;
-- +downgrade postgresql
DROP TRIGGER touch_touched_at_158 ON documents_69;
DROP FUNCTION touch_touched_at_158();
ALTER TABLE documents_69 DROP COLUMN touched_at_158;
-- +downgrade sqlite
DROP TRIGGER touch_touched_at_158;
ALTER TABLE documents_69 DROP COLUMN touched_at_158;
