#include "core/scripts/postgres_parse_tree.h"

#include <google/protobuf/descriptor.pb.h>
#include <pg_query.h>

namespace migrationd {

// libpg_query's pg_query.proto as a descriptor set, embedded at build time.
extern const std::string_view kPgQueryDescriptorSet;

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

const PostgresParseTreeTypes* PostgresParseTree() {
  static const std::unique_ptr<PostgresParseTreeTypes> types = [] {
    auto built = std::make_unique<PostgresParseTreeTypes>();
    google::protobuf::FileDescriptorSet files;
    if (!files.ParseFromArray(kPgQueryDescriptorSet.data(),
                              static_cast<int>(kPgQueryDescriptorSet.size()))) {
      return std::unique_ptr<PostgresParseTreeTypes>();
    }
    for (const auto& file : files.file()) {
      if (built->pool.BuildFile(file) == nullptr) return std::unique_ptr<PostgresParseTreeTypes>();
    }
    const auto* tree = built->pool.FindMessageTypeByName("pg_query.ParseResult");
    built->node = built->pool.FindMessageTypeByName("pg_query.Node");
    if (tree == nullptr || built->node == nullptr) return std::unique_ptr<PostgresParseTreeTypes>();
    built->parse_result = built->factory.GetPrototype(tree);
    const auto* scan = built->pool.FindMessageTypeByName("pg_query.ScanResult");
    if (scan != nullptr) built->scan_result = built->factory.GetPrototype(scan);
    if (built->parse_result == nullptr || built->scan_result == nullptr) {
      return std::unique_ptr<PostgresParseTreeTypes>();
    }
    return built;
  }();
  return types.get();
}

namespace {

// The message a pg_query.Node holds (itself for any other message); null for an empty Node.
const Message* Unwrap(const Message* message) {
  const PostgresParseTreeTypes* types = PostgresParseTree();
  if (message == nullptr || types == nullptr || message->GetDescriptor() != types->node) {
    return message;
  }
  const auto* reflection = message->GetReflection();
  const auto* oneof = message->GetDescriptor()->FindOneofByName("node");
  const FieldDescriptor* set = reflection->GetOneofFieldDescriptor(*message, oneof);
  if (set == nullptr) return nullptr;
  return &reflection->GetMessage(*message, set);
}

}  // namespace

ParseNode::ParseNode(const Message* message) : message_(Unwrap(message)) {}

std::string_view ParseNode::Kind() const {
  if (message_ == nullptr) return {};
  return message_->GetDescriptor()->name();
}

const FieldDescriptor* ParseNode::Field(std::string_view name) const {
  if (message_ == nullptr) return nullptr;
  return message_->GetDescriptor()->FindFieldByName(std::string(name));
}

ParseNode ParseNode::operator[](std::string_view field) const {
  const FieldDescriptor* descriptor = Field(field);
  if (descriptor == nullptr || descriptor->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE ||
      descriptor->is_repeated() || !message_->GetReflection()->HasField(*message_, descriptor)) {
    return ParseNode();
  }
  return ParseNode(&message_->GetReflection()->GetMessage(*message_, descriptor));
}

std::vector<ParseNode> ParseNode::List(std::string_view field) const {
  std::vector<ParseNode> items;
  const FieldDescriptor* descriptor = Field(field);
  if (descriptor == nullptr || !descriptor->is_repeated() ||
      descriptor->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) {
    return items;
  }
  const auto* reflection = message_->GetReflection();
  const int size = reflection->FieldSize(*message_, descriptor);
  for (int i = 0; i < size; ++i) {
    ParseNode item(&reflection->GetRepeatedMessage(*message_, descriptor, i));
    if (item) items.push_back(item);
  }
  return items;
}

std::string ParseNode::Str(std::string_view field) const {
  const FieldDescriptor* descriptor = Field(field);
  if (descriptor == nullptr || descriptor->is_repeated() ||
      descriptor->cpp_type() != FieldDescriptor::CPPTYPE_STRING) {
    return "";
  }
  return message_->GetReflection()->GetString(*message_, descriptor);
}

int64_t ParseNode::Int(std::string_view field) const {
  const FieldDescriptor* descriptor = Field(field);
  if (descriptor == nullptr || descriptor->is_repeated()) return 0;
  const auto* reflection = message_->GetReflection();
  switch (descriptor->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      return reflection->GetInt32(*message_, descriptor);
    case FieldDescriptor::CPPTYPE_INT64:
      return reflection->GetInt64(*message_, descriptor);
    case FieldDescriptor::CPPTYPE_UINT32:
      return reflection->GetUInt32(*message_, descriptor);
    case FieldDescriptor::CPPTYPE_ENUM:
      return reflection->GetEnumValue(*message_, descriptor);
    default:
      return 0;
  }
}

bool ParseNode::Bool(std::string_view field) const {
  const FieldDescriptor* descriptor = Field(field);
  if (descriptor == nullptr || descriptor->is_repeated() ||
      descriptor->cpp_type() != FieldDescriptor::CPPTYPE_BOOL) {
    return false;
  }
  return message_->GetReflection()->GetBool(*message_, descriptor);
}

std::string ParseNode::Enum(std::string_view field) const {
  const FieldDescriptor* descriptor = Field(field);
  if (descriptor == nullptr || descriptor->is_repeated() ||
      descriptor->cpp_type() != FieldDescriptor::CPPTYPE_ENUM) {
    return "";
  }
  return message_->GetReflection()->GetEnum(*message_, descriptor)->name();
}

std::vector<std::string> ParseNode::Names(std::string_view field) const {
  std::vector<std::string> names;
  for (const ParseNode& item : List(field)) {
    if (item.Is("String")) names.push_back(item.Str("sval"));
  }
  return names;
}

void ParseNode::Visit(const std::function<void(const ParseNode&)>& visit) const {
  if (message_ == nullptr) return;
  visit(*this);
  const auto* reflection = message_->GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(*message_, &fields);
  for (const FieldDescriptor* field : fields) {
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) continue;
    if (field->is_repeated()) {
      for (int i = 0; i < reflection->FieldSize(*message_, field); ++i) {
        ParseNode(&reflection->GetRepeatedMessage(*message_, field, i)).Visit(visit);
      }
    } else {
      ParseNode(&reflection->GetMessage(*message_, field)).Visit(visit);
    }
  }
}

Result<PostgresParse> ParsePostgres(const std::string& sql) {
  const PostgresParseTreeTypes* types = PostgresParseTree();
  if (types == nullptr) return Status::Internal("libpg_query's parse tree format did not load");
  PgQueryProtobufParseResult parsed = pg_query_parse_protobuf(sql.c_str());
  std::string error;
  if (parsed.error != nullptr) {
    error = parsed.error->message != nullptr ? parsed.error->message : "syntax error";
    if (parsed.error->cursorpos > 0) {
      error += " (at character " + std::to_string(parsed.error->cursorpos) + ")";
    }
  }
  PostgresParse result;
  result.tree_.reset(types->parse_result->New());
  const bool read =
      error.empty() &&
      result.tree_->ParseFromArray(parsed.parse_tree.data, static_cast<int>(parsed.parse_tree.len));
  pg_query_free_protobuf_parse_result(parsed);
  if (!error.empty()) return Status::ParseError(error);
  if (!read) return Status::Internal("libpg_query's parse tree could not be read");
  for (const ParseNode& raw : ParseNode(result.tree_.get()).List("stmts")) {
    result.statements_.push_back({raw["stmt"], static_cast<int>(raw.Int("stmt_location")),
                                  static_cast<int>(raw.Int("stmt_len"))});
  }
  return result;
}

std::vector<std::string> PostgresIdentifiersLongerThan(const std::string& sql, size_t bytes) {
  std::vector<std::string> found;
  const PostgresParseTreeTypes* types = PostgresParseTree();
  if (types == nullptr) return found;
  PgQueryScanResult scanned = pg_query_scan(sql.c_str());
  std::unique_ptr<Message> tokens(types->scan_result->New());
  const bool read = scanned.error == nullptr &&
                    tokens->ParseFromArray(scanned.pbuf.data, static_cast<int>(scanned.pbuf.len));
  pg_query_free_scan_result(scanned);
  if (!read) return found;
  for (const ParseNode& token : ParseNode(tokens.get()).List("tokens")) {
    if (token.Enum("token") != "IDENT") continue;
    const auto start = static_cast<size_t>(token.Int("start"));
    const auto end = static_cast<size_t>(token.Int("end"));
    if (end > sql.size() || start >= end) continue;
    std::string name = sql.substr(start, end - start);
    if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
      name = name.substr(1, name.size() - 2);
    }
    if (name.size() > bytes) found.push_back(name);
  }
  return found;
}

}  // namespace migrationd
