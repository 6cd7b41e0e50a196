#include "daemon/requests/queries.h"

#include <map>

#include "core/engines/open_backend.h"
#include "core/run/migration_lock.h"
#include "core/run/migration_runner.h"
#include "daemon/requests/lint_queries.h"

namespace migrationd {
namespace {

// A connection and a runner for one read-only request.
struct Reader {
  std::shared_ptr<Backend> backend;
  std::unique_ptr<MigrationRunner> runner;
};

Result<Reader> OpenReader(const QueryContext& context) {
  auto backend = OpenForReading(context);
  if (!backend.ok()) return backend.status();
  Reader reader{std::move(backend).value(), nullptr};
  reader.runner = std::make_unique<MigrationRunner>(context.scripts, *reader.backend);
  return reader;
}

// A read that waited its bound behind a migration's write lock (SQLite holds it for a whole
// step that writes much) says so, and who migrates, instead of a bare "database is locked".
Status WhileMigrating(const QueryContext& context, Backend* backend, const Status& status) {
  if (status.code() != ErrorCode::kBusy) return status;
  std::optional<LockHolderInfo> holder;
  if (backend != nullptr) {
    auto read = ReadMigrationLockHolder(context.url, *backend);
    if (read.ok()) holder = *read;
  } else {
    holder = ReadMigrationLockHolderWithoutConnection(context.url);
  }
  const std::string who = holder ? " by " + holder->Describe() : "";
  return Status::Busy("the database is being migrated" + who +
                      ", and the migration holds its write lock: the revision cannot be read "
                      "until that step commits; ask again in a moment (" +
                      status.message() + ")");
}

// The version tables' state: the one the daemon keeps while its job runs, else read now.
// `open`: a connection the caller already holds (none: one is borrowed).
Result<RecordedState> ReadState(const QueryContext& context, Backend* open = nullptr) {
  if (context.known != nullptr) return *context.known;
  std::shared_ptr<Backend> borrowed;
  if (open == nullptr) {
    auto backend = OpenForReading(context);
    if (!backend.ok()) return WhileMigrating(context, nullptr, backend.status());
    borrowed = std::move(backend).value();
    open = borrowed.get();
  }
  auto state = VersionStore(*open).ReadState(context.history);
  if (!state.ok()) return WhileMigrating(context, open, state.status());
  return state;
}

void Fill(proto::RevisionInfo& info, const ScriptDirectory& scripts, std::string_view dialect,
          const std::string& id) {
  const Script& script = scripts.script(id);
  const RevisionGraph& graph = scripts.graph();
  info.set_revision(id);
  for (const auto& parent : script.parents) info.add_parents(parent);
  for (const auto& child : graph.Children(id)) info.add_children(child);
  info.set_message(script.message);
  info.set_path(script.path);
  info.set_transaction(script.transaction == TransactionMode::kNone ? "none" : "per-migration");
  info.set_checksum(script.Checksum(dialect));
  info.set_loses_data(script.loses_data);
  const auto& heads = graph.Heads();
  info.set_is_head(std::find(heads.begin(), heads.end(), id) != heads.end());
}

// Revision infos with applied/current flags from the database, in the given order.
Status FillRevisions(const QueryContext& context, const std::vector<std::string>& ids,
                     proto::Result& result) {
  auto state = ReadState(context);
  if (!state.ok()) return state.status();
  auto current = CurrentHeads(context.scripts, *state);
  if (!current.ok()) return current.status();
  auto pending = context.scripts.graph().Pending(*current);
  if (!pending.ok()) return pending.status();
  const std::map<std::string, AppliedRecord>& applied = state->applied;
  for (const auto& id : ids) {
    proto::RevisionInfo* info = result.add_revisions();
    Fill(*info, context.scripts, context.url.dialect(), id);
    info->set_applied(std::find(pending->begin(), pending->end(), id) == pending->end());
    info->set_is_current(std::find(current->begin(), current->end(), id) != current->end());
    if (auto it = applied.find(id); it != applied.end()) {
      info->set_applied_at(it->second.applied_at);
      info->set_applied_checksum(it->second.checksum);
    }
    for (const auto& step : state->incomplete) {
      if (step.revision == id) info->set_incomplete(step.Describe());
    }
  }
  for (const auto& head : *current) result.add_current(head);
  return Status::Ok();
}

}  // namespace

Result<std::shared_ptr<Backend>> OpenForReading(const QueryContext& context) {
  if (context.connections != nullptr) return context.connections->Borrow();
  return Shared(OpenBackendForReading(context.url));
}

std::string JoinRevisions(const std::vector<std::string>& revisions) {
  std::string joined;
  for (const auto& revision : revisions) joined += (joined.empty() ? "" : ", ") + revision;
  return joined.empty() ? "base" : joined;
}

proto::ErrorCode ToProtoCode(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk:
      return proto::OK;
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kNotFound:
      return proto::INVALID_ARGUMENT;
    case ErrorCode::kIntegrity:
      return proto::INTEGRITY;
    case ErrorCode::kBusy:
    case ErrorCode::kConflict:  // another migration was in the way: try again, as for busy
      return proto::BUSY;
    case ErrorCode::kPermissionDenied:
      return proto::PERMISSION_DENIED;
    case ErrorCode::kOutsideWindow:
      return proto::OUTSIDE_WINDOW;
    default:
      return proto::FAILED;
  }
}

proto::Result ErrorResult(const Status& status) {
  proto::Result result;
  result.set_code(ToProtoCode(status.code()));
  result.set_message(status.message());
  return result;
}

proto::Result QueryCurrent(const QueryContext& context) {
  auto state = ReadState(context);
  if (!state.ok()) return ErrorResult(state.status());
  auto current = CurrentHeads(context.scripts, *state);
  if (!current.ok()) return ErrorResult(current.status());
  proto::Result result;
  for (const auto& head : *current) result.add_current(head);
  for (const auto& head : context.scripts.graph().Heads()) result.add_heads(head);
  result.set_message(JoinRevisions(*current));
  return result;
}

proto::Result QueryHeads(const QueryContext& context) {
  proto::Result result;
  const auto& heads = context.scripts.graph().Heads();
  Status status = FillRevisions(context, heads, result);
  if (!status.ok()) return ErrorResult(status);
  for (const auto& head : heads) result.add_heads(head);
  return result;
}

proto::Result QueryHistory(const QueryContext& context, const std::string& range) {
  std::string from, to;
  if (!range.empty()) {
    size_t colon = range.find(':');
    if (colon == std::string::npos) {
      return ErrorResult(Status::InvalidArgument("range '" + range +
                                                 "' must be FROM:TO "
                                                 "(either side may be empty)"));
    }
    from = range.substr(0, colon);
    to = range.substr(colon + 1);
  }
  auto ids = context.scripts.graph().Between(from == "base" ? "" : from,
                                             to == "head" || to == "heads" ? "" : to);
  if (!ids.ok()) return ErrorResult(ids.status());
  std::reverse(ids->begin(), ids->end());  // newest first, as Alembic prints it
  proto::Result result;
  Status status = FillRevisions(context, *ids, result);
  if (!status.ok()) return ErrorResult(status);
  for (const auto& head : context.scripts.graph().Heads()) result.add_heads(head);
  return result;
}

proto::Result QueryShow(const QueryContext& context, const std::string& revision) {
  auto id = context.scripts.graph().ResolveRevision(revision);
  if (!id.ok()) return ErrorResult(id.status());
  proto::Result result;
  Status status = FillRevisions(context, {*id}, result);
  if (!status.ok()) return ErrorResult(status);
  const Script& script = context.scripts.script(*id);
  proto::RevisionInfo* info = result.mutable_revisions(0);
  if (auto* up = script.EffectiveSection(Direction::kUpgrade, context.url.dialect())) {
    info->set_upgrade_sql(up->sql);
  }
  if (auto* down = script.EffectiveSection(Direction::kDowngrade, context.url.dialect())) {
    info->set_downgrade_sql(down->sql);
  }
  return result;
}

proto::Result QueryCheck(const QueryContext& context, bool schema) {
  proto::Result result;
  bool integrity = false;
  auto add = [&](const char* kind, const std::string& revision, const std::string& detail) {
    proto::CheckProblem* problem = result.add_problems();
    problem->set_kind(kind);
    problem->set_revision(revision);
    problem->set_detail(detail);
    if (std::string_view(kind) != "not_at_head") integrity = true;
  };
  const RevisionGraph& graph = context.scripts.graph();
  for (const auto& head : graph.Heads()) result.add_heads(head);
  if (graph.Heads().size() > 1) {
    add("multiple_heads", JoinRevisions(graph.Heads()),
        "the scripts have several heads; create a merge revision that names them as parents");
  }
  auto state = ReadState(context);
  if (!state.ok()) return ErrorResult(state.status());
  auto current = CurrentHeads(context.scripts, *state);
  if (!current.ok()) {
    if (current.status().code() != ErrorCode::kIntegrity) return ErrorResult(current.status());
    add("unknown_revision", "", current.status().message());
  } else {
    for (const auto& head : *current) result.add_current(head);
    auto changed = ChangedAppliedScripts(context.scripts, context.url.dialect(), *state);
    if (!changed.ok()) return ErrorResult(changed.status());
    for (const auto& script : *changed) {
      add("checksum_mismatch", script.revision,
          script.path + " changed after it was applied (recorded sha256 " +
              script.recorded.substr(0, 12) + ", now " + script.now.substr(0, 12) +
              "); restore the applied text and put the change in a new revision, or record an "
              "intended edit with 'migctl repair " +
              script.revision + " --reason TEXT'");
    }
    bool unmanaged = false;  // pending revisions are not the way forward then
    if (current->empty()) {
      auto live = OpenForReading(context);
      Status managed =
          live.ok() ? CheckNotUnmanaged(**live, context.scripts, *context.expected, *current, true)
                    : live.status();
      if (!managed.ok() && managed.code() != ErrorCode::kIntegrity) return ErrorResult(managed);
      if (!managed.ok()) {
        add("unmanaged_schema", "base", managed.message());
        unmanaged = true;
        schema = false;  // the schema is compared by baseline, not against base
      }
    }
    for (const auto& step : state->incomplete) {
      add("incomplete_revision", step.revision,
          step.Describe() + "; fix the cause, then 'migctl resume' runs the remaining statements");
    }
    if (schema) {
      auto live = OpenForReading(context);
      Status same =
          live.ok() ? CheckSchemaAt(**live, context.scripts, *context.expected, *current, result)
                    : live.status();
      if (!same.ok() && same.code() != ErrorCode::kIntegrity) return ErrorResult(same);
      for (const auto& change : result.schema_diff()) {
        add("schema_drift", JoinRevisions(*current),
            change.text() + " (against the schema " + JoinRevisions(*current) + " produces)");
      }
    }
    auto pending = graph.Pending(*current);
    if (pending.ok() && !pending->empty() && !unmanaged) {
      add("not_at_head", JoinRevisions(*current),
          std::to_string(pending->size()) + " revision(s) pending: run 'migctl upgrade'");
    }
  }
  if (integrity) {
    result.set_code(proto::INTEGRITY);
    result.set_message("integrity problems found");
  } else if (result.problems_size() > 0) {
    result.set_code(proto::NOT_AT_HEAD);
    result.set_message("the database is not at head");
  } else {
    result.set_message(schema ? "the database is at head, every applied script is unchanged and "
                                "its schema is the one the scripts produce"
                              : "the database is at head and every applied script is unchanged");
  }
  return result;
}

proto::Result QueryLog(const QueryContext& context, uint32_t limit) {
  auto reader = OpenReader(context);
  if (!reader.ok()) return ErrorResult(WhileMigrating(context, nullptr, reader.status()));
  auto log = VersionStore(*reader->backend).ReadHistory(limit);
  if (!log.ok()) return ErrorResult(WhileMigrating(context, reader->backend.get(), log.status()));
  proto::Result result;
  for (const auto& entry : *log) {
    proto::HistoryEntry* out = result.add_log();
    out->set_id(entry.id);
    out->set_revision(entry.revision);
    out->set_direction(entry.direction);
    out->set_checksum(entry.checksum);
    out->set_started_at(entry.started_at);
    out->set_finished_at(entry.finished_at);
    out->set_duration_ms(entry.duration_ms);
    out->set_outcome(entry.outcome);
    out->set_error(entry.error);
    out->set_heads_after(entry.heads_after);
    out->set_uid(entry.requester.uid);
    out->set_user_name(entry.requester.user_name);
    out->set_host(entry.requester.host);
    out->set_daemon_pid(entry.requester.daemon_pid);
    out->set_backup_id(entry.requester.backup_id);
  }
  return result;
}

void AddPlanSteps(const ScriptDirectory& scripts, std::string_view dialect,
                  const MigrationPlan& plan, bool with_sql, proto::Result& result) {
  for (const auto& step : plan.steps) {
    const Script& script = scripts.script(step.revision);
    proto::PlannedStep* out = result.add_plan();
    out->set_revision(step.revision);
    out->set_direction(DirectionName(step.direction));
    out->set_path(script.path);
    if (!with_sql) continue;
    auto statements = script.Statements(step.direction, dialect);
    // A resumed step shows only what is left to run.
    if (&step == &plan.steps.front()) {
      statements.erase(statements.begin(),
                       statements.begin() + static_cast<std::ptrdiff_t>(std::min(
                                                plan.first_step_resumes_after, statements.size())));
    }
    for (const auto& statement : statements) {
      proto::PlannedStatement* planned = out->add_statements();
      planned->set_line(statement.line);
      planned->set_sql(statement.text);
    }
  }
}

proto::Result QueryDryRun(const QueryContext& context, proto::Command command,
                          const std::string& target, bool atomic) {
  auto reader = OpenReader(context);
  if (!reader.ok()) return ErrorResult(reader.status());
  auto plan = command == proto::RESUME    ? reader->runner->PlanResume()
              : command == proto::UPGRADE ? reader->runner->PlanUpgrade(target)
                                          : reader->runner->PlanDowngrade(target);
  if (!plan.ok()) return ErrorResult(plan.status());
  // The refusals the real command makes, before its backup (a dry run answers as it would).
  if (atomic) {
    if (Status whole = reader->runner->CheckAtomic(*plan); !whole.ok()) return ErrorResult(whole);
  }
  if (command == proto::UPGRADE && !plan->steps.empty()) {
    Status managed = CheckNotUnmanaged(*reader->backend, context.scripts, *context.expected,
                                       plan->heads_before, false);
    if (!managed.ok()) return ErrorResult(managed);
  }
  proto::Result result;
  // The lint the upgrade makes (lint_on_upgrade): its findings, and its refusal when it would.
  if (command == proto::UPGRADE && !plan->steps.empty() &&
      context.config.lint_on_upgrade != "off") {
    auto linted = LintPlan(*reader->backend, context.scripts, *plan, context.config);
    if (linted.ok()) {
      FillLint(*linted, "pending revisions", true, result);
      if (context.config.lint_on_upgrade == "refuse" && linted->errors() > 0) {
        result.set_code(proto::INTEGRITY);
        result.set_message("dry run: " + DescribeLintErrors(*linted) +
                           "; lint_on_upgrade = refuse would stop this upgrade before its "
                           "backup. Nothing was changed");
        return result;
      }
    } else if (context.config.lint_on_upgrade == "refuse") {
      return ErrorResult(linted.status().WithContext("lint_on_upgrade = refuse"));
    }
  }
  AddPlanSteps(context.scripts, context.url.dialect(), *plan, true, result);
  for (const auto& head : plan->heads_before) result.add_current(head);
  if (command == proto::RESUME) {
    result.set_message("dry run: " + plan->steps.front().revision + " would continue after its " +
                       std::to_string(plan->first_step_resumes_after) +
                       " completed statement(s) with the ones shown; nothing was changed");
    return result;
  }
  result.set_message(plan->steps.empty()
                         ? "nothing to do: the database is at " + JoinRevisions(plan->heads_before)
                         : "dry run: " + std::to_string(plan->steps.size()) +
                               " revision(s) would run; nothing was changed");
  return result;
}

proto::Result QueryStampPreview(const QueryContext& context, const std::string& target,
                                bool force) {
  auto reader = OpenReader(context);
  if (!reader.ok()) return ErrorResult(reader.status());
  auto plan = reader->runner->PlanStamp({target});
  if (!plan.ok()) return ErrorResult(plan.status());
  // The guard the real stamp applies: a dry run answers as the command would.
  StampCheck check =
      CheckStamp(*reader->backend, context.scripts, *context.expected, plan->heads_after);
  if (!check.same.ok() && !force) return StampRefusal(check);
  proto::Result result;
  *result.mutable_schema_diff() = check.differences.schema_diff();
  for (const auto& head : plan->heads_before) result.add_current(head);
  std::string message = "dry run: the version rows would go from " +
                        JoinRevisions(plan->heads_before) + " to " +
                        JoinRevisions(plan->heads_after) + " without running SQL";
  if (!plan->marked_applied.empty()) {
    message += "; marked applied: " + JoinRevisions(plan->marked_applied);
  }
  if (!plan->marked_unapplied.empty()) {
    message += "; marked not applied: " + JoinRevisions(plan->marked_unapplied);
  }
  result.set_message(message + ". Nothing was changed");
  return result;
}

proto::Result QueryRepairPreview(const QueryContext& context,
                                 const std::vector<std::string>& revisions,
                                 const std::string& reason) {
  auto reader = OpenReader(context);
  if (!reader.ok()) return ErrorResult(reader.status());
  auto planned = reader->runner->PlanRepair(revisions, reason);
  if (!planned.ok()) return ErrorResult(planned.status());
  proto::Result result;
  if (planned->empty()) {
    result.set_message(
        "dry run: nothing to repair: every applied script has its recorded checksum");
    return result;
  }
  std::string list;
  for (const auto& script : *planned) {
    list += (list.empty() ? "" : "; ") + script.revision + " (" + script.path + ": sha256 " +
            script.recorded.substr(0, 12) + " -> " + script.now.substr(0, 12) + ")";
  }
  result.set_message("dry run: a repair would record the current checksums of " + list +
                     " with the reason given. Nothing was changed");
  return result;
}

void FillDatabaseStatus(const QueryContext& context, proto::StatusInfo& status) {
  for (const auto& head : context.scripts.graph().Heads()) status.add_heads(head);
  // While this daemon's job runs, it holds the lock: the caller names the job as the holder.
  // One borrowed session for the holder and the version rows (each borrow of a kept
  // PostgreSQL session costs a `SELECT 1`).
  std::shared_ptr<Backend> connection;
  Result<std::optional<LockHolderInfo>> holder = std::optional<LockHolderInfo>();
  if (context.known == nullptr) {
    auto borrowed = OpenForReading(context);
    if (borrowed.ok()) {
      connection = std::move(borrowed).value();
      holder = ReadMigrationLockHolder(context.url, *connection);
    } else {
      holder = borrowed.status();
    }
  }
  if (holder.ok() && *holder) {
    proto::LockHolder* lock = status.mutable_lock();
    lock->set_held(true);
    lock->set_host((*holder)->host);
    lock->set_daemon_pid((*holder)->daemon_pid);
    lock->set_uid((*holder)->uid);
    lock->set_user_name((*holder)->user_name);
    lock->set_request((*holder)->request);
    lock->set_since((*holder)->since);
    lock->set_revision((*holder)->revision);
  } else {
    status.mutable_lock()->set_held(false);
  }
  auto state = ReadState(context, connection.get());
  if (!state.ok()) {
    status.set_error(state.status().message());
    return;
  }
  auto current = CurrentHeads(context.scripts, *state);
  if (!current.ok()) {
    status.set_error(current.status().message());
    return;
  }
  for (const auto& head : *current) status.add_current(head);
  auto pending = context.scripts.graph().Pending(*current);
  if (pending.ok()) status.set_pending(static_cast<uint32_t>(pending->size()));
  for (const auto& step : state->incomplete) status.add_incomplete(step.Describe());
  // At base with the scripts' tables already there: say so instead of "N pending". Not while
  // this daemon's job runs (the state it keeps says base until its first step commits, while
  // the tables it creates already exist).
  if (current->empty() && status.pending() > 0 && context.expected != nullptr &&
      context.known == nullptr) {
    auto live = connection ? Result<std::shared_ptr<Backend>>(connection) : OpenForReading(context);
    if (live.ok()) {
      Status managed =
          CheckNotUnmanaged(**live, context.scripts, *context.expected, *current, false);
      if (managed.code() == ErrorCode::kIntegrity) status.set_unmanaged(managed.message());
    }
  }
}

}  // namespace migrationd
