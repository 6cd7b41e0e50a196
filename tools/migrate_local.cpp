// migrate-local: drives the migration engine directly on one database, without the daemon.
//
// A developer's entry point (and the README demo's until migrationd and migctl exist). It holds
// no migration lock, so it must not be pointed at a database a daemon manages.
//
//   migrate-local --database URL --migrations DIR COMMAND [ARG]
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "core/db/backend.h"
#include "core/engines/open_backend.h"
#include "core/run/migration_runner.h"
#include "core/scripts/script_directory.h"

namespace migrationd {
namespace {

constexpr const char* kUsage =
    "usage: migrate-local --database URL --migrations DIR COMMAND [ARG]\n"
    "commands:\n"
    "  upgrade [TARGET]    apply revisions up to TARGET (default: head)\n"
    "  downgrade TARGET    roll back to TARGET (-N, a revision, base)\n"
    "  stamp REV           set the version rows without running SQL\n"
    "  current             the database's revision(s), the head(s), the pending count\n"
    "  history             the migration history, oldest first\n";

struct Context {
  const ScriptDirectory& scripts;
  Backend& backend;
  MigrationRunner& runner;
  std::string argument;
};

std::string Join(const std::vector<std::string>& items) {
  std::string joined;
  for (const auto& item : items) joined += (joined.empty() ? "" : ", ") + item;
  return joined.empty() ? "base (nothing applied)" : joined;
}

Status RunPlan(Context& context, const Result<MigrationPlan>& plan) {
  if (!plan.ok()) return plan.status();
  if (plan->steps.empty()) {
    std::printf("nothing to do: the database is at %s\n", Join(plan->heads_before).c_str());
    return Status::Ok();
  }
  RunObserver observer;
  observer.step_started = [](const PlannedStep& step, size_t index, size_t total) {
    std::printf("[%zu/%zu] %-9s %s ...", index + 1, total, DirectionName(step.direction),
                step.revision.c_str());
    std::fflush(stdout);
  };
  observer.step_finished = [](const PlannedStep&, double ms) {
    std::printf(" done in %.1f ms\n", ms);
  };
  Status status = context.runner.Execute(*plan, RequestIdentity::OfThisProcess(), observer);
  if (!status.ok()) std::printf(" failed\n");
  return status;
}

Status Current(Context& context) {
  auto heads = context.runner.CurrentHeads();
  if (!heads.ok()) return heads.status();
  auto pending = context.scripts.graph().Pending(*heads);
  if (!pending.ok()) return pending.status();
  std::printf("database: %s\ncurrent:  %s\nhead:     %s\npending:  %zu\n",
              context.backend.Describe().c_str(), Join(*heads).c_str(),
              Join(context.scripts.graph().Heads()).c_str(), pending->size());
  return Status::Ok();
}

Status History(Context& context) {
  VersionStore store(context.backend);
  auto history = store.ReadHistory();
  if (!history.ok()) return history.status();
  for (const auto& entry : *history) {
    std::printf("%s  %-9s %-40s %-7s %8.1f ms  by %s  sha256:%.12s\n", entry.started_at.c_str(),
                entry.direction.c_str(), entry.revision.c_str(), entry.outcome.c_str(),
                entry.duration_ms, entry.requester.user_name.c_str(), entry.checksum.c_str());
    if (!entry.error.empty()) std::printf("    error: %s\n", entry.error.c_str());
  }
  return Status::Ok();
}

Status Dispatch(Context& context, const std::string& command) {
  if (command == "upgrade") {
    return RunPlan(
        context, context.runner.PlanUpgrade(context.argument.empty() ? "head" : context.argument));
  }
  if (command == "downgrade") {
    if (context.argument.empty()) return Status::InvalidArgument("downgrade needs a TARGET");
    return RunPlan(context, context.runner.PlanDowngrade(context.argument));
  }
  if (command == "stamp") {
    if (context.argument.empty()) return Status::InvalidArgument("stamp needs a REV");
    return context.runner.Stamp({context.argument}, RequestIdentity::OfThisProcess());
  }
  if (command == "current") return Current(context);
  if (command == "history") return History(context);
  return Status::InvalidArgument("unknown command '" + command + "'\n" + kUsage);
}

int Main(int argc, char** argv) {
  std::string database, migrations, command, argument;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if ((arg == "--database" || arg == "--migrations") && i + 1 < argc) {
      (arg == "--database" ? database : migrations) = argv[++i];
    } else if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (command.empty()) {
      command = arg;
    } else if (argument.empty()) {
      argument = arg;
    } else {
      std::fprintf(stderr, "migrate-local: unexpected argument '%s'\n%s", arg.c_str(), kUsage);
      return 2;
    }
  }
  if (database.empty() || migrations.empty() || command.empty()) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  auto url = DatabaseUrl::Parse(database);
  auto scripts = ScriptDirectory::Load(migrations);
  Result<std::unique_ptr<Backend>> backend =
      url.ok() ? OpenBackend(*url) : Result<std::unique_ptr<Backend>>(url.status());
  for (const Status& status : {url.status(), scripts.status(), backend.status()}) {
    if (!status.ok()) {
      std::fprintf(stderr, "migrate-local: %s\n", status.ToString().c_str());
      return 1;
    }
  }
  MigrationRunner runner(*scripts, **backend);
  Context context{*scripts, **backend, runner, argument};
  Status status = runner.Prepare();
  if (status.ok()) status = Dispatch(context, command);
  if (!status.ok()) {
    std::fprintf(stderr, "migrate-local: %s\n", status.ToString().c_str());
    return status.code() == ErrorCode::kInvalidArgument ? 2 : 1;
  }
  return 0;
}

}  // namespace
}  // namespace migrationd

int main(int argc, char** argv) { return migrationd::Main(argc, argv); }
