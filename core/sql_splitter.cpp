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

bool IsCommentOnly(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    if (std::isspace(static_cast<unsigned char>(text[i]))) {
      ++i;
    } else if (text.substr(i, 2) == "--") {
      i = text.find('\n', i);
      if (i == std::string_view::npos) return true;
    } else if (text.substr(i, 2) == "/*") {
      i = text.find("*/", i + 2);
      if (i == std::string_view::npos) return true;
      i += 2;
    } else {
      return false;
    }
  }
  return true;
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

}  // namespace

std::vector<SqlStatement> SplitSqlStatements(std::string_view sql, int first_line) {
  std::vector<SqlStatement> statements;
  BlockTracker blocks;
  size_t start = 0;
  int line = first_line;
  int start_line = first_line;

  auto finish = [&](size_t end) {
    std::string_view text = sql.substr(start, end - start);
    if (!IsCommentOnly(text)) {
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
    } else if (c == '\'' || c == '"') {
      size_t close = i + 1;
      while (close < sql.size()) {
        if (sql[close] == c && !(close + 1 < sql.size() && sql[close + 1] == c)) break;
        if (sql[close] == c) ++close;  // a doubled quote is an escaped quote
        ++close;
      }
      line += static_cast<int>(
          std::count(sql.begin() + i, sql.begin() + std::min(close, sql.size()), '\n'));
      i = close + 1;
    } else if (sql.substr(i, 2) == "--") {
      i = sql.find('\n', i);
      if (i == std::string_view::npos) i = sql.size();
    } else if (sql.substr(i, 2) == "/*") {
      size_t close = sql.find("*/", i + 2);
      close = close == std::string_view::npos ? sql.size() : close + 2;
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
