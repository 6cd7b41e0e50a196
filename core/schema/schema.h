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

class NormalizedSchema {
 public:
  // Adds (or replaces) an object; `definition` may be empty ("-" is shown).
  void Add(const std::string& object, const std::string& definition);
  const std::map<std::string, std::string>& objects() const { return objects_; }
  bool empty() const { return objects_.empty(); }
  // "object\tdefinition\n" per object, sorted by object: what the fingerprint hashes.
  std::string Text() const;
  // "sha256:" + hex SHA-256 of Text().
  std::string Fingerprint() const;

 private:
  std::map<std::string, std::string> objects_;
};

// What `actual` has that `expected` lacks (+), lacks (-), or defines differently (~), in
// object order.
std::vector<SchemaDifference> DiffSchemas(const NormalizedSchema& expected,
                                          const NormalizedSchema& actual);

// Lower-cases letters outside quotes and collapses runs of whitespace to one space (also
// outside quotes), trimming both ends: `INTEGER  NOT NULL` and `integer not null` read alike.
std::string NormalizeSqlText(const std::string& text);

// Whether a table belongs to migrationd or to a tool whose bookkeeping is not schema
// (alembic_version), and so is left out of the normalized schema.
bool IsBookkeepingTable(const std::string& name);

}  // namespace migrationd
