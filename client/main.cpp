// migctl: the thin client of migrationd. Parses arguments, sends one request, renders the
// events and the result, and exits with the code DESIGN.md documents:
//   0 ok · 1 failed · 2 usage · 3 not at head · 4 busy · 5 unreachable · 6 permission denied ·
//   7 integrity · 8 outside the maintenance window
// The one local command is `revision`, which writes a script file and never talks to the daemon.
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "client/command_line.h"
#include "client/control_client.h"
#include "client/render.h"
#include "core/base/accounts.h"
#include "core/scripts/new_revision.h"
#include "core/scripts/offline_sql.h"

namespace migrationd {
namespace {

constexpr int kExitUsage = 2;
constexpr int kExitUnreachable = 5;

bool IsUtf8(const std::string& text) {
  for (size_t i = 0; i < text.size();) {
    auto c = static_cast<unsigned char>(text[i]);
    size_t extra = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : 9;
    if (extra == 9 || i + extra >= text.size() + (extra == 0 ? 1 : 0)) return false;
    for (size_t k = 1; k <= extra; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) >> 6) != 2) return false;
    }
    i += extra + 1;
  }
  return true;
}

// `text` as a JSON string literal: quotes, backslashes and control characters escaped, and a
// path that is not UTF-8 (file names are bytes) escaped byte by byte, so the line always parses.
std::string JsonString(const std::string& text) {
  const bool utf8 = IsUtf8(text);
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || (c >= 0x80 && !utf8)) {
      char escaped[8];
      std::snprintf(escaped, sizeof(escaped), "\\u%04x", c);
      out += escaped;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string MigrationsDirectory(const CommandLine& options) {
  return !options.migrations.empty()        ? options.migrations
         : std::getenv("MIGCTL_MIGRATIONS") ? std::getenv("MIGCTL_MIGRATIONS")
                                            : "migrations";
}

int ExitCodeForLocal(const Status& status) {
  return status.code() == ErrorCode::kIntegrity         ? 7
         : status.code() == ErrorCode::kInvalidArgument ? kExitUsage
                                                        : 1;
}

// `upgrade --sql [FROM:]TO`, `downgrade --sql FROM:TO`: printed from the scripts, no daemon.
int RunOfflineSql(const CommandLine& options, Renderer& renderer) {
  auto scripts = ScriptDirectory::Load(MigrationsDirectory(options));
  if (!scripts.ok()) {
    renderer.ClientError(scripts.status().message(), ExitCodeForLocal(scripts.status()));
    return ExitCodeForLocal(scripts.status());
  }
  OfflineRequest request;
  request.dialect = options.dialect;
  request.direction =
      options.request == proto::UPGRADE ? Direction::kUpgrade : Direction::kDowngrade;
  const std::string range = options.arguments.empty() ? "head" : options.arguments.front();
  const size_t colon = range.find(':');
  if (colon == std::string::npos && request.direction == Direction::kDowngrade) {
    renderer.ClientError(
        "downgrade --sql needs FROM:TO (the database's revision now, then the "
        "target), e.g. 003:001",
        kExitUsage);
    return kExitUsage;
  }
  // No daemon here: a hint must name what works without one.
  const auto offline = [&](const Status& status) {
    std::string message = status.message();
    const std::string daemon_hint = "'migctl history' lists the known revisions";
    if (const size_t at = message.find(daemon_hint); at != std::string::npos) {
      const auto order = scripts->graph().TopologicalOrder();
      message.replace(at, daemon_hint.size(),
                      "the scripts in " + scripts->directory() + " define " +
                          std::to_string(order.size()) + " revision(s)" +
                          (order.empty() ? "" : ", " + order.front() + " to " + order.back()) +
                          " (and 'base')");
    }
    return message;
  };
  const std::string from = colon == std::string::npos ? "" : range.substr(0, colon);
  if (!from.empty() && from != "base") {  // base: nothing applied, as in every other range
    auto resolved = scripts->graph().ResolveRevision(from);
    if (!resolved.ok()) {
      renderer.ClientError(offline(resolved.status()), kExitUsage);
      return kExitUsage;
    }
    request.from = {*resolved};
  }
  request.to = colon == std::string::npos ? range : range.substr(colon + 1);
  const auto user = LookUpUser(getuid());
  request.generated_by =
      (user ? user->name : std::to_string(getuid())) + ", migctl " + kMigctlVersion;
  auto sql = OfflineSql(*scripts, request);
  if (!sql.ok()) {
    renderer.ClientError(offline(sql.status()), ExitCodeForLocal(sql.status()));
    return ExitCodeForLocal(sql.status());
  }
  std::fputs(sql->c_str(), stdout);
  return 0;
}

// The migrationd that generates: $MIGCTL_MIGRATIOND, else the one beside this migctl (an
// installed package, a build tree's bin/), else "migrationd" from PATH.
std::string MigrationdProgram() {
  if (const char* named = std::getenv("MIGCTL_MIGRATIOND"); named != nullptr && *named != '\0') {
    return named;
  }
  std::error_code error;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", error);
  if (!error) {
    const auto beside = self.parent_path() / "migrationd";
    if (access(beside.c_str(), X_OK) == 0) return beside.string();
  }
  return "migrationd";
}

// `revision --autogenerate`: migctl opens no database, so migrationd does the work and prints
// the answer; this process becomes it (execvp with an argument vector, no shell).
int RunAutogenerate(const CommandLine& options, Renderer& renderer) {
  if (options.from_databases.empty() && options.from_schema.empty()) {
    renderer.ClientError(
        "revision --autogenerate needs --from-database URL (a database with the desired "
        "schema) or --from-schema FILE (its CREATE statements)",
        kExitUsage);
    return kExitUsage;
  }
  std::vector<std::string> args = {MigrationdProgram(),          "--autogenerate", "--migrations",
                                   MigrationsDirectory(options), "--message",      options.message};
  for (const auto& url : options.from_databases) args.insert(args.end(), {"--from-database", url});
  if (!options.from_schema.empty()) args.insert(args.end(), {"--from-schema", options.from_schema});
  if (!options.dialect.empty()) args.insert(args.end(), {"--dialect", options.dialect});
  if (!options.id.empty()) args.insert(args.end(), {"--id", options.id});
  if (!options.scratch_database.empty()) {
    args.insert(args.end(), {"--scratch-database", options.scratch_database});
  }
  for (const auto& rename : options.renames) args.insert(args.end(), {"--rename", rename});
  if (options.sql_only) args.emplace_back("--sql-only");
  if (options.online) args.emplace_back("--online");
  if (options.json) args.emplace_back("--json");
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::fflush(stdout);
  execvp(argv[0], argv.data());
  const std::string why = std::strerror(errno);
  renderer.ClientError("cannot run " + args[0] + ": " + why +
                           " (revision --autogenerate needs migrationd installed beside migctl, "
                           "or its path in $MIGCTL_MIGRATIOND)",
                       1);
  return 1;
}

int RunLocalRevision(const CommandLine& options, Renderer& renderer) {
  if (options.autogenerate) return RunAutogenerate(options, renderer);
  const bool generate_flags = !options.from_databases.empty() || !options.from_schema.empty() ||
                              !options.dialect.empty() || !options.scratch_database.empty() ||
                              !options.renames.empty() || options.sql_only || options.online;
  if (generate_flags) {
    renderer.ClientError(
        "--from-database, --from-schema, --dialect, --scratch-database, --rename, --online and "
        "--sql-only go with --autogenerate",
        kExitUsage);
    return kExitUsage;
  }
  NewRevisionRequest request;
  request.message = options.message;
  request.id = options.id;
  request.directory = MigrationsDirectory(options);
  auto path = CreateRevisionFile(request);
  if (!path.ok()) {
    int code = path.status().code() == ErrorCode::kIntegrity         ? 7
               : path.status().code() == ErrorCode::kInvalidArgument ? kExitUsage
                                                                     : 1;
    renderer.ClientError(path.status().message(), code);
    return code;
  }
  if (options.json) {
    std::printf("{\"revision\":{\"path\":%s}}\n", JsonString(*path).c_str());
  } else {
    std::printf("created %s\n", path->c_str());
  }
  return 0;
}

// Ctrl-C ends migctl, not the job: the daemon carries on with it. Say so, and how to stop it.
void OnInterrupt(int) {
  static const char kMessage[] =
      "\nmigctl: interrupted; the job continues in migrationd ('migctl status' shows it, "
      "'migctl cancel' stops it)\n";
  (void)!write(STDERR_FILENO, kMessage, sizeof(kMessage) - 1);
  _exit(130);
}

// --json before the parser ran: a usage error is rendered as JSON too.
bool WantsJson(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--json") return true;
  }
  return false;
}

proto::Request MakeRequest(const CommandLine& options) {
  proto::Request request;
  request.set_request_id(1);
  request.set_command(options.request);
  if (options.request == proto::REPAIR) {
    for (const auto& revision : options.arguments) request.add_revisions(revision);
    request.set_reason(options.reason);
  } else if (!options.arguments.empty()) {
    request.set_target(options.arguments.front());
  }
  if ((options.request == proto::UPGRADE || options.request == proto::LINT) &&
      options.arguments.empty()) {
    request.set_target("head");
  }
  request.set_all(options.all);
  request.set_fresh_backup(options.fresh_backup);
  request.set_rehearse(options.rehearse);
  request.set_wait(options.wait);
  request.set_dry_run(options.dry_run);
  request.set_range(options.request == proto::VERIFY &&
                            !(options.from.empty() && options.to.empty())
                        ? options.from + ":" + options.to
                        : options.range);
  request.set_limit(options.limit);
  request.set_no_backup(options.no_backup);
  request.set_from_other_database(options.from_other_database);
  request.set_force(options.force);
  request.set_in_window(options.in_window);
  request.set_apply(options.apply);
  request.set_schema(options.schema);
  request.set_atomic(options.atomic);
  request.set_label(options.label);
  const char* database = std::getenv("MIGCTL_DATABASE");
  request.set_database(!options.database.empty() ? options.database
                       : database != nullptr     ? database
                                                 : "");
  return request;
}

int Main(int argc, char** argv) {
  ParsedCommandLine parsed = ParseCommandLine(argc, argv);
  const CommandLine& options = parsed.line;
  RenderOptions render_options;
  render_options.json = parsed.outcome == ParsedCommandLine::Outcome::kUsageError
                            ? WantsJson(argc, argv)
                            : options.json;
  render_options.verbose = options.verbose;
  render_options.lint_format = options.format;
  render_options.terminal = isatty(STDOUT_FILENO) != 0;
  Renderer renderer(render_options);
  switch (parsed.outcome) {
    case ParsedCommandLine::Outcome::kPrint:
      std::fputs(parsed.text.c_str(), stdout);
      return 0;
    case ParsedCommandLine::Outcome::kUsageError:
      renderer.ClientError(parsed.error, kExitUsage);
      return kExitUsage;
    case ParsedCommandLine::Outcome::kRun:
      break;
  }
  if (options.request == proto::COMMAND_UNSPECIFIED) return RunLocalRevision(options, renderer);
  if (options.sql) return RunOfflineSql(options, renderer);
  struct sigaction interrupt {};
  interrupt.sa_handler = OnInterrupt;
  sigaction(SIGINT, &interrupt, nullptr);

  const proto::Request request = MakeRequest(options);
  std::string socket = !options.socket.empty()        ? options.socket
                       : std::getenv("MIGCTL_SOCKET") ? std::getenv("MIGCTL_SOCKET")
                                                      : kDefaultSocket;
  // A daemon at its connection limits is waited for briefly (docs/MIGCTL.md, exit code 4).
  auto client = ControlClient::ConnectWithin(socket, kBusyPatience);
  if (!client.ok()) {
    const ErrorCode why = client.status().code();
    const int code = why == ErrorCode::kBusy               ? ExitCodeFor(proto::BUSY)
                     : why == ErrorCode::kPermissionDenied ? ExitCodeFor(proto::PERMISSION_DENIED)
                                                           : kExitUnreachable;
    renderer.ClientError(client.status().message(), code);
    return code;
  }
  auto result = client->Call(request, [&](const proto::Event& event) { renderer.Event(event); });
  if (!result.ok()) {
    renderer.ClientError(result.status().message(), kExitUnreachable);
    return kExitUnreachable;
  }
  renderer.Result(options.request, *result);
  return ExitCodeFor(result->code());
}

}  // namespace
}  // namespace migrationd

int main(int argc, char** argv) { return migrationd::Main(argc, argv); }
