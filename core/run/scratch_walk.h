// ScratchWalk: one scratch database (core/engines/scratch_database.h) moved along the revision
// graph with the runner, and the schema read at each state. What `verify`, the expected
// schemas of `check`/`baseline`, and autogenerate's check of the revision it wrote share: a
// generated revision is verified the way a hand-written one is.
//
// To reach a state the walk undoes what the state lacks and applies what it misses
// (RevisionGraph::PlanMove) instead of building from base again at every branch, which made
// verify quadratic on graphs with merges (455 s at 340 revisions with 156 merges). A move whose
// downgrade cannot be made (a revision with no downgrade) starts a fresh scratch database
// brought to the state instead. The schema is read once per state, and the heads are the walk's
// own record, not read back from the version rows at each move. Not thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/db/backend.h"
#include "core/db/database_url.h"
#include "core/engines/scratch_database.h"
#include "core/run/migration_runner.h"
#include "core/schema/schema.h"
#include "core/scripts/script_directory.h"

namespace migrationd {

// A scratch database and a connection to it; the connection closes first (it is declared
// second), then the database is dropped.
struct Scratch {
  std::unique_ptr<ScratchDatabase> database;
  std::unique_ptr<Backend> backend;
};
// A fresh scratch database like `like` (on `server` when not empty), without durability.
Result<Scratch> OpenScratch(const DatabaseUrl& like, const std::string& server);
// Applies the scripts up to `heads` with `runner` (its database already at some of them).
Status UpgradeTo(MigrationRunner& runner, const std::vector<std::string>& heads,
                 const RequestIdentity& requester);
// The same with a runner of its own on `backend`, as this process.
Status UpgradeTo(const ScriptDirectory& scripts, Backend& backend,
                 const std::vector<std::string>& heads);
// An error of a scratch database, said as one.
Status InScratch(const Status& status);

class ScratchWalk {
 public:
  // `scripts` must outlive the walk (`like` and `server` are copied).
  ScratchWalk(const ScriptDirectory& scripts, const DatabaseUrl& like, const std::string& server)
      : scripts_(&scripts), like_(like), server_(server) {}

  // The database at exactly `heads` and their ancestors (none: base). An upgrade step that
  // fails is an error naming its script; so is a downgrade step when `may_start_over` is false.
  Status MoveTo(const std::vector<std::string>& heads, bool may_start_over = true);
  Result<NormalizedSchema> Schema();
  // The scratch database while there is one (nullptr before the first move and after a failed
  // one): a test reads its schema on a connection of its own.
  const DatabaseUrl* url() const { return scratch_ ? &scratch_->database->url() : nullptr; }
  // Goes on with `scripts`, which hold every revision of the scripts so far and more (a
  // revision just written), without building the database again.
  void UseScripts(const ScriptDirectory& scripts);

 private:
  // After a failed move the database is somewhere in between: the next move starts over.
  Status Reached(const std::vector<std::string>& heads, Status moved);
  Status Run(const MigrationPlan& plan);
  // One runner per scratch database and scripts: it remembers the version tables it has seen,
  // where a runner per move looked them up again at every move (1,300 round trips in a verify
  // of the realistic corpus).
  MigrationRunner& Runner();
  void Drop();
  // Lets the scratch connection's schema reads take only what changed (Backend::
  // FollowSchemaChanges): verify reads the schema three times per revision.
  void Follow();

  const ScriptDirectory* scripts_;
  // Copies: a caller's `""` for the server was a temporary that a reference outlived.
  const DatabaseUrl like_;
  const std::string server_;
  std::optional<Scratch> scratch_;
  std::unique_ptr<MigrationRunner> runner_;  // on scratch_, made when first needed
  // Who the scratch database's history rows name: asked once (a passwd lookup per move was
  // measurable).
  const RequestIdentity requester_ = RequestIdentity::OfThisProcess();
  std::vector<std::string> heads_;  // where scratch_ is (set with it)
  std::optional<NormalizedSchema> schema_;
};

}  // namespace migrationd
