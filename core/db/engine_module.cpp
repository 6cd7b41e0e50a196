#include "core/db/engine_module.h"

#include <dlfcn.h>
#include <unistd.h>

#include <climits>
#include <filesystem>
#include <map>
#include <mutex>

namespace migrationd {
namespace {

std::string ProgramDirectory() {
  char path[PATH_MAX];
  ssize_t length = readlink("/proc/self/exe", path, sizeof path - 1);
  if (length <= 0) return MIGRATIOND_INSTALL_BINDIR;  // no /proc: where the package puts us
  return std::filesystem::path(std::string(path, static_cast<size_t>(length)))
      .parent_path()
      .string();
}

Result<const EngineModule*> Load(std::string_view engine) {
  std::string path = EngineModulePath(engine);
  auto missing = [&](const std::string& why) {
    std::string name = engine == "postgres" ? "PostgreSQL" : std::string(engine);
    return Status::Unavailable(name + " support cannot be loaded: " + why + ". It is the module " +
                               path +
                               ", installed with the programs: install the migrationd package "
                               "again (or `cmake --install` the same build)");
  };
  // RTLD_NOW: a missing library is reported here, not at the first call. RTLD_LOCAL: the
  // module's symbols (its own copy of the engine-neutral code included) stay its own.
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) return missing(dlerror());
  auto entry = reinterpret_cast<const EngineModule* (*)()>(dlsym(handle, kEngineModuleEntryPoint));
  const EngineModule* module = entry != nullptr ? entry() : nullptr;
  if (module == nullptr || std::string_view(module->build) != kEngineModuleBuild) {
    std::string why = module == nullptr ? path + " has no " + kEngineModuleEntryPoint
                                        : path + " was built as " + module->build +
                                              ", this program as " + kEngineModuleBuild;
    dlclose(handle);  // nothing of it was used
    return missing(why);
  }
  return module;
}

}  // namespace

std::string EngineModulePath(std::string_view engine) {
  auto path = std::filesystem::path(ProgramDirectory()) / "../lib/migrationd" /
              (std::string(engine) + ".so");
  return path.lexically_normal().string();
}

Result<const EngineModule*> LoadEngineModule(std::string_view engine) {
  static std::mutex mutex;
  static std::map<std::string, const EngineModule*, std::less<>> loaded;
  std::lock_guard lock(mutex);
  if (auto found = loaded.find(engine); found != loaded.end()) return found->second;
  // A failure is not kept: a module installed after the daemon started is found at the next try.
  auto module = Load(engine);
  if (module.ok()) loaded.emplace(std::string(engine), *module);
  return module;
}

}  // namespace migrationd
