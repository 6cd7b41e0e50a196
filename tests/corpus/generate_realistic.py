#!/usr/bin/env python3
"""Writes tests/corpus/realistic/: a migration history in the style of a real project's.

    python3 tests/corpus/generate_realistic.py [OUTPUT_DIR]

The output is committed; the tests read the files and never run this script (a fresh machine
needs no Python for the tests). Run it again only to change the corpus, and commit both.

What the history holds, the way teams that use Alembic or Flyway write one:
- feature branches: 100 forks of two or three branches, each joined by an empty merge
  revision (`downgrade: no-op`), so the graph has 100 merges;
- tables with foreign keys to earlier tables, defaults and checks; added and renamed columns;
- indexes built without a transaction (PostgreSQL: CREATE INDEX CONCURRENTLY, transaction:
  none);
- enums (PostgreSQL types, with ADD VALUE and the rename-and-recreate downgrade; SQLite: a
  CHECK), functions and triggers, views;
- data: lookup tables filled with rows, and backfills: a nullable column, then an UPDATE that
  fills it (`downgrade: no-op`, no schema change: two consecutive revisions with the same
  schema, which `baseline` must report as a tie), then an index and (PostgreSQL) NOT NULL.

Deterministic: the same seed writes the same files.
"""

import copy
import os
import random
import sys

SEED = 20261202
FORKS = int(os.environ.get("CORPUS_FORKS", "100"))  # bench/lint writes a larger history


class Writer:
    def __init__(self, out):
        self.out = out
        self.count = 0
        self.ids = []

    def revision(self, slug, parents, message, upgrade, downgrade=None, transaction=None,
                 noop_downgrade=False):
        """`upgrade`/`downgrade`: {"": common, "postgresql": ..., "sqlite": ...} or a str."""
        self.count += 1
        rid = "r%03d_%s" % (self.count, slug)
        lines = ["-- revision: " + rid, "-- parents: " + ", ".join(parents),
                 "-- message: " + message]
        if transaction:
            lines.append("-- transaction: " + transaction)
        if noop_downgrade:
            lines.append("-- downgrade: no-op")
        for marker, sections in (("upgrade", upgrade), ("downgrade", downgrade)):
            if sections is None:
                continue
            if isinstance(sections, str):
                sections = {"": sections}
            for dialect in ("", "postgresql", "sqlite"):
                if dialect in sections:
                    lines.append("-- +" + marker + (" " + dialect if dialect else ""))
                    lines.append(sections[dialect].strip())
        with open(os.path.join(self.out, rid + ".sql"), "w") as f:
            f.write("\n".join(lines) + "\n")
        self.ids.append(rid)
        return rid


class State:
    """What the schema holds along one line of history."""

    def __init__(self):
        self.tables = {}  # name -> {"cols": [names], "own": set of renamable cols}
        self.enums = {}   # type name (PostgreSQL) -> (table, column, labels)

    def fork(self):
        branch = copy.deepcopy(self)
        for table in branch.tables.values():
            table["own"] = set()  # a branch renames only what it created itself
        for name in list(branch.enums):
            branch.enums[name] = branch.enums[name] + ("frozen",)
        return branch


def merge_states(states):
    merged = State()
    for state in states:
        for name, table in state.tables.items():
            if name not in merged.tables:
                merged.tables[name] = {"cols": list(table["cols"]), "own": set()}
            else:
                for col in table["cols"]:
                    if col not in merged.tables[name]["cols"]:
                        merged.tables[name]["cols"].append(col)
        for name, enum in state.enums.items():
            merged.enums[name] = enum[:3] + ("frozen",)
    return merged


class Generator:
    def __init__(self, out):
        self.rng = random.Random(SEED)
        self.w = Writer(out)
        self.n = 0  # object-name counter

    def name(self, prefix):
        self.n += 1
        return "%s_%d" % (prefix, self.n)

    # Each op takes (state, parent) and returns the new revision id, updating the state.

    def create_table(self, state, parent):
        table = self.name(self.rng.choice(["accounts", "orders", "invoices", "projects",
                                           "tickets", "events", "members", "documents"]))
        refs = [t for t in state.tables if not t.startswith("lookup")]
        fk = ""
        cols = ["id", "name", "created_at", "status"]
        if refs and self.rng.random() < 0.6:
            target = self.rng.choice(refs)
            fk = ",\n    %s_id INTEGER REFERENCES %s (id) ON DELETE CASCADE" % (target, target)
            cols.append(target + "_id")
        body = ("(\n    id {pk},\n    name TEXT NOT NULL,\n    created_at TIMESTAMP NOT NULL "
                "DEFAULT CURRENT_TIMESTAMP,\n    status TEXT NOT NULL DEFAULT 'new' CHECK "
                "(status IN ('new', 'active', 'closed')){fk}\n)")
        rows = "INSERT INTO %s (id, name) VALUES (1, 'first'), (2, 'second');" % table
        up = {
            "postgresql": "CREATE TABLE %s %s;\n%s" % (
                table, body.format(pk="INTEGER GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
                                   fk=fk), rows),
            "sqlite": "CREATE TABLE %s %s;\n%s" % (
                table, body.format(pk="INTEGER PRIMARY KEY", fk=fk), rows),
        }
        state.tables[table] = {"cols": cols, "own": set()}
        return self.w.revision("create_" + table, [parent], "create table " + table, up,
                               "DROP TABLE %s;" % table)

    def add_column(self, state, parent):
        table = self.rng.choice(list(state.tables))
        col = self.name("note" if self.rng.random() < 0.5 else "amount")
        kind = "TEXT" if col.startswith("note") else "INTEGER NOT NULL DEFAULT 0"
        state.tables[table]["cols"].append(col)
        state.tables[table]["own"].add(col)
        return self.w.revision("add_%s_%s" % (table, col), [parent],
                               "add %s.%s" % (table, col),
                               "ALTER TABLE %s ADD COLUMN %s %s;" % (table, col, kind),
                               "ALTER TABLE %s DROP COLUMN %s;" % (table, col))

    def rename_column(self, state, parent):
        owned = [(t, c) for t, v in state.tables.items() for c in v["own"]]
        if not owned:
            return self.add_column(state, parent)
        table, col = self.rng.choice(sorted(owned))
        new = col + "_r"
        cols = state.tables[table]["cols"]
        cols[cols.index(col)] = new
        state.tables[table]["own"].discard(col)
        state.tables[table]["own"].add(new)
        return self.w.revision("rename_%s_%s" % (table, col), [parent],
                               "rename %s.%s" % (table, col),
                               "ALTER TABLE %s RENAME COLUMN %s TO %s;" % (table, col, new),
                               "ALTER TABLE %s RENAME COLUMN %s TO %s;" % (table, new, col))

    def index(self, state, parent):
        table = self.rng.choice(list(state.tables))
        col = self.rng.choice(state.tables[table]["cols"][1:])
        index = self.name("ix_%s" % table)
        # A renamed column keeps its index; renaming it again would not change the index.
        state.tables[table]["own"].discard(col)
        up = {"postgresql": "CREATE INDEX CONCURRENTLY %s ON %s (%s);" % (index, table, col),
              "sqlite": "CREATE INDEX %s ON %s (%s);" % (index, table, col)}
        down = {"postgresql": "DROP INDEX CONCURRENTLY %s;" % index,
                "sqlite": "DROP INDEX %s;" % index}
        return self.w.revision("index_" + index, [parent], "index %s (%s)" % (table, col), up,
                               down, transaction="none")

    def view(self, state, parent):
        table = self.rng.choice([t for t in state.tables if not t.startswith("lookup")] or
                                list(state.tables))
        view = self.name("active_" + table)
        key = "status" if "status" in state.tables[table]["cols"] else "code"
        value = "'active'" if key == "status" else "'a'"
        return self.w.revision("view_" + view, [parent], "view " + view,
                               "CREATE VIEW %s AS\n  SELECT id, name FROM %s WHERE %s = %s;"
                               % (view, table, key, value),
                               "DROP VIEW %s;" % view)

    def lookup(self, state, parent):
        table = self.name("lookup")
        state.tables[table] = {"cols": ["id", "code", "label"], "own": set()}
        up = ("CREATE TABLE %s (id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE, label TEXT "
              "NOT NULL);\nINSERT INTO %s (id, code, label) VALUES\n  (1, 'a', 'Alpha'),\n"
              "  (2, 'b', 'Beta'),\n  (3, 'c', 'It''s; a \"quoted\" label');" % (table, table))
        return self.w.revision("lookup_" + table, [parent], "lookup table with rows", up,
                               "DROP TABLE %s;" % table)

    def enum(self, state, parent):
        table = self.rng.choice(list(state.tables))
        kind = self.name("kind")
        labels = ["basic", "premium"]
        state.tables[table]["cols"].append(kind)
        state.enums[kind] = (table, kind, labels)
        values = ", ".join("'%s'" % v for v in labels)
        up = {"postgresql": "CREATE TYPE %s_t AS ENUM (%s);\nALTER TABLE %s ADD COLUMN %s %s_t;"
                            % (kind, values, table, kind, kind),
              "sqlite": "ALTER TABLE %s ADD COLUMN %s TEXT CHECK (%s IN (%s));"
                        % (table, kind, kind, values)}
        down = {"postgresql": "ALTER TABLE %s DROP COLUMN %s;\nDROP TYPE %s_t;"
                              % (table, kind, kind),
                "sqlite": "ALTER TABLE %s DROP COLUMN %s;" % (table, kind)}
        return self.w.revision("enum_" + kind, [parent], "enum column %s.%s" % (table, kind),
                               up, down)

    def enum_value(self, state, parent):
        open_enums = [k for k, v in state.enums.items() if len(v) == 3]
        if not open_enums:
            return self.enum(state, parent)
        kind = self.rng.choice(sorted(open_enums))
        table, col, labels = state.enums[kind]
        new = "tier%d" % (len(labels) + 1)
        state.enums[kind] = (table, col, labels + [new])
        old = ", ".join("'%s'" % v for v in labels)
        # PostgreSQL cannot drop an enum value: the downgrade recreates the type (rows holding
        # the new value would fail the cast, as they should).
        up = {"postgresql": "ALTER TYPE %s_t ADD VALUE '%s';" % (kind, new),
              "sqlite": "-- SQLite keeps the CHECK; the new value is PostgreSQL's only\n"
                        "SELECT 1;"}
        down = {"postgresql": ("ALTER TYPE {k}_t RENAME TO {k}_old;\n"
                               "CREATE TYPE {k}_t AS ENUM ({old});\n"
                               "ALTER TABLE {t} ALTER COLUMN {c} TYPE {k}_t USING {c}::text::{k}_t;\n"
                               "DROP TYPE {k}_old;").format(k=kind, old=old, t=table, c=col),
                "sqlite": "SELECT 1;"}
        return self.w.revision("enum_value_" + kind, [parent], "enum %s gains %s" % (kind, new),
                               up, down)

    def trigger(self, state, parent):
        table = self.rng.choice([t for t in state.tables if not t.startswith("lookup")] or
                                list(state.tables))
        col = self.name("touched_at")
        fn = "touch_" + col
        state.tables[table]["cols"].append(col)
        up = {"postgresql": ("ALTER TABLE {t} ADD COLUMN {c} TIMESTAMP;\n"
                             "CREATE FUNCTION {f}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                             "BEGIN\n  NEW.{c} := now(); -- a semicolon inside the body\n"
                             "  RETURN NEW;\nEND\n$$;\n"
                             "CREATE TRIGGER {f} BEFORE UPDATE ON {t}\n"
                             "  FOR EACH ROW EXECUTE FUNCTION {f}();").format(t=table, c=col, f=fn),
              "sqlite": ("ALTER TABLE {t} ADD COLUMN {c} TIMESTAMP;\n"
                         "CREATE TRIGGER {f} AFTER UPDATE OF name ON {t}\nBEGIN\n"
                         "  UPDATE {t} SET {c} = CURRENT_TIMESTAMP WHERE id = NEW.id;\n"
                         "END;").format(t=table, c=col, f=fn)}
        down = {"postgresql": ("DROP TRIGGER {f} ON {t};\nDROP FUNCTION {f}();\n"
                               "ALTER TABLE {t} DROP COLUMN {c};").format(t=table, c=col, f=fn),
                "sqlite": ("DROP TRIGGER {f};\nALTER TABLE {t} DROP COLUMN {c};").format(
                    t=table, c=col, f=fn)}
        return self.w.revision("trigger_" + fn, [parent], "keep %s.%s current" % (table, col),
                               up, down)

    def backfill(self, state, parent):
        """Three revisions: nullable column, UPDATE (same schema), index + NOT NULL."""
        table = self.rng.choice([t for t in state.tables if not t.startswith("lookup")] or
                                list(state.tables))
        col = self.name("slug")
        state.tables[table]["cols"].append(col)
        first = self.w.revision("add_%s_%s" % (table, col), [parent],
                                "add %s.%s, filled by the next revision" % (table, col),
                                "ALTER TABLE %s ADD COLUMN %s TEXT;" % (table, col),
                                "ALTER TABLE %s DROP COLUMN %s;" % (table, col))
        second = self.w.revision("backfill_%s_%s" % (table, col), [first],
                                 "backfill %s.%s" % (table, col),
                                 "UPDATE %s SET %s = lower(name) || '-' || id WHERE %s IS NULL;"
                                 % (table, col, col), noop_downgrade=True)
        index = "ux_%s_%s" % (table, col)
        up = {"postgresql": "ALTER TABLE %s ALTER COLUMN %s SET NOT NULL;\n"
                            "CREATE UNIQUE INDEX %s ON %s (%s);" % (table, col, index, table, col),
              "sqlite": "CREATE UNIQUE INDEX %s ON %s (%s);" % (index, table, col)}
        down = {"postgresql": "DROP INDEX %s;\nALTER TABLE %s ALTER COLUMN %s DROP NOT NULL;"
                              % (index, table, col),
                "sqlite": "DROP INDEX %s;" % index}
        return self.w.revision("require_%s_%s" % (table, col), [second],
                               "%s.%s is required and unique" % (table, col), up, down)

    def op(self, state, parent, chain):
        ops = [(self.create_table, 4), (self.add_column, 4), (self.rename_column, 2),
               (self.index, 3), (self.view, 2), (self.lookup, 1), (self.enum, 1),
               (self.enum_value, 1), (self.trigger, 1)]
        if chain:
            ops.append((self.backfill, 8))
        if not state.tables:
            return self.create_table(state, parent)
        total = sum(weight for _, weight in ops)
        pick = self.rng.uniform(0, total)
        for fn, weight in ops:
            pick -= weight
            if pick <= 0:
                return fn(state, parent)
        return ops[-1][0](state, parent)

    def run(self):
        state = State()
        head = self.w.revision("initial", [], "initial schema", {
            "postgresql": "CREATE TABLE users (\n    id INTEGER GENERATED BY DEFAULT AS IDENTITY "
                          "PRIMARY KEY,\n    name TEXT NOT NULL,\n    status TEXT NOT NULL "
                          "DEFAULT 'new'\n);",
            "sqlite": "CREATE TABLE users (\n    id INTEGER PRIMARY KEY,\n    name TEXT NOT "
                      "NULL,\n    status TEXT NOT NULL DEFAULT 'new'\n);"},
            "DROP TABLE users;")
        state.tables["users"] = {"cols": ["id", "name", "status"], "own": set()}
        for fork in range(FORKS):
            # Work on the main line between features.
            for _ in range(self.rng.choice([0, 0, 0, 0, 1])):
                head = self.op(state, head, chain=True)
            branches = []
            width = 3 if self.rng.random() < 0.15 else 2
            for _ in range(width):
                branch = state.fork()
                tip = head
                for _ in range(1 if self.rng.random() < 0.9 else 2):
                    tip = self.op(branch, tip, chain=False)
                branches.append((branch, tip))
            state = merge_states([b for b, _ in branches])
            head = self.w.revision("merge", [tip for _, tip in branches],
                                   "merge %d branches" % width, "", noop_downgrade=True)
        return self.w.ids


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "realistic")
    os.makedirs(out, exist_ok=True)
    for name in os.listdir(out):
        if name.endswith(".sql"):
            os.remove(os.path.join(out, name))
    ids = Generator(out).run()
    print("%d revisions in %s" % (len(ids), out))


if __name__ == "__main__":
    main()
