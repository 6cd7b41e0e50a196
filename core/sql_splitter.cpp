#include "core/sql_splitter.h"

#include <algorithm>
#include <cctype>

namespace migrationd {
namespace {

bool IsWordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

std::string UpperWord(std::string_view sql, size_t start, size_t end) {
  std::string word(sql.substr(start, end - start));
  std::transform(word.begin(), word.end(), word.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return word;
}

// A dollar-quote tag at `pos` ("$$" or "$name$"), or an empty view if there is none.
std::string_view DollarTag(std::string_view sql, size_t pos) {
  if (sql[pos] != '$') return {};
  size_t end = pos + 1;
  while (end < sql.size() && IsWordChar(sql[end]) &&
         !(end == pos + 1 && std::isdigit(static_cast<unsigned char>(sql[end])))) {
    ++end;
  }
  if (end < sql.size() && sql[end] == '$') return sql.substr(pos, end - pos + 1);
  return {};
}

// Tracks the words of one statement to know whether a ';' ends it: inside the body of a
// CREATE TRIGGER / FUNCTION / PROCEDURE, BEGIN and CASE open a block that END closes.
class BlockTracker {
 public:
  void OnWord(const std::string& word) {
    if (words_seen_ < 6) {
      ++words_seen_;
      if (words_seen_ == 1) creating_ = word == "CREATE";
      if (creating_ && (word == "TRIGGER" || word == "FUNCTION" || word == "PROCEDURE")) {
        has_body_ = true;
      }
    }
    if (!has_body_) return;
    if (word == "BEGIN" || word == "CASE") ++depth_;
    if (word == "END" && depth_ > 0) --depth_;
  }
  bool InsideBlock() const { return depth_ > 0; }
  void Reset() { *this = BlockTracker(); }

 private:
  int words_seen_ = 0;
  bool creating_ = false;
  bool has_body_ = false;
  int depth_ = 0;
};

// The end of the block comment opening at `open` (just past its "*/", or the end of `sql`).
size_t BlockCommentEnd(std::string_view sql, size_t open, bool nested) {
  int depth = 0;
  size_t i = open;
  while (i < sql.size()) {
    if (sql.substr(i, 2) == "/*" && (nested || depth == 0)) {
      ++depth;
      i += 2;
    } else if (sql.substr(i, 2) == "*/") {
      i += 2;
      if (--depth == 0) return i;
    } else {
      ++i;
    }
  }
  return sql.size();
}

// The end of the quoted text opening at `open` with `quote` and closing with `close` (just past
// it). A doubled closing character is part of the text; with `backslashes`, so is "\x".
size_t QuoteEnd(std::string_view sql, size_t open, char close, bool backslashes) {
  size_t i = open + 1;
  while (i < sql.size()) {
    if (backslashes && sql[i] == '\\') {
      i += 2;
    } else if (sql[i] == close) {
      if (i + 1 < sql.size() && sql[i + 1] == close) {
        i += 2;
      } else {
        return i + 1;
      }
    } else {
      ++i;
    }
  }
  return sql.size();
}

bool IsCommentOnly(std::string_view text, bool nested) {
  size_t i = 0;
  while (i < text.size()) {
    if (std::isspace(static_cast<unsigned char>(text[i]))) {
      ++i;
    } else if (text.substr(i, 2) == "--") {
      i = text.find('\n', i);
      if (i == std::string_view::npos) return true;
    } else if (text.substr(i, 2) == "/*") {
      i = BlockCommentEnd(text, i, nested);
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

std::vector<SqlStatement> SplitSqlStatements(std::string_view sql, int first_line,
                                             std::string_view dialect) {
  const bool nested_comments = dialect != "sqlite";
  std::vector<SqlStatement> statements;
  BlockTracker blocks;
  size_t start = 0;
  int line = first_line;
  int start_line = first_line;

  auto finish = [&](size_t end) {
    std::string_view text = sql.substr(start, end - start);
    if (!IsCommentOnly(text, nested_comments)) {
      // The statement starts at its first character that is not blank or comment.
      size_t first = 0;
      int lines_before = 0;
      while (first < text.size()) {
        if (text[first] == '\n') {
          ++lines_before;
          ++first;
        } else if (std::isspace(static_cast<unsigned char>(text[first]))) {
          ++first;
        } else if (text.substr(first, 2) == "--") {
          first = text.find('\n', first);
        } else {
          break;
        }
      }
      size_t last = text.find_last_not_of(" \t\r\n");
      statements.push_back(
          {std::string(text.substr(first, last + 1 - first)), start_line + lines_before});
    }
    blocks.Reset();
  };

  size_t i = 0;
  while (i < sql.size()) {
    char c = sql[i];
    if (c == '\n') {
      ++line;
      ++i;
    } else if (c == '\'' || c == '"' || c == '`' || (c == '[' && dialect != "postgresql")) {
      // E'...' takes backslash escapes; [...] and `...` are SQLite's quoted identifiers.
      const bool escapes = c == '\'' && i > 0 && (sql[i - 1] == 'E' || sql[i - 1] == 'e') &&
                           (i < 2 || !IsWordChar(sql[i - 2]));
      size_t close = QuoteEnd(sql, i, c == '[' ? ']' : c, escapes);
      line += static_cast<int>(std::count(sql.begin() + i, sql.begin() + close, '\n'));
      i = close;
    } else if (sql.substr(i, 2) == "--") {
      i = sql.find('\n', i);
      if (i == std::string_view::npos) i = sql.size();
    } else if (sql.substr(i, 2) == "/*") {
      size_t close = BlockCommentEnd(sql, i, nested_comments);
      line += static_cast<int>(std::count(sql.begin() + i, sql.begin() + close, '\n'));
      i = close;
    } else if (std::string_view tag = DollarTag(sql, i); !tag.empty()) {
      size_t close = sql.find(tag, i + tag.size());
      close = close == std::string_view::npos ? sql.size() : close + tag.size();
      line += static_cast<int>(std::count(sql.begin() + i, sql.begin() + close, '\n'));
      i = close;
    } else if (IsWordChar(c)) {
      size_t end = i;
      while (end < sql.size() && IsWordChar(sql[end])) ++end;
      blocks.OnWord(UpperWord(sql, i, end));
      i = end;
    } else if (c == ';' && !blocks.InsideBlock()) {
      finish(i);
      ++i;
      start = i;
      start_line = line;
    } else {
      ++i;
    }
  }
  if (start < sql.size()) finish(sql.size());
  return statements;
}

}  // namespace migrationd
