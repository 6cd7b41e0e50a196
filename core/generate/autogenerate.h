// Autogenerate: a new revision from the difference between the schema the scripts produce at
// their head (built on a scratch database, as `check --schema` does) and a desired schema
// (a development database the application built, read with the same readers).
//
// Nothing unverified is written as done: the generated upgrade is run on the scratch database
// at head through the runner and must reach exactly the desired schema, and its downgrade must
// bring back head's. What the generator did not cover, or what is still different after the
// run, is listed in the outcome and written into the script as `-- TODO` lines; the caller
// fails on them. No file is written here: migctl writes it (core/generate is a layer above
// run/: it uses the runner and scratch databases; nothing below it may use it).
#pragma once

#include <string>
#include <vector>

#include "core/db/database_url.h"
#include "core/schema/schema.h"
#include "core/scripts/script_directory.h"

namespace migrationd {

// One engine's desired schema: a project that runs on both engines gives one each, and the
// revision gets both engines' sections.
struct DesiredSchema {
  DatabaseUrl like;            // the engine, and (PostgreSQL) the server of scratch databases
  std::string scratch_server;  // another server for them ("" : like's)
  std::string source;          // what it came from, for the header ("sqlite:///tmp/dev.db")
  NormalizedSchema schema;
};

struct AutogenerateRequest {
  std::string revision;              // the new revision's id
  std::vector<std::string> parents;  // the scripts' heads it follows
  std::string message;
  std::vector<DesiredSchema> desired;  // one per engine
  std::vector<std::string> renames;    // --rename: "table:OLD=NEW", "column:T.OLD=NEW"
  bool online = false;                 // --online (PostgreSQL; migration_generator.h)
};

// With two engines every item below starts with its engine ("postgresql: ...").
struct AutogenerateOutcome {
  // Head -> desired, as `check --schema` would list them; empty: nothing to change.
  std::vector<SchemaDifference> changes;
  std::string script;  // the whole revision file (empty when there is nothing to change)
  // Left undone: differences not generated, or still there after the run; or why the run
  // failed. Each is also a `-- TODO` line of the script.
  std::vector<std::string> todo;
  std::vector<std::string> data_loss;  // what the downgrade cannot give back
  // Drops and adds that look like renames (generated as drop + add): the --rename to pass.
  std::vector<std::string> likely_renames;
  // Tables whose columns the desired schema orders otherwise. SQLite: rebuilt in that order;
  // PostgreSQL cannot reorder columns in place: reported, not generated (and not a TODO).
  std::vector<SchemaDifference> column_order;
  std::vector<std::string> column_order_notes;  // the same, said with what happens to it
};

// A --rename that does not parse or names what is not there is an invalid argument.
Result<AutogenerateOutcome> Autogenerate(const ScriptDirectory& scripts,
                                         const AutogenerateRequest& request);

}  // namespace migrationd
