#include "core/script_directory.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace migrationd {

namespace fs = std::filesystem;

Result<ScriptDirectory> ScriptDirectory::Load(const std::string& directory) {
  std::error_code error;
  if (!fs::is_directory(directory, error)) {
    return Status::NotFound("migrations directory '" + directory +
                            "' does not exist or is not a directory; set --migrations");
  }
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(directory, error)) {
    if (entry.is_regular_file() && entry.path().extension() == ".sql")
      files.push_back(entry.path());
  }
  if (error) return Status::Io("cannot list '" + directory + "': " + error.message());
  std::sort(files.begin(), files.end());

  std::vector<Script> scripts;
  std::string errors;
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    if (!in && !in.eof()) {
      errors += (errors.empty() ? "" : "\n") + file.string() + ": cannot be read";
      continue;
    }
    auto script = ParseScript(text.str(), file.string());
    if (!script.ok()) {
      errors += (errors.empty() ? "" : "\n") + script.status().message();
      continue;
    }
    scripts.push_back(std::move(script).value());
  }
  if (!errors.empty()) return Status::ParseError(errors);
  return FromScripts(directory, std::move(scripts));
}

Result<ScriptDirectory> ScriptDirectory::FromScripts(std::string directory,
                                                     std::vector<Script> scripts) {
  std::vector<RevisionNode> nodes;
  nodes.reserve(scripts.size());
  for (const auto& script : scripts) {
    nodes.push_back({script.id, script.parents,
                     script.path + ":" + std::to_string(std::max(script.parents_line, 1))});
  }
  auto graph = RevisionGraph::Build(std::move(nodes));
  if (!graph.ok()) return graph.status();
  std::map<std::string, Script> by_id;
  for (auto& script : scripts) {
    std::string id = script.id;
    by_id.emplace(std::move(id), std::move(script));
  }
  return ScriptDirectory(std::move(directory), std::move(by_id), std::move(graph).value());
}

Status ScriptDirectory::CheckDialect(std::string_view dialect) const {
  std::string missing;
  for (const auto& [id, script] : scripts_) {
    if (Status clean = script.CheckNoTransactionControl(dialect); !clean.ok()) {
      missing += (missing.empty() ? "" : "\n") + clean.message();
    }
    if (!script.HasUpgradeFor(dialect)) {
      missing += (missing.empty() ? "" : "\n") + script.path + ": revision '" + id +
                 "' has no '-- +upgrade' section for " + std::string(dialect) +
                 " and no common one";
    }
  }
  if (!missing.empty()) return Status::ParseError(missing);
  return Status::Ok();
}

}  // namespace migrationd

namespace migrationd {

Result<std::vector<ScriptDirectoryCache::FileStamp>> ScriptDirectoryCache::StampFiles(
    int64_t& newest_mtime_ns) const {
  // readdir + fstatat on the directory's descriptor: no path walk per file.
  std::unique_ptr<DIR, int (*)(DIR*)> dir(opendir(directory_.c_str()), closedir);
  if (!dir) return Status::Io("cannot list '" + directory_ + "': " + std::strerror(errno));
  std::vector<FileStamp> stamps;
  newest_mtime_ns = 0;
  while (const dirent* entry = readdir(dir.get())) {
    const std::string_view name = entry->d_name;
    if (name.size() < 5 || !name.ends_with(".sql")) continue;
    struct stat info {};
    if (fstatat(dirfd(dir.get()), entry->d_name, &info, 0) != 0 || !S_ISREG(info.st_mode)) {
      continue;
    }
    const int64_t mtime =
        static_cast<int64_t>(info.st_mtim.tv_sec) * 1'000'000'000 + info.st_mtim.tv_nsec;
    newest_mtime_ns = std::max(newest_mtime_ns, mtime);
    stamps.push_back({std::string(name), info.st_size, mtime, info.st_ino});
  }
  std::sort(stamps.begin(), stamps.end(),
            [](const FileStamp& a, const FileStamp& b) { return a.name < b.name; });
  return stamps;
}

Result<std::shared_ptr<const ScriptDirectory>> ScriptDirectoryCache::Get() {
  using std::chrono::system_clock;
  constexpr int64_t kRacyNs = 1'000'000'000;
  const int64_t started_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(system_clock::now().time_since_epoch())
          .count();
  int64_t newest_ns = 0;
  auto stamps = StampFiles(newest_ns);
  {
    std::lock_guard lock(mutex_);
    if (stamps.ok() && trusted_ && cached_ && *stamps == stamps_) return cached_;
  }
  // Parsed without the mutex: callers that miss at the same time each parse (the results are
  // equal) rather than queue behind one another.
  auto loaded = ScriptDirectory::Load(directory_);
  if (!loaded.ok()) return loaded.status();
  MIGRATIOND_RETURN_IF_ERROR(loaded->CheckDialect(dialect_));
  auto parsed = std::make_shared<const ScriptDirectory>(std::move(loaded).value());
  std::lock_guard lock(mutex_);
  loaded_at_ = system_clock::now();
  if (stamps.ok()) {
    stamps_ = std::move(stamps).value();
    trusted_ = newest_ns + kRacyNs < started_ns;
    cached_ = parsed;
  }
  return parsed;
}

std::chrono::system_clock::time_point ScriptDirectoryCache::loaded_at() const {
  std::lock_guard lock(mutex_);
  return loaded_at_;
}

}  // namespace migrationd
