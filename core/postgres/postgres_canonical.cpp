#include "core/postgres/postgres_canonical.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/dynamic_message.h>
#include <pg_query.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "core/scripts/postgres_parse_tree.h"

namespace migrationd {

namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

const FieldDescriptor* FieldOf(const Message& message, const char* name) {
  return message.GetDescriptor()->FindFieldByName(name);
}

// The message in field `name` of `message` (set or not).
Message& Sub(Message& message, const char* name) {
  return *message.GetReflection()->MutableMessage(&message, FieldOf(message, name));
}

bool Has(const Message& message, const char* name) {
  const FieldDescriptor* field = FieldOf(message, name);
  return field != nullptr && message.GetReflection()->HasField(message, field);
}

// A Node that is `ARRAY[e1, e2, ...]::T[]` becomes `ARRAY[e1::T, e2::T, ...]`, as the server
// stores it when it parses that text (transformTypeCast passes the element type down to the
// array constructor).
void FoldArrayCast(Message& node) {
  if (!Has(node, "type_cast")) return;
  Message& cast = Sub(node, "type_cast");
  if (!Has(cast, "arg") || !Has(Sub(cast, "arg"), "a_array_expr")) return;
  Message& type_name = Sub(cast, "type_name");
  const auto* reflection = type_name.GetReflection();
  const FieldDescriptor* bounds = FieldOf(type_name, "array_bounds");
  if (reflection->FieldSize(type_name, bounds) == 0) return;

  std::unique_ptr<Message> element_type(type_name.New());
  element_type->CopyFrom(type_name);
  element_type->GetReflection()->RemoveLast(element_type.get(),
                                            FieldOf(*element_type, "array_bounds"));

  std::unique_ptr<Message> array(Sub(Sub(cast, "arg"), "a_array_expr").New());
  array->CopyFrom(Sub(Sub(cast, "arg"), "a_array_expr"));
  const FieldDescriptor* elements = FieldOf(*array, "elements");
  const auto* array_reflection = array->GetReflection();
  for (int i = 0; i < array_reflection->FieldSize(*array, elements); ++i) {
    Message& element = *array_reflection->MutableRepeatedMessage(array.get(), elements, i);
    std::unique_ptr<Message> wrapped(element.New());
    Message& element_cast = Sub(*wrapped, "type_cast");
    Sub(element_cast, "arg").CopyFrom(element);
    Sub(element_cast, "type_name").CopyFrom(*element_type);
    FoldArrayCast(*wrapped);  // ARRAY[ARRAY[...]]::T[][]: the inner level too
    element.CopyFrom(*wrapped);
  }
  std::unique_ptr<Message> replacement(node.New());
  Sub(*replacement, "a_array_expr").CopyFrom(*array);
  node.CopyFrom(*replacement);
}

// Children first, then the node itself.
void FoldArrayCasts(Message& message, const Descriptor* node_type) {
  const auto* reflection = message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) continue;
    if (field->is_repeated()) {
      for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
        FoldArrayCasts(*reflection->MutableRepeatedMessage(&message, field, i), node_type);
      }
    } else {
      FoldArrayCasts(*reflection->MutableMessage(&message, field), node_type);
    }
  }
  if (message.GetDescriptor() == node_type) FoldArrayCast(message);
}

// `sql` parsed, folded and printed again; "" if any step fails.
std::string Reprint(const std::string& sql) {
  const PostgresParseTreeTypes* types = PostgresParseTree();
  if (types == nullptr) return "";
  PgQueryProtobufParseResult parsed = pg_query_parse_protobuf(sql.c_str());
  std::unique_ptr<Message> tree(types->parse_result->New());
  const bool read =
      parsed.error == nullptr &&
      tree->ParseFromArray(parsed.parse_tree.data, static_cast<int>(parsed.parse_tree.len));
  pg_query_free_protobuf_parse_result(parsed);
  if (!read) return "";
  FoldArrayCasts(*tree, types->node);
  std::string bytes = tree->SerializeAsString();
  PgQueryProtobuf protobuf{bytes.size(), bytes.data()};
  PgQueryDeparseResult printed = pg_query_deparse_protobuf(protobuf);
  std::string text = printed.error == nullptr && printed.query != nullptr ? printed.query : "";
  pg_query_free_deparse_result(printed);
  return text;
}

bool MentionsArray(const std::string& text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower.find("array[") != std::string::npos;
}

// Definitions met before, with their canonical form: every schema read meets the same checks
// again (verify reads the schema three times per revision, and the parse and print were a third
// of its time), and the result depends on the text and kind alone. Bounded: cleared when full.
class CanonicalCache {
 public:
  std::optional<std::string> Find(const std::string& key) {
    std::lock_guard lock(mutex_);
    auto found = entries_.find(key);
    if (found == entries_.end()) return std::nullopt;
    return found->second;
  }
  void Add(std::string key, std::string canonical) {
    std::lock_guard lock(mutex_);
    if (entries_.size() >= kMaxEntries) entries_.clear();
    entries_.emplace(std::move(key), std::move(canonical));
  }

 private:
  static constexpr size_t kMaxEntries = 20000;
  std::mutex mutex_;
  std::unordered_map<std::string, std::string> entries_;
};

std::string Canonicalize(const std::string& text, PostgresDefinition kind) {
  // What is not a statement is parsed inside one, and taken out of it again.
  std::string prefix;
  if (kind == PostgresDefinition::kExpression) prefix = "SELECT ";
  if (kind == PostgresDefinition::kConstraint) prefix = "ALTER TABLE t ADD ";
  const std::string printed =
      Reprint(prefix + (kind == PostgresDefinition::kExpression ? "(" + text + ")" : text));
  if (printed.empty() || !printed.starts_with(prefix)) return text;
  return printed.substr(prefix.size());
}

}  // namespace

std::string CanonicalPostgresDefinition(const std::string& text, PostgresDefinition kind) {
  if (!MentionsArray(text)) return text;
  static CanonicalCache cache;
  std::string key = std::to_string(static_cast<int>(kind)) + ":" + text;
  if (auto known = cache.Find(key)) return *known;
  std::string canonical = Canonicalize(text, kind);
  cache.Add(std::move(key), canonical);
  return canonical;
}

}  // namespace migrationd
