// migctl: the thin client of migrationd. Parses arguments, sends one request, renders the
// events and the result, and exits with the code DESIGN.md documents:
//   0 ok · 1 failed · 2 usage · 3 not at head · 4 busy · 5 unreachable · 6 permission denied ·
//   7 integrity · 8 outside the maintenance window
// The one local command is `revision`, which writes a script file and never talks to the daemon.
#include <signal.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "client/control_client.h"
#include "client/new_revision.h"
#include "client/render.h"

namespace migrationd {
namespace {

constexpr const char* kDefaultSocket = "/run/migrationd/migrationd.sock";
constexpr int kExitUsage = 2;
constexpr int kExitUnreachable = 5;

struct Options {
  std::string socket;
  bool json = false;
  bool wait = false;
  bool dry_run = false;
  bool verbose = false;
  bool help = false;
  bool no_backup = false;
  bool from_other_database = false;
  std::string label;
  std::string range;
  std::string message;
  std::string migrations;
  std::string id;
  std::string reason;
  uint32_t limit = 0;
  std::vector<std::string> positional;
  std::vector<std::string> given;  // the command-specific flags on the command line
};

// A row of the command table: adding a command is adding a row.
struct CommandSpec {
  const char* name;
  proto::Command command;  // COMMAND_UNSPECIFIED: local
  const char* synopsis;
  const char* help;
  int min_args;
  int max_args;
  // The flags this command takes besides the global ones (--socket, --json, --help); any other
  // is a usage error naming it, never silently ignored.
  const char* flags;
};

constexpr CommandSpec kCommands[] = {
    {"status", proto::STATUS, "status", "daemon, database, revisions, lock, running job", 0, 0, ""},
    {"current", proto::CURRENT, "current", "the database's current revision(s)", 0, 0, ""},
    {"heads", proto::HEADS, "heads", "the scripts' head revision(s)", 0, 0, ""},
    {"history", proto::HISTORY, "history [--verbose] [-r FROM:TO]",
     "the revisions, newest first, marked head/current/pending", 0, 0, "--verbose -r"},
    {"show", proto::SHOW, "show REV", "one revision: fields, state and SQL", 1, 1, ""},
    {"check", proto::CHECK, "check",
     "exit 0 at head, 3 if revisions are pending, 7 on integrity problems", 0, 0, ""},
    {"log", proto::LOG, "log [-n N]", "the audit trail of upgrades, downgrades and stamps", 0, 0,
     "-n"},
    {"upgrade", proto::UPGRADE, "upgrade [TARGET] [--wait] [--dry-run] [--no-backup]",
     "back up, then apply revisions up to TARGET: head (default), heads, +N, a revision", 0, 1,
     "--wait --dry-run --no-backup"},
    {"downgrade", proto::DOWNGRADE, "downgrade TARGET [--wait] [--dry-run] [--no-backup]",
     "back up, then roll back to TARGET: -N, a revision or prefix, base", 1, 1,
     "--wait --dry-run --no-backup"},
    {"stamp", proto::STAMP, "stamp REV [--wait]",
     "set the version rows to REV (or base, head, heads) without running SQL", 1, 1, "--wait"},
    {"backup", proto::BACKUP, "backup [--label L] [--wait]", "take a verified manual backup now", 0,
     0, "--label --wait"},
    {"backups", proto::BACKUPS, "backups", "list backups: kind, revision, size, age, verified", 0,
     0, ""},
    {"restore", proto::RESTORE, "restore ID [--from-other-database] [--wait]",
     "back up the current state, then restore backup ID (data and revision)", 1, 1,
     "--from-other-database --wait"},
    {"repair", proto::REPAIR, "repair [REV...] --reason TEXT [--wait]",
     "accept edited applied scripts: record their new checksums and why (admin)", 0, 1000,
     "--reason --wait"},
    {"cancel", proto::CANCEL, "cancel", "stop the running job (its current revision rolls back)", 0,
     0, ""},
    {"revision", proto::COMMAND_UNSPECIFIED, "revision -m MESSAGE [--migrations DIR] [--id ID]",
     "write a new revision file whose parent is the current head (local, no daemon)", 0, 0,
     "-m --migrations --id"},
};

void PrintUsage(FILE* out) {
  std::fprintf(out,
               "usage: migctl [--socket PATH] [--json] COMMAND [ARGS]\n\n"
               "The socket comes from --socket, else MIGCTL_SOCKET, else %s.\n"
               "--json prints every event and the result as one JSON object per line.\n\n"
               "commands:\n",
               kDefaultSocket);
  for (const auto& spec : kCommands) std::fprintf(out, "  %-42s %s\n", spec.synopsis, spec.help);
  std::fprintf(out,
               "\nexit codes: 0 ok, 1 failed, 2 usage, 3 not at head, 4 busy, 5 daemon "
               "unreachable, 6 permission denied, 7 integrity error\n"
               "'migctl COMMAND --help' describes one command.\n");
}

const CommandSpec* FindCommand(const std::string& name) {
  for (const auto& spec : kCommands) {
    if (name == spec.name) return &spec;
  }
  return nullptr;
}

// Flags may come before or after the command. Returns an error message, or "".
std::string ParseOptions(int argc, char** argv, Options& options) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const char* flag) -> const char* {
      if (i + 1 >= argc) return nullptr;
      (void)flag;
      return argv[++i];
    };
    auto need = [&](std::string& into, const char* flag) -> std::string {
      const char* v = value(flag);
      if (v == nullptr) return std::string(flag) + " needs a value";
      into = v;
      return "";
    };
    std::string error;
    // The command-specific flag this is, by its canonical name ("" for global ones and
    // positional arguments), checked against the command once it is known.
    static const std::pair<const char*, const char*> kCanonical[] = {
        {"--wait", "--wait"},
        {"--no-backup", "--no-backup"},
        {"--label", "--label"},
        {"--dry-run", "--dry-run"},
        {"--verbose", "--verbose"},
        {"-v", "--verbose"},
        {"-r", "-r"},
        {"--rev-range", "-r"},
        {"-m", "-m"},
        {"--message", "-m"},
        {"--migrations", "--migrations"},
        {"--id", "--id"},
        {"--reason", "--reason"},
        {"-n", "-n"},
        {"--from-other-database", "--from-other-database"}};
    for (const auto& [spelling, canonical] : kCanonical) {
      if (arg == spelling) options.given.emplace_back(canonical);
    }
    if (arg == "--socket") {
      error = need(options.socket, "--socket");
    } else if (arg == "--json") {
      options.json = true;
    } else if (arg == "--wait") {
      options.wait = true;
    } else if (arg == "--no-backup") {
      options.no_backup = true;
    } else if (arg == "--from-other-database") {
      options.from_other_database = true;
    } else if (arg == "--label") {
      error = need(options.label, "--label");
    } else if (arg == "--dry-run") {
      options.dry_run = true;
    } else if (arg == "--verbose" || arg == "-v") {
      options.verbose = true;
    } else if (arg == "--help" || arg == "-h") {
      options.help = true;
    } else if (arg == "-r" || arg == "--rev-range") {
      error = need(options.range, "-r");
    } else if (arg == "-m" || arg == "--message") {
      error = need(options.message, "-m");
    } else if (arg == "--migrations") {
      error = need(options.migrations, "--migrations");
    } else if (arg == "--id") {
      error = need(options.id, "--id");
    } else if (arg == "--reason") {
      error = need(options.reason, "--reason");
    } else if (arg == "-n") {
      std::string n;
      error = need(n, "-n");
      if (error.empty()) {
        uint32_t parsed = 0;
        auto [end, failed] = std::from_chars(n.data(), n.data() + n.size(), parsed);
        if (n.empty() || failed != std::errc() || end != n.data() + n.size() || parsed == 0) {
          return "-n needs a positive whole number, not '" + n + "'";
        }
        options.limit = parsed;
      }
    } else if (arg.size() > 1 && arg[0] == '-' &&
               !std::isdigit(static_cast<unsigned char>(arg[1]))) {
      return "unknown option " + arg;  // "-1" is a downgrade target, not a flag
    } else {
      options.positional.push_back(arg);
    }
    if (!error.empty()) return error;
  }
  return "";
}

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

int RunLocalRevision(const Options& options, Renderer& renderer) {
  NewRevisionRequest request;
  request.message = options.message;
  request.id = options.id;
  request.directory = !options.migrations.empty()        ? options.migrations
                      : std::getenv("MIGCTL_MIGRATIONS") ? std::getenv("MIGCTL_MIGRATIONS")
                                                         : "migrations";
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

int Main(int argc, char** argv) {
  Options options;
  std::string error = ParseOptions(argc, argv, options);
  RenderOptions render_options;
  render_options.json = options.json;
  render_options.verbose = options.verbose;
  render_options.terminal = isatty(STDOUT_FILENO) != 0;
  Renderer renderer(render_options);
  if (!error.empty()) {
    renderer.ClientError(error + " ('migctl --help' lists the options)", kExitUsage);
    return kExitUsage;
  }
  if (options.positional.empty()) {
    PrintUsage(options.help ? stdout : stderr);
    return options.help ? 0 : kExitUsage;
  }
  const CommandSpec* spec = FindCommand(options.positional[0]);
  if (spec == nullptr) {
    renderer.ClientError(
        "unknown command '" + options.positional[0] + "' ('migctl --help' lists them)", kExitUsage);
    return kExitUsage;
  }
  if (options.help) {
    std::printf("usage: migctl %s\n  %s\n", spec->synopsis, spec->help);
    return 0;
  }
  // A flag the command does not take is an error naming it: `stamp --dry-run` must never stamp.
  for (const auto& flag : options.given) {
    const std::string allowed = std::string(" ") + spec->flags + " ";
    if (allowed.find(" " + flag + " ") == std::string::npos) {
      renderer.ClientError(
          flag + " does not apply to '" + spec->name + "' (usage: migctl " + spec->synopsis + ")",
          kExitUsage);
      return kExitUsage;
    }
  }
  const int args = static_cast<int>(options.positional.size()) - 1;
  if (args < spec->min_args || args > spec->max_args) {
    renderer.ClientError(std::string("usage: migctl ") + spec->synopsis, kExitUsage);
    return kExitUsage;
  }
  if (spec->command == proto::COMMAND_UNSPECIFIED) return RunLocalRevision(options, renderer);
  struct sigaction interrupt {};
  interrupt.sa_handler = OnInterrupt;
  sigaction(SIGINT, &interrupt, nullptr);

  proto::Request request;
  request.set_request_id(1);
  request.set_command(spec->command);
  if (spec->command == proto::REPAIR) {
    for (int i = 1; i <= args; ++i)
      request.add_revisions(options.positional[static_cast<size_t>(i)]);
    request.set_reason(options.reason);
  } else if (args == 1) {
    request.set_target(options.positional[1]);
  }
  if (spec->command == proto::UPGRADE && args == 0) request.set_target("head");
  request.set_wait(options.wait);
  request.set_dry_run(options.dry_run);
  request.set_range(options.range);
  request.set_limit(options.limit);
  request.set_no_backup(options.no_backup);
  request.set_from_other_database(options.from_other_database);
  request.set_label(options.label);

  std::string socket = !options.socket.empty()        ? options.socket
                       : std::getenv("MIGCTL_SOCKET") ? std::getenv("MIGCTL_SOCKET")
                                                      : kDefaultSocket;
  auto client = ControlClient::Connect(socket);
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
  renderer.Result(spec->command, *result);
  return ExitCodeFor(result->code());
}

}  // namespace
}  // namespace migrationd

int main(int argc, char** argv) { return migrationd::Main(argc, argv); }
