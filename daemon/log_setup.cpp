#include "daemon/log_setup.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

namespace migrationd {
namespace {

// "%*": the line's syslog priority for the journal (sd-daemon(3)'s SD_WARNING and friends).
class SyslogPriority final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& message, const std::tm&,
              spdlog::memory_buf_t& out) override {
    const char* priority = "<6>";
    switch (message.level) {
      case spdlog::level::trace:
      case spdlog::level::debug:
        priority = "<7>";
        break;
      case spdlog::level::warn:
        priority = "<4>";
        break;
      case spdlog::level::err:
        priority = "<3>";
        break;
      case spdlog::level::critical:
        priority = "<2>";
        break;
      default:
        break;
    }
    out.append(priority, priority + 3);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<SyslogPriority>();
  }
};

thread_local std::string current_database;

// "%D": "[NAME] " for the database the thread works for (LogTag), nothing otherwise.
class DatabaseTag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg&, const std::tm&, spdlog::memory_buf_t& out) override {
    if (current_database.empty()) return;
    out.push_back('[');
    out.append(current_database.data(), current_database.data() + current_database.size());
    out.append(std::string_view("] "));
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<DatabaseTag>();
  }
};

}  // namespace

LogTag::LogTag(const std::string& database) : previous_(current_database) {
  current_database = database;
}

LogTag::~LogTag() { current_database = previous_; }

std::string LogTag::Current() { return current_database; }

bool StderrIsJournal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (stream == nullptr) return false;
  unsigned long long device = 0, inode = 0;
  if (std::sscanf(stream, "%llu:%llu", &device, &inode) != 2) return false;
  struct stat info {};
  if (fstat(STDERR_FILENO, &info) != 0) return false;
  return static_cast<unsigned long long>(info.st_dev) == device &&
         static_cast<unsigned long long>(info.st_ino) == inode;
}

void SetUpLogging(const std::string& level) {
  auto logger = spdlog::stderr_color_mt("migrationd");
  spdlog::set_default_logger(logger);
  if (StderrIsJournal()) {
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    formatter->add_flag<SyslogPriority>('*').add_flag<DatabaseTag>('D').set_pattern("%*%D%v");
    spdlog::set_formatter(std::move(formatter));
  } else {
    // UTC with a Z, as migctl and the history print times.
    auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
    formatter->add_flag<DatabaseTag>('D').set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %D%v");
    spdlog::set_formatter(std::move(formatter));
  }
  spdlog::set_level(spdlog::level::from_str(level));
}

}  // namespace migrationd
