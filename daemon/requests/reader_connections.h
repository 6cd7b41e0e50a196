// ReaderConnections: the daemon's read-only requests borrow a database connection and give it
// back, instead of opening one per request. Opening is what a read cost: SQLite parses the
// whole schema on every open (at 1,000 tables that was most of a `status`), and a borrowed
// connection re-parses only after a schema change, which SQLite notices by itself.
//
// Only connections whose Backend says they are reusable are kept (Backend::Reusable): SQLite
// connections on a file that the database path still names; PostgreSQL sessions, which also
// answer a `SELECT 1` before reuse (Backend::Alive: the server may have ended one, a restart or
// idle_session_timeout, which read sessions set to a minute so that an idle daemon gives its
// connection slots back).
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "core/db/backend.h"
#include "core/db/database_url.h"

namespace migrationd {

class ReaderConnections {
 public:
  // Keeps at most `keep` idle connections (one per reader thread is enough).
  ReaderConnections(DatabaseUrl url, size_t keep);
  // A connection for reading; given back when the last copy of the pointer goes (the pool may
  // be destroyed first: the connection is then closed).
  Result<std::shared_ptr<Backend>> Borrow();

 private:
  struct Idle {
    std::mutex mutex;
    std::vector<std::unique_ptr<Backend>> connections;  // guarded by mutex
    size_t keep = 0;
  };
  // An idle connection that still works, or nullptr.
  std::unique_ptr<Backend> TakeIdle();

  const DatabaseUrl url_;
  std::shared_ptr<Idle> idle_;
};

}  // namespace migrationd
