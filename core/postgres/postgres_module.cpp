// The entry point of the PostgreSQL module (core/db/engine_module.h): the only symbol it exports.
#include "core/db/engine_module.h"
#include "core/postgres/postgres_backend.h"

namespace {

const migrationd::EngineModule kPostgresModule = {
    migrationd::kEngineModuleBuild,
    &migrationd::PostgresBackend::Open,
    &migrationd::PostgresBackend::OpenForReading,
};

}  // namespace

extern "C" __attribute__((visibility("default"))) const migrationd::EngineModule*
migrationd_engine_module_v1() {
  return &kPostgresModule;
}
