#include "core/postgres/postgres_engine.h"

#include "core/db/engine_module.h"

namespace migrationd {

Result<std::unique_ptr<Backend>> OpenPostgres(const DatabaseUrl& url, bool for_reading) {
  auto module = LoadEngineModule("postgres");
  if (!module.ok()) return module.status();
  return for_reading ? (*module)->open_for_reading(url) : (*module)->open(url);
}

}  // namespace migrationd
