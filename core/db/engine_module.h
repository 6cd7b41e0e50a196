// Engine modules: PostgreSQL support is a loadable module, `postgres.so` in lib/migrationd/
// beside the program's bin/ directory (/usr/lib/migrationd/ when installed in /usr), opened the
// first time a postgresql:// URL is. A daemon for SQLite, the embedded default, never loads libpq
// and the libraries behind it (libldap, GnuTLS, Kerberos, libssl: about 4 MiB resident, and
// their start-up). The engine code is the same either way; only where it is linked differs.
//
// The module and the programs come from one build: C++ objects cross the boundary, so a module
// built otherwise (another version or compiler) is refused with a message, never half used.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/db/backend.h"

namespace migrationd {

struct EngineModule {
  // Must equal the loader's kEngineModuleBuild: the project version and the compiler.
  const char* build;
  Result<std::unique_ptr<Backend>> (*open)(const DatabaseUrl& url);
  Result<std::unique_ptr<Backend>> (*open_for_reading)(const DatabaseUrl& url);
};

inline constexpr const char* kEngineModuleBuild = MIGRATIOND_VERSION " " __VERSION__;
// The one symbol a module exports: extern "C" const EngineModule* <this>().
inline constexpr const char* kEngineModuleEntryPoint = "migrationd_engine_module_v1";

// The module file for an engine ("postgres"): <directory of this program>/../lib/migrationd/
// <engine>.so.
std::string EngineModulePath(std::string_view engine);

// The engine's module, loaded once per process and kept until it exits (never unloaded: its
// objects may outlive any caller). A missing or foreign module is an error naming the file and
// what to install.
Result<const EngineModule*> LoadEngineModule(std::string_view engine);

}  // namespace migrationd
