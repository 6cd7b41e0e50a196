#include "client/render.h"

#include <algorithm>
#include <cmath>

#include "proto/frame.h"
#include "proto/lint_report.h"

namespace migrationd {
namespace {

std::string Joined(const google::protobuf::RepeatedPtrField<std::string>& items,
                   const char* empty = "base (nothing applied)") {
  std::string joined;
  for (const auto& item : items) joined += (joined.empty() ? "" : ", ") + item;
  return joined.empty() ? empty : joined;
}

std::string Duration(double seconds) {
  auto s = static_cast<long>(seconds);
  char text[64];
  if (s < 60) {
    std::snprintf(text, sizeof(text), "%lds", s);
  } else if (s < 3600) {
    std::snprintf(text, sizeof(text), "%ldm%02lds", s / 60, s % 60);
  } else {
    std::snprintf(text, sizeof(text), "%ldh%02ldm", s / 3600, (s % 3600) / 60);
  }
  return text;
}

std::string Holder(const proto::LockHolder& lock) {
  std::string text =
      "held by " +
      (lock.user_name().empty() ? "uid " + std::to_string(lock.uid()) : lock.user_name()) + " on " +
      lock.host();
  if (lock.daemon_pid() > 0) text += ", daemon pid " + std::to_string(lock.daemon_pid());
  if (!lock.request().empty()) text += ", '" + lock.request() + "'";
  if (!lock.since().empty()) text += " since " + lock.since();
  if (!lock.revision().empty()) text += ", at " + lock.revision();
  return text;
}

std::string Milliseconds(double ms) {
  char text[32];
  if (ms < 1000) {
    std::snprintf(text, sizeof(text), "%.1f ms", ms);
  } else {
    std::snprintf(text, sizeof(text), "%.1f s", ms / 1000);
  }
  return text;
}

// The rehearsal's report: a line per revision with its verdict, and a line per statement with
// what it did.
void PrintRehearsal(const proto::Rehearsal& rehearsal, FILE* out) {
  std::fprintf(
      out, "rehearsal on a copy of backup %s (taken at %s; copied in %s):\n",
      rehearsal.backup_id().c_str(),
      rehearsal.backup_revisions().empty() ? "base" : rehearsal.backup_revisions(0).c_str(),
      Milliseconds(rehearsal.copy_ms()).c_str());
  for (const auto& step : rehearsal.steps()) {
    std::fprintf(out, "  %s %s in %s: %s\n", step.revision().c_str(),
                 step.passed() ? "passed" : "FAILED", Milliseconds(step.duration_ms()).c_str(),
                 step.verdict().c_str());
    for (const auto& statement : step.statements()) {
      std::string did = Milliseconds(statement.duration_ms());
      if (statement.rows_written() > 0) {
        did += ", " + std::to_string(statement.rows_written()) + " rows written";
      }
      for (const auto& table : statement.rewritten()) did += ", rewrote " + table;
      for (const auto& lock : statement.locks()) {
        did +=
            ", " + lock.mode() + " on " + lock.relation() + " held " + Milliseconds(lock.held_ms());
      }
      if (!statement.error().empty()) did += ", error: " + statement.error();
      std::fprintf(out, "    %s:%u %s\n      %s\n", step.path().c_str(), statement.line(),
                   statement.sql().c_str(), did.c_str());
    }
  }
}

}  // namespace

int ExitCodeFor(proto::ErrorCode code) {
  switch (code) {
    case proto::OK:
      return 0;
    case proto::INVALID_ARGUMENT:
      return 2;
    case proto::NOT_AT_HEAD:
      return 3;
    case proto::BUSY:
      return 4;
    case proto::PERMISSION_DENIED:
      return 6;
    case proto::INTEGRITY:
      return 7;
    case proto::OUTSIDE_WINDOW:
      return 8;
    default:
      return 1;
  }
}

void Renderer::ClearBar() {
  if (!bar_drawn_) return;
  std::printf("\r\033[K");
  // Now: an error follows on stderr, which is not buffered; the clearing must reach the
  // terminal first or the error lands after the bar on its line.
  std::fflush(stdout);
  bar_drawn_ = false;
}

void Renderer::Event(const proto::Event& event) {
  if (options_.json) {
    proto::ServerMessage message;
    *message.mutable_event() = event;
    std::printf("%s\n", ToJsonLine(message).c_str());
    std::fflush(stdout);
    return;
  }
  switch (event.kind()) {
    case proto::REVISION_STARTED:
      if (options_.terminal) {
        ClearBar();
        constexpr int kWidth = 30;
        int filled =
            event.total() ? static_cast<int>(kWidth * (event.index() - 1) / event.total()) : 0;
        std::printf("[%s%s] %u/%u %s %s", std::string(static_cast<size_t>(filled), '#').c_str(),
                    std::string(static_cast<size_t>(kWidth - filled), '.').c_str(),
                    event.index() - 1, event.total(), event.direction().c_str(),
                    event.revision().c_str());
        bar_drawn_ = true;
      } else {
        std::printf("[%u/%u] %s %s ...\n", event.index(), event.total(), event.direction().c_str(),
                    event.revision().c_str());
      }
      break;
    case proto::REVISION_FINISHED:
      ClearBar();
      std::printf("[%u/%u] %s %s: done in %.1f ms\n", event.index(), event.total(),
                  event.direction().c_str(), event.revision().c_str(), event.duration_ms());
      break;
    case proto::BACKUP_FINISHED:
      ClearBar();
      std::printf("backup %s taken and verified in %.1f ms\n", event.message().c_str(),
                  event.duration_ms());
      break;
    case proto::BACKUP_STARTED:
    case proto::JOB_QUEUED:
    case proto::LOCK_WAIT:
    case proto::LOG_LINE:
    case proto::STATEMENT_BLOCKED:
    case proto::STATEMENT_PROGRESS:
      ClearBar();
      std::printf("%s\n", event.message().c_str());
      break;
    default:
      break;
  }
  std::fflush(stdout);
}

void Renderer::ClientError(const std::string& message, int exit_code) {
  ClearBar();
  if (options_.json) {
    std::string escaped;
    for (char c : message) {
      if (c == '"' || c == '\\') escaped += '\\';
      if (c == '\n') {
        escaped += "\\n";
        continue;
      }
      escaped += c;
    }
    std::printf("{\"client_error\":{\"exit_code\":%d,\"message\":\"%s\"}}\n", exit_code,
                escaped.c_str());
  }
  std::fprintf(stderr, "migctl: %s\n", message.c_str());
}

void Renderer::Result(proto::Command command, const proto::Result& result) {
  ClearBar();
  if (options_.json) {
    proto::ServerMessage message;
    *message.mutable_result() = result;
    std::printf("%s\n", ToJsonLine(message).c_str());
    return;
  }
  if (result.answers_size() > 0) return Answers(command, result);
  // Lint findings come first, whatever the outcome: they are why an upgrade was refused.
  if (command == proto::LINT &&
      (result.code() == proto::OK || result.lint_size() > 0 || result.has_lint_summary())) {
    LintFormat format = LintFormat::kText;
    ParseLintFormat(options_.lint_format, format);
    std::fputs(RenderLint(result, format).c_str(), stdout);
    if (result.code() != proto::OK) std::fprintf(stderr, "migctl: %s\n", result.message().c_str());
    return;
  }
  if (result.has_rehearsal()) {
    PrintRehearsal(result.rehearsal(), result.code() == proto::OK ? stdout : stderr);
  }
  if (command == proto::UPGRADE && result.lint_size() > 0) {
    std::string text = RenderLint(result, LintFormat::kText);
    text = text.substr(0, text.rfind("lint ("));  // the summary line is the upgrade's message
    std::fputs(text.c_str(), result.code() == proto::OK ? stdout : stderr);
  }
  if (result.code() != proto::OK && result.code() != proto::NOT_AT_HEAD &&
      !(command == proto::CHECK && result.code() == proto::INTEGRITY)) {
    std::fprintf(stderr, "migctl: %s%s\n", error_prefix_.c_str(), result.message().c_str());
    if (result.holder().held()) std::fprintf(stderr, "lock: %s\n", Holder(result.holder()).c_str());
    return;
  }
  switch (command) {
    case proto::STATUS:
      return Status(result.status());
    case proto::CURRENT:
      for (const auto& head : result.current()) std::printf("%s\n", head.c_str());
      if (result.current().empty()) std::printf("base (nothing applied)\n");
      return;
    case proto::HEADS:
    case proto::HISTORY:
      return Revisions(result, false);
    case proto::SHOW:
      return Revisions(result, true);
    case proto::LOG:
      return Log(result);
    case proto::BACKUPS:
      return Backups(result);
    case proto::DATABASES:
      return Databases(result);
    case proto::CHECK:
      return Check(result);
    case proto::UPGRADE:
    case proto::DOWNGRADE:
    case proto::RESUME:
      if (!result.plan().empty() && !result.plan(0).statements().empty()) Plan(result);
      std::printf("%s\n", result.message().c_str());
      return;
    default:
      std::printf("%s\n", result.message().c_str());
  }
}

// Each database's answer under its name, as `migctl --database NAME` would print it; an error
// on stderr names its database too, for a reader who sees only that stream.
void Renderer::Answers(proto::Command command, const proto::Result& result) {
  for (int i = 0; i < result.answers_size(); ++i) {
    const proto::DatabaseAnswer& answer = result.answers(i);
    std::printf("%s== %s ==\n", i == 0 ? "" : "\n", answer.name().c_str());
    std::fflush(stdout);
    error_prefix_ = answer.name() + ": ";
    Result(command, answer.result());
    std::fflush(stdout);
  }
  error_prefix_.clear();
}

void Renderer::Databases(const proto::Result& result) {
  for (const auto& database : result.databases()) {
    std::string job = "idle";
    if (database.has_job()) {
      const proto::JobInfo& running = database.job();
      job = "job #" + std::to_string(running.job_id()) + " '" + running.request() + "' by " +
            running.user_name() + " since " + running.started_at();
    }
    if (database.queued() > 0) job += ", " + std::to_string(database.queued()) + " queued";
    std::printf(
        "%s\n  database:   %s (%s)\n  migrations: %s\n  backups:    %s\n  now:        %s\n",
        database.name().empty() ? "(the only database, without a name)" : database.name().c_str(),
        database.database().c_str(), database.dialect().c_str(), database.migrations().c_str(),
        database.backup_dir().c_str(), job.c_str());
  }
}

void Renderer::Status(const proto::StatusInfo& s) {
  std::printf("daemon:     migrationd %s, up %s\n", s.daemon_version().c_str(),
              Duration(s.uptime_seconds()).c_str());
  if (!s.database_name().empty()) std::printf("name:       %s\n", s.database_name().c_str());
  std::printf("database:   %s (%s)\n", s.database().c_str(), s.dialect().c_str());
  std::printf("migrations: %s\n", s.migrations().c_str());
  if (!s.error().empty()) std::printf("error:      %s\n", s.error().c_str());
  if (s.loading()) {
    std::printf("current:    (still loading the scripts; ask again in a moment)\n");
  } else if (!s.error().empty() && s.current().empty()) {
    // Not read is not base: never print a revision the database was not seen at.
    std::printf("current:    unknown (the database could not be read: see error)\n");
    std::printf("head:       %s\n", Joined(s.heads(), "(no revisions)").c_str());
  } else {
    std::printf("current:    %s\n", Joined(s.current()).c_str());
    std::printf("head:       %s\n", Joined(s.heads(), "(no revisions)").c_str());
    std::printf("pending:    %u\n", s.pending());
  }
  if (!s.unmanaged().empty()) std::printf("attention:  %s\n", s.unmanaged().c_str());
  for (const auto& incomplete : s.incomplete()) {
    std::printf("incomplete: %s ('migctl resume' continues it)\n", incomplete.c_str());
  }
  std::printf("lock:       %s\n", s.lock().held() ? Holder(s.lock()).c_str() : "free");
  if (s.has_job()) {
    const proto::JobInfo& job = s.job();
    std::printf("job:        #%llu '%s' by %s since %s, %u/%u done%s%s%s%s\n",
                static_cast<unsigned long long>(job.job_id()), job.request().c_str(),
                job.user_name().c_str(), job.started_at().c_str(), job.done(), job.total(),
                job.revision().empty() ? "" : ", running ", job.revision().c_str(),
                job.stage().empty() ? "" : ", ", job.stage().c_str());
  } else {
    std::printf("job:        none\n");
  }
  std::printf("queued:     %u\n", s.queued());
  for (const auto& job : s.waiting()) {
    std::printf("waiting:    #%llu '%s' by %s%s%s\n", static_cast<unsigned long long>(job.job_id()),
                job.request().c_str(), job.user_name().c_str(),
                job.scheduled_for().empty() ? "" : ", for the window opening at ",
                job.scheduled_for().c_str());
  }
  if (s.maintenance_windows().empty()) {
    std::printf("window:     none configured: schema changes may run at any time\n");
  } else {
    std::printf("window:     %s", s.window_open() ? "open" : "closed");
    if (!s.window_closes_at().empty()) std::printf(" until %s", s.window_closes_at().c_str());
    if (!s.next_window_opens_at().empty()) {
      std::printf(", next opens %s", s.next_window_opens_at().c_str());
    }
    std::string windows;
    for (const auto& window : s.maintenance_windows()) {
      windows += (windows.empty() ? "" : "; ") + window;
    }
    std::printf(" (%s)\n", windows.c_str());
  }
  std::printf("backups:    last %s, next %s\n",
              s.last_backup().empty() ? "none" : s.last_backup().c_str(),
              s.next_backup().empty() ? "none scheduled" : s.next_backup().c_str());
  if (!s.last_rehearsal().empty()) std::printf("rehearsal:  %s\n", s.last_rehearsal().c_str());
}

void Renderer::Revisions(const proto::Result& result, bool with_sql) {
  for (const auto& r : result.revisions()) {
    std::string parents = Joined(r.parents(), "<base>");
    std::string marks = std::string(r.is_head() ? " (head)" : "") +
                        (r.is_current() ? " (current)" : "") +
                        (!r.incomplete().empty() ? " (incomplete)"
                         : r.applied()           ? ""
                                                 : " (pending)");
    if (!options_.verbose && !with_sql) {
      std::printf("%s -> %s%s, %s\n", parents.c_str(), r.revision().c_str(), marks.c_str(),
                  r.message().c_str());
      continue;
    }
    std::printf("Rev: %s%s\n", r.revision().c_str(), marks.c_str());
    std::printf("Parent: %s\n", parents.c_str());
    if (!r.children().empty()) std::printf("Children: %s\n", Joined(r.children()).c_str());
    std::printf("Path: %s\nTransaction: %s\nChecksum: %s\n", r.path().c_str(),
                r.transaction().c_str(), r.checksum().c_str());
    if (!r.loses_data().empty()) std::printf("Loses data: %s\n", r.loses_data().c_str());
    if (r.applied()) {
      std::printf("Applied: %s\n",
                  r.applied_at().empty() ? "yes (stamped)" : r.applied_at().c_str());
      if (!r.applied_checksum().empty() && r.applied_checksum() != r.checksum()) {
        std::printf("Warning: the script changed after it was applied (applied %s)\n",
                    r.applied_checksum().c_str());
      }
    }
    std::printf("\n    %s\n\n", r.message().c_str());
    if (with_sql) {
      std::printf("-- +upgrade\n%s\n-- +downgrade\n%s\n", r.upgrade_sql().c_str(),
                  r.downgrade_sql().empty() ? "-- (none)" : r.downgrade_sql().c_str());
    }
  }
}

void Renderer::Log(const proto::Result& result) {
  for (const auto& e : result.log()) {
    // Offline SQL rows have no uid and no host: their user name says what wrote them.
    const std::string who =
        e.uid() < 0 && e.host().empty()
            ? e.user_name()
            : e.user_name() + " (uid " + std::to_string(e.uid()) + ") on " + e.host();
    std::printf("%s  %-9s %-40s %-7s %9.1f ms  %s\n", e.started_at().c_str(), e.direction().c_str(),
                e.revision().c_str(), e.outcome().c_str(), e.duration_ms(), who.c_str());
    // A successful row's text is a note (a baseline's match, a repair's reason), not an error.
    if (!e.error().empty()) {
      std::printf("    %s: %s\n", e.outcome() == "success" ? "note" : "error", e.error().c_str());
    }
    if (!e.backup_id().empty()) std::printf("    backup: %s\n", e.backup_id().c_str());
  }
  if (result.log().empty()) std::printf("no migrations recorded yet\n");
}

void Renderer::Backups(const proto::Result& result) {
  std::printf("%-58s %-15s %-36s %10s %8s %s\n", "ID", "KIND", "REVISION", "SIZE", "AGE",
              "VERIFIED");
  for (const auto& b : result.backups()) {
    std::printf("%-58s %-15s %-36s %10lld %8s %s\n", b.id().c_str(), b.kind().c_str(),
                Joined(b.revisions(), "base").c_str(), static_cast<long long>(b.size_bytes()),
                Duration(b.age_seconds()).c_str(), b.verified() ? "yes" : "no");
  }
  std::printf("%s\n", result.message().c_str());
}

void Renderer::Plan(const proto::Result& result) {
  for (const auto& step : result.plan()) {
    std::printf("-- %s %s (%s)\n", step.direction().c_str(), step.revision().c_str(),
                step.path().c_str());
    for (const auto& statement : step.statements()) {
      std::printf("-- line %d\n%s;\n", statement.line(), statement.sql().c_str());
    }
    std::printf("\n");
  }
}

void Renderer::Check(const proto::Result& result) {
  for (const auto& problem : result.problems()) {
    std::printf("%s%s%s: %s\n", problem.kind().c_str(), problem.revision().empty() ? "" : " ",
                problem.revision().c_str(), problem.detail().c_str());
  }
  for (const auto& order : result.column_order()) {
    std::printf("note (not drift): %s\n", order.text().c_str());
  }
  std::printf("%s\n", result.message().c_str());
}

}  // namespace migrationd
