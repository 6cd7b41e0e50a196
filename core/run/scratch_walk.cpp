#include "core/run/scratch_walk.h"

#include "core/engines/open_backend.h"

namespace migrationd {

Status UpgradeTo(MigrationRunner& runner, const std::vector<std::string>& heads,
                 const RequestIdentity& requester) {
  MIGRATIOND_RETURN_IF_ERROR(runner.Prepare());
  for (const auto& head : heads) {
    auto plan = runner.PlanUpgrade(head);
    if (!plan.ok()) return plan.status();
    if (plan->steps.empty()) continue;  // an earlier head's plan brought it
    MIGRATIOND_RETURN_IF_ERROR(runner.Execute(*plan, requester));
  }
  return Status::Ok();
}

Status UpgradeTo(const ScriptDirectory& scripts, Backend& backend,
                 const std::vector<std::string>& heads) {
  MigrationRunner runner(scripts, backend);
  return UpgradeTo(runner, heads, RequestIdentity::OfThisProcess());
}

Result<Scratch> OpenScratch(const DatabaseUrl& like, const std::string& server) {
  auto created = ScratchDatabase::Create(like, server);
  if (!created.ok()) return created.status();
  Scratch scratch{std::move(created).value(), nullptr};
  auto opened = OpenBackend(scratch.database->url());
  if (!opened.ok()) return opened.status();
  scratch.backend = std::move(opened).value();
  MIGRATIOND_RETURN_IF_ERROR(scratch.backend->SkipDurability());
  return scratch;
}

// What `backend` will run of `scripts` (every revision's both directions), for
// Backend::FollowSchemaChanges.
std::vector<std::string> StatementsOf(const ScriptDirectory& scripts, const Backend& backend) {
  std::vector<std::string> statements;
  for (const auto& [id, script] : scripts.scripts()) {
    for (Direction direction : {Direction::kUpgrade, Direction::kDowngrade}) {
      if (const ScriptSection* section = script.EffectiveSection(direction, backend.dialect())) {
        statements.push_back(section->sql);
      }
    }
  }
  return statements;
}

Status InScratch(const Status& status) {
  return status.ok() ? status
                     : status.WithContext("building the expected schema on a scratch database");
}

Status ScratchWalk::MoveTo(const std::vector<std::string>& heads, bool may_start_over) {
  if (scratch_) {
    auto move = scripts_->graph().PlanMove(heads_, heads);
    if (!move.ok()) return move.status();
    if (move->downgrade.steps.empty() && move->upgrade.steps.empty()) return Status::Ok();
    schema_.reset();
    Status undone = Run(move->downgrade);
    if (undone.ok()) return Reached(heads, InScratch(Run(move->upgrade)));
    if (!may_start_over) return Reached(heads, InScratch(undone));
    Drop();
  }
  auto opened = OpenScratch(like_, server_);
  if (!opened.ok()) return opened.status();
  scratch_ = std::move(opened).value();
  schema_.reset();
  Follow();
  return Reached(heads, InScratch(UpgradeTo(Runner(), heads, requester_)));
}

Result<NormalizedSchema> ScratchWalk::Schema() {
  if (!schema_) {
    auto read = scratch_->backend->ReadSchema();
    if (!read.ok()) return read.status();
    schema_ = std::move(read).value();
  }
  return *schema_;
}

void ScratchWalk::UseScripts(const ScriptDirectory& scripts) {
  scripts_ = &scripts;
  runner_.reset();  // it holds the scripts it was made with
  if (scratch_) Follow();
}

void ScratchWalk::Follow() {
  // Not following only makes the reads slower; the engine logs nothing, the walk neither.
  (void)scratch_->backend->FollowSchemaChanges(StatementsOf(*scripts_, *scratch_->backend));
}

Status ScratchWalk::Reached(const std::vector<std::string>& heads, Status moved) {
  if (moved.ok()) {
    heads_ = heads;
  } else {
    Drop();
  }
  return moved;
}

void ScratchWalk::Drop() {
  runner_.reset();
  scratch_.reset();
}

MigrationRunner& ScratchWalk::Runner() {
  if (!runner_) runner_ = std::make_unique<MigrationRunner>(*scripts_, *scratch_->backend);
  return *runner_;
}

Status ScratchWalk::Run(const MigrationPlan& plan) {
  if (plan.steps.empty()) return Status::Ok();
  return Runner().Execute(plan, requester_);
}

}  // namespace migrationd
