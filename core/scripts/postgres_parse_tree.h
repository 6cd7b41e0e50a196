// PostgreSQL's parse tree of a piece of SQL, as PostgreSQL's own parser builds it (libpg_query,
// PostgreSQL 15), read through protobuf reflection.
//
// libpg_query hands out the tree in the format of its pg_query.proto. That file is compiled to a
// descriptor set at build time and embedded (core/cmake/embed_bytes.cmake), so none of the
// ~100,000 lines protoc would generate for it is compiled into the programs. The canonicalizer
// (core/postgres) changes trees through the types; the linter (core/lint) reads them through
// ParseNode. Thread-safe: the types are built once and only read.
#pragma once

#include <google/protobuf/descriptor.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/message.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"

namespace migrationd {

struct PostgresParseTreeTypes {
  google::protobuf::DescriptorPool pool;
  google::protobuf::DynamicMessageFactory factory{&pool};
  const google::protobuf::Message* parse_result = nullptr;  // prototype of a whole tree
  const google::protobuf::Message* scan_result = nullptr;   // prototype of a scan's tokens
  const google::protobuf::Descriptor* node = nullptr;       // pg_query.Node
};

// Built on first use; null only if the embedded descriptor set is broken.
const PostgresParseTreeTypes* PostgresParseTree();

// A read-only view of one message of a tree. A pg_query.Node (the tree's tagged union) is seen
// through: the view is of the message it holds, and Kind() names that ("AlterTableStmt"). A
// field that is not set reads as an empty view, "", 0 or false, as in the C structs.
class ParseNode {
 public:
  ParseNode() = default;
  explicit ParseNode(const google::protobuf::Message* message);

  explicit operator bool() const { return message_ != nullptr; }
  // The message type's name without its package: "AlterTableStmt", "ColumnDef", "String".
  std::string_view Kind() const;
  bool Is(std::string_view kind) const { return Kind() == kind; }

  ParseNode operator[](std::string_view field) const;
  std::vector<ParseNode> List(std::string_view field) const;
  std::string Str(std::string_view field) const;
  int64_t Int(std::string_view field) const;
  bool Bool(std::string_view field) const;
  // An enum field's value by name: "AT_AddColumn", "OBJECT_TABLE".
  std::string Enum(std::string_view field) const;
  // The `sval` of each String in a list of names: {"public", "users"}.
  std::vector<std::string> Names(std::string_view field) const;

  // Every message below this one (this one included), depth first, for searches such as "is
  // there a function call in this default".
  void Visit(const std::function<void(const ParseNode&)>& visit) const;

 private:
  const google::protobuf::FieldDescriptor* Field(std::string_view name) const;
  const google::protobuf::Message* message_ = nullptr;
};

// One statement of a parsed text: its tree, and where it starts in the text (bytes).
struct ParsedStatement {
  ParseNode stmt;
  int location = 0;
  int length = 0;  // 0: to the end of the text
};

// A whole text parsed; owns the tree the statements point into.
class PostgresParse {
 public:
  const std::vector<ParsedStatement>& statements() const { return statements_; }

 private:
  friend Result<PostgresParse> ParsePostgres(const std::string& sql);
  std::unique_ptr<google::protobuf::Message> tree_;
  std::vector<ParsedStatement> statements_;
};

// `sql` parsed by PostgreSQL's grammar; the parser's error (with its position) if it does not.
Result<PostgresParse> ParsePostgres(const std::string& sql);

// The identifiers in `sql` (as PostgreSQL's scanner reads them) longer than `bytes`: the parse
// tree holds them already cut to NAMEDATALEN - 1 bytes, as the server does.
std::vector<std::string> PostgresIdentifiersLongerThan(const std::string& sql, size_t bytes);

}  // namespace migrationd
