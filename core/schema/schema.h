// NormalizedSchema: what a database's catalog says about its user objects, in a form where two
// equal schemas compare equal however they were written or reported.
//
// One entry per object, keyed by what identifies it and valued by its normalized definition:
//
//   table users                          -
//   column users.email                   varchar(255) not null default ''
//   primary key users                    (id)
//   unique users(email)                  -
//   foreign key orders(user_id)          -> users(id) on delete cascade
//   check users: (age > 0)               -
//   index ix_users_name                  on users (name) where (active = 1)
//   view active_users                    select ...
//   trigger users_touch                  ...
//   sequence users_id_seq                bigint start 1 increment 1
//
// Constraints are keyed by their columns or expression, not their names (an inline UNIQUE and
// a named table constraint are the same schema); indexes by name. Column order is not part of
// the schema. migrationd's own tables and `alembic_version` are left out. Each engine reads its
// own catalog (Backend::ReadSchema); this file holds the engine-neutral part. Plain value.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace migrationd {

// One way two schemas differ, as an operator reads it:
//   + column users.nickname text          (in the database, not expected)
//   - index ix_users_email                (expected, not in the database)
//   ~ column users.status: default 'active' -> default 'new'
struct SchemaDifference {
  char change = '~';     // '+', '-' or '~'
  std::string object;    // "column users.nickname"
  std::string expected;  // definition expected ("" for '+')
  std::string actual;    // definition found ("" for '-')
  std::string Describe() const;
};

// How to recreate an object, as its engine's catalog prints it: what a generated revision
// (core/generate/) writes. Beside the normalized definition and never compared: the normalized
// text is lossy on purpose (letters lower-cased, a function body too; no column order), so
// SQL written from it could compare equal and run differently. Identifiers are quoted as the
// engine needs them, ready to paste.
struct ObjectSource {
  std::string table;  // the table it belongs to (a column, key, index or trigger); a table's own
  std::string name;   // its own name: a column's, a constraint's, an index's, a view's
  // The statement that creates it (an index, view or trigger; a SQLite table), or a
  // constraint's definition as `ADD CONSTRAINT name` takes it.
  std::string sql;
  // Columns: their type, nullability, default expression ("" none) and place in the table.
  std::string type;
  bool not_null = false;
  std::string default_sql;
  int ordinal = 0;
  // A PostgreSQL identity column's sequence (`table` is the column's): made and dropped with
  // the column.
  bool owned = false;

  static ObjectSource Of(std::string table, std::string name, std::string sql = "") {
    ObjectSource source;
    source.table = std::move(table);
    source.name = std::move(name);
    source.sql = std::move(sql);
    return source;
  }
};

class NormalizedSchema {
 public:
  // Adds (or replaces) an object; `definition` may be empty ("-" is shown).
  void Add(const std::string& object, const std::string& definition);
  // The same, with what recreates it.
  void Add(const std::string& object, const std::string& definition, ObjectSource source);
  void Remove(const std::string& object);
  const std::map<std::string, std::string>& objects() const;
  // What recreates `object`, if its reader said (nullptr otherwise).
  const ObjectSource* source(const std::string& object) const;
  bool empty() const { return objects().empty(); }
  // "object\tdefinition\n" per object, sorted by object: what the fingerprint hashes.
  std::string Text() const;
  // "sha256:" + hex SHA-256 of Text().
  std::string Fingerprint() const;

 private:
  struct Entries {
    std::map<std::string, std::string> objects;
    std::map<std::string, ObjectSource> sources;
  };
  // The entries, copied first when another NormalizedSchema shares them.
  Entries& Writable();

  // Shared by copies until one of them changes (copy on write): a copy costs nothing, which
  // matters where a schema is handed on at every state (verify's walk reads ~1,300 states of
  // a few thousand objects each). Null: no object.
  std::shared_ptr<Entries> entries_;
};

// What `actual` has that `expected` lacks (+), lacks (-), or defines differently (~), in
// object order.
std::vector<SchemaDifference> DiffSchemas(const NormalizedSchema& expected,
                                          const NormalizedSchema& actual);

// Column order, its own kind of difference: it matters to `SELECT *`, `INSERT` without a column
// list and SQLite's rebuilds, but not to drift (a create_all database orders columns as its
// models do), so it is not in the fingerprint. One "~ column order T: (a, b) -> (b, a)" per table
// whose columns present on both sides come in another order (from the readers' ordinals).
std::vector<SchemaDifference> DiffColumnOrder(const NormalizedSchema& expected,
                                              const NormalizedSchema& actual);

// Lower-cases letters outside quotes and collapses runs of whitespace to one space (also
// outside quotes), trimming both ends: `INTEGER  NOT NULL` and `integer not null` read alike.
std::string NormalizeSqlText(const std::string& text);

// A name as SQL needs it on both engines: as it is when it is a plain lower-case identifier
// that is not a common keyword, else in double quotes (inner quotes doubled).
std::string QuoteIdentifier(const std::string& name);

// Whether a table belongs to migrationd or to a tool whose bookkeeping is not schema
// (alembic_version), and so is left out of the normalized schema.
bool IsBookkeepingTable(const std::string& name);

}  // namespace migrationd
