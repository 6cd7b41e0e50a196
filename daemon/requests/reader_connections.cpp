#include "daemon/requests/reader_connections.h"

#include "core/engines/open_backend.h"

namespace migrationd {

ReaderConnections::ReaderConnections(DatabaseUrl url, size_t keep)
    : url_(std::move(url)), idle_(std::make_shared<Idle>()) {
  idle_->keep = keep;
}

std::unique_ptr<Backend> ReaderConnections::TakeIdle() {
  for (;;) {
    std::unique_ptr<Backend> connection;
    {
      std::lock_guard lock(idle_->mutex);
      if (idle_->connections.empty()) return nullptr;
      connection = std::move(idle_->connections.back());
      idle_->connections.pop_back();
    }
    // Stale ones are dropped: the file was replaced or removed, the server ended the session.
    if (connection->Alive()) return connection;
  }
}

Result<std::shared_ptr<Backend>> ReaderConnections::Borrow() {
  std::unique_ptr<Backend> connection = TakeIdle();
  if (!connection) {
    auto opened = OpenBackendForReading(url_);
    if (!opened.ok()) return opened.status();
    connection = std::move(opened).value();
  }
  // The deleter gives the connection back, if it can be used again and the pool has room.
  std::weak_ptr<Idle> pool = idle_;
  return std::shared_ptr<Backend>(connection.release(), [pool](Backend* raw) {
    std::unique_ptr<Backend> returned(raw);
    if (returned->InTransaction() || !returned->Reusable()) return;
    if (auto idle = pool.lock()) {
      std::lock_guard lock(idle->mutex);
      if (idle->connections.size() < idle->keep) idle->connections.push_back(std::move(returned));
    }
  });
}

}  // namespace migrationd
