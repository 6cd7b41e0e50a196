// Which database a backup belongs to. A backup directory may be shared (two SQLite databases in
// one folder share the seed's backup/db_bak), so every manifest records the identity of the
// database it was taken from, and listing, retention and restore keep to their own.
//
//   SQLite:     "sqlite:<absolute path>#<id>", the id a random 128-bit value migrationd stores in
//               its own table `migrationd_identity` on first use (a copy of the file elsewhere
//               keeps the id but not the path)
//   PostgreSQL: "postgresql:<system identifier>/<database name>" (pg_control_system(), which
//               survives dumps and restores); where the role may not read it, the database name
//               and the stored id instead
#pragma once

#include <string>

#include "core/db/backend.h"
#include "core/db/database_url.h"

namespace migrationd {

// The identity of the database `backend` is connected to. With `create`, a missing stored id is
// created (a mutating job, under the migration lock); without, the identity is returned with
// an empty id part and nothing is written.
Result<std::string> ReadDatabaseIdentity(Backend& backend, const DatabaseUrl& url, bool create);

// Stores `identity`'s id part again, as it was before a restore replaced the table's contents
// with another database's (restore --from-other-database). Call inside a transaction.
Status KeepDatabaseIdentity(Backend& backend, const std::string& identity);

}  // namespace migrationd
