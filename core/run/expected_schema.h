// ExpectedSchemas: the schema each revision produces, learned by applying the scripts on a
// scratch database of the same engine (core/engines/scratch_database.h) and reading its catalog.
//
// What `baseline` (which revision is this unmanaged database at?), `stamp` (is the database
// really at the revision it is told?) and `check --schema` (did anyone change it by hand?)
// compare a live database with. Building is the costly part (a scratch database, every
// script): results are kept per revision for as long as the scripts' checksums stay the same.
// Thread-safe (one build at a time).
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/db/database_url.h"
#include "core/schema/schema.h"
#include "core/scripts/script_directory.h"

namespace migrationd {

// Identifies a set of scripts by their ids and checksums for one engine: the cache key.
std::string ScriptsDigest(const ScriptDirectory& scripts, std::string_view dialect);

class ExpectedSchemas {
 public:
  // `scratch_server`: where PostgreSQL scratch databases are made ("" : the live server).
  ExpectedSchemas(DatabaseUrl like, std::string scratch_server)
      : like_(std::move(like)), scratch_server_(std::move(scratch_server)) {}

  // The schema at `heads` (version rows; none: base, the empty schema).
  Result<NormalizedSchema> At(const ScriptDirectory& scripts,
                              const std::vector<std::string>& heads);
  // Every revision's, in topological order (one scratch database for a straight chain).
  Result<std::vector<std::pair<std::string, NormalizedSchema>>> All(const ScriptDirectory& scripts);

 private:
  // Builds on a fresh scratch database up to `heads`.
  Result<NormalizedSchema> Build(const ScriptDirectory& scripts,
                                 const std::vector<std::string>& heads) const;
  // Drops what was cached for other scripts (mutex_ held).
  void UseDigest(const std::string& digest);

  const DatabaseUrl like_;
  const std::string scratch_server_;
  std::mutex mutex_;
  std::string digest_;                             // guarded by mutex_
  std::map<std::string, NormalizedSchema> cache_;  // by joined heads; guarded by mutex_
};

// `verify`: each revision upgraded, downgraded and upgraded again on a scratch database; the
// schema after the downgrade must be the one before the upgrade, and after the second upgrade
// the one after the first.
struct RoundTripFailure {
  std::string revision;
  std::string step;  // "downgrade" (did not restore the schema before it) or "upgrade again"
  std::vector<SchemaDifference> differences;  // expected: the schema it should have restored
};
struct RoundTripReport {
  std::vector<std::string> verified;  // in order, up to the failure
  std::optional<RoundTripFailure> failure;
};
// Revisions of `from`..`to` (history -r semantics; empty: all). A script that fails to run is an
// error naming it (kDatabase, with file and line). The revisions are cut into consecutive
// shares verified side by side, each on a scratch database of its own: `workers` of them (0:
// one per core, at most 4, and none of fewer than 60 revisions); the report reads as one walk's.
Result<RoundTripReport> VerifyRoundTrips(const ScriptDirectory& scripts, const DatabaseUrl& like,
                                         const std::string& scratch_server, const std::string& from,
                                         const std::string& to, int workers = 0);

}  // namespace migrationd
