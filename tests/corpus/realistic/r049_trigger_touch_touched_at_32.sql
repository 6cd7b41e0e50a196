-- revision: r049_trigger_touch_touched_at_32
-- parents: r048_merge
-- message: keep users.touched_at_32 current
-- +upgrade postgresql
ALTER TABLE users ADD COLUMN touched_at_32 TIMESTAMP;
CREATE FUNCTION touch_touched_at_32() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.touched_at_32 := now(); -- a semicolon inside the body
  RETURN NEW;
END
$$;
CREATE TRIGGER touch_touched_at_32 BEFORE UPDATE ON users
  FOR EACH ROW EXECUTE FUNCTION touch_touched_at_32();
-- +upgrade sqlite
ALTER TABLE users ADD COLUMN touched_at_32 TIMESTAMP;
CREATE TRIGGER touch_touched_at_32 AFTER UPDATE OF name ON users
BEGIN
  UPDATE users SET touched_at_32 = CURRENT_TIMESTAMP WHERE id = NEW.id;
END;
-- +downgrade postgresql
DROP TRIGGER touch_touched_at_32 ON users;
DROP FUNCTION touch_touched_at_32();
ALTER TABLE users DROP COLUMN touched_at_32;
-- +downgrade sqlite
DROP TRIGGER touch_touched_at_32;
ALTER TABLE users DROP COLUMN touched_at_32;
