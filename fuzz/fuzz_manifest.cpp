// Backup manifests are files anyone who can write the backup directory may plant or damage:
// reading one must never crash, and a manifest that is accepted names only plain files.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/backup/backup.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto manifest = migrationd::BackupManifest::FromJson(text, "fuzz.manifest.json");
  if (!manifest.ok()) return 0;
  if (manifest->file.find('/') != std::string::npos ||
      manifest->id.find('/') != std::string::npos || manifest->file.empty() ||
      manifest->file[0] == '.') {
    __builtin_trap();  // an accepted manifest must not name a path
  }
  // What is written back reads back the same.
  auto again = migrationd::BackupManifest::FromJson(manifest->ToJson(), "round trip");
  if (!again.ok() || again->id != manifest->id || again->file != manifest->file ||
      again->revisions != manifest->revisions || again->label != manifest->label) {
    __builtin_trap();
  }
  (void)migrationd::CheckLabel(text.substr(0, 80));
  return 0;
}
