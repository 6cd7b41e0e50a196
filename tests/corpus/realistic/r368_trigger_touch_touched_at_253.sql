-- revision: r368_trigger_touch_touched_at_253
-- parents: r367_trigger_touch_touched_at_252
-- message: keep users.touched_at_253 current
-- +upgrade postgresql
ALTER TABLE users ADD COLUMN touched_at_253 TIMESTAMP;
CREATE FUNCTION touch_touched_at_253() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.touched_at_253 := now(); -- a semicolon inside the body
  RETURN NEW;
END
$$;
CREATE TRIGGER touch_touched_at_253 BEFORE UPDATE ON users
  FOR EACH ROW EXECUTE FUNCTION touch_touched_at_253();
-- +upgrade sqlite
ALTER TABLE users ADD COLUMN touched_at_253 TIMESTAMP;
CREATE TRIGGER touch_touched_at_253 AFTER UPDATE OF name ON users
BEGIN
  UPDATE users SET touched_at_253 = CURRENT_TIMESTAMP WHERE id = NEW.id;
END;
-- +downgrade postgresql
DROP TRIGGER touch_touched_at_253 ON users;
DROP FUNCTION touch_touched_at_253();
ALTER TABLE users DROP COLUMN touched_at_253;
-- +downgrade sqlite
DROP TRIGGER touch_touched_at_253;
ALTER TABLE users DROP COLUMN touched_at_253;
