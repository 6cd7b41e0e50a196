// The desired schema of `revision --autogenerate --from-schema FILE`: CREATE statements (a
// hand-kept schema.sql, `pg_dump --schema-only` or `sqlite3 DB .schema` output) run on a scratch
// database of the engine and read back with the engine's own reader, so that the file and a
// database compare the same way.
#pragma once

#include <string>

#include "core/db/database_url.h"
#include "core/schema/schema.h"

namespace migrationd {

// `like`: the engine (and, PostgreSQL, the server) of the scratch database; `scratch_server`
// another server for it ("" : like's). A statement that fails is an error naming the file's
// line and the database's message. Skipped, because they are not schema or cannot run on a
// scratch database: psql meta-commands (lines starting with '\'), `ALTER ... OWNER TO`, and
// SQLite's own sqlite_* tables.
Result<NormalizedSchema> ReadSchemaFile(const std::string& path, const DatabaseUrl& like,
                                        const std::string& scratch_server);

}  // namespace migrationd
