#include "core/sqlite/sqlite_journal_vfs.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cstdint>
#include <mutex>
#include <optional>
#include <set>
#include <tuple>

namespace migrationd {
namespace {

// A file's identity, birth time included: an inode number is reused once a file is deleted.
struct FileIdentity {
  dev_t device;
  ino_t inode;
  int64_t born_seconds;
  uint32_t born_nanoseconds;
  bool operator<(const FileIdentity& other) const {
    return std::tie(device, inode, born_seconds, born_nanoseconds) <
           std::tie(other.device, other.inode, other.born_seconds, other.born_nanoseconds);
  }
};

std::optional<FileIdentity> IdentityOf(const char* path) {
  struct statx info {};
  if (statx(AT_FDCWD, path, 0, STATX_INO | STATX_BTIME, &info) != 0) return std::nullopt;
  if ((info.stx_mask & STATX_BTIME) == 0) return std::nullopt;  // cannot tell files apart
  return FileIdentity{makedev(info.stx_dev_major, info.stx_dev_minor), info.stx_ino,
                      info.stx_btime.tv_sec, info.stx_btime.tv_nsec};
}

// Journal files whose directory this process has synced since they were created.
class SyncedJournals {
 public:
  bool Contains(const FileIdentity& file) {
    std::lock_guard lock(mutex_);
    return files_.count(file) != 0;
  }
  void Add(const FileIdentity& file) {
    std::lock_guard lock(mutex_);
    files_.insert(file);
  }

 private:
  std::mutex mutex_;
  std::set<FileIdentity> files_;
};

SyncedJournals& Synced() {
  static SyncedJournals synced;
  return synced;
}

sqlite3_vfs* real_vfs = nullptr;  // "unix", set once before the VFS is registered

// Every file of a connection on this VFS: SQLite allocates szOsFile bytes, this header and then
// the real VFS's own file.
struct File {
  sqlite3_file base;
  sqlite3_file* real;
  const char* path;  // SQLite keeps the name valid until xClose
  bool directory_sync_pending;
};
// SQLite's allocations are 8-byte aligned; the real file after this header must stay so.
static_assert(sizeof(File) % 8 == 0 && alignof(File) <= 8);

sqlite3_file* Real(sqlite3_file* file) { return reinterpret_cast<File*>(file)->real; }
const sqlite3_io_methods& RealMethods(sqlite3_file* file) { return *Real(file)->pMethods; }

int Sync(sqlite3_file* file, int flags) {
  int rc = RealMethods(file).xSync(Real(file), flags);
  auto* self = reinterpret_cast<File*>(file);
  // The real VFS synced the directory with this first sync of a journal it opened to create.
  if (rc == SQLITE_OK && self->directory_sync_pending) {
    self->directory_sync_pending = false;
    if (auto identity = IdentityOf(self->path)) Synced().Add(*identity);
  }
  return rc;
}

const sqlite3_io_methods kMethods = {
    3,
    [](sqlite3_file* f) { return RealMethods(f).xClose(Real(f)); },
    [](sqlite3_file* f, void* buffer, int amount, sqlite3_int64 offset) {
      return RealMethods(f).xRead(Real(f), buffer, amount, offset);
    },
    [](sqlite3_file* f, const void* buffer, int amount, sqlite3_int64 offset) {
      return RealMethods(f).xWrite(Real(f), buffer, amount, offset);
    },
    [](sqlite3_file* f, sqlite3_int64 size) { return RealMethods(f).xTruncate(Real(f), size); },
    Sync,
    [](sqlite3_file* f, sqlite3_int64* size) { return RealMethods(f).xFileSize(Real(f), size); },
    [](sqlite3_file* f, int level) { return RealMethods(f).xLock(Real(f), level); },
    [](sqlite3_file* f, int level) { return RealMethods(f).xUnlock(Real(f), level); },
    [](sqlite3_file* f, int* out) { return RealMethods(f).xCheckReservedLock(Real(f), out); },
    [](sqlite3_file* f, int op, void* arg) {
      return RealMethods(f).xFileControl(Real(f), op, arg);
    },
    [](sqlite3_file* f) { return RealMethods(f).xSectorSize(Real(f)); },
    [](sqlite3_file* f) { return RealMethods(f).xDeviceCharacteristics(Real(f)); },
    [](sqlite3_file* f, int region, int size, int extend, void volatile** out) {
      if (RealMethods(f).iVersion < 2) return SQLITE_IOERR_SHMMAP;
      return RealMethods(f).xShmMap(Real(f), region, size, extend, out);
    },
    [](sqlite3_file* f, int offset, int n, int flags) {
      if (RealMethods(f).iVersion < 2) return SQLITE_IOERR_SHMLOCK;
      return RealMethods(f).xShmLock(Real(f), offset, n, flags);
    },
    [](sqlite3_file* f) {
      if (RealMethods(f).iVersion >= 2) RealMethods(f).xShmBarrier(Real(f));
    },
    [](sqlite3_file* f, int delete_flag) {
      if (RealMethods(f).iVersion < 2) return SQLITE_OK;
      return RealMethods(f).xShmUnmap(Real(f), delete_flag);
    },
    [](sqlite3_file* f, sqlite3_int64 offset, int amount, void** out) {
      *out = nullptr;  // no mapping: SQLite reads instead
      if (RealMethods(f).iVersion < 3) return SQLITE_OK;
      return RealMethods(f).xFetch(Real(f), offset, amount, out);
    },
    [](sqlite3_file* f, sqlite3_int64 offset, void* page) {
      if (RealMethods(f).iVersion < 3) return SQLITE_OK;
      return RealMethods(f).xUnfetch(Real(f), offset, page);
    },
};

int Open(sqlite3_vfs*, const char* name, sqlite3_file* file, int flags, int* out_flags) {
  auto* self = reinterpret_cast<File*>(file);
  self->base.pMethods = nullptr;
  self->real = reinterpret_cast<sqlite3_file*>(self + 1);
  self->path = name;
  self->directory_sync_pending = false;
  const bool journal = name != nullptr && (flags & SQLITE_OPEN_MAIN_JOURNAL) != 0 &&
                       (flags & SQLITE_OPEN_CREATE) != 0;
  int open_flags = flags;
  if (journal) {
    auto identity = IdentityOf(name);
    if (identity && Synced().Contains(*identity)) open_flags &= ~SQLITE_OPEN_CREATE;
  }
  int rc = real_vfs->xOpen(real_vfs, name, self->real, open_flags, out_flags);
  if (rc != SQLITE_OK && open_flags != flags) {
    // Gone since it was looked at (no other writer can remove it while this connection holds
    // the write lock, but be sure): open it as SQLite asked, directory sync included.
    if (self->real->pMethods != nullptr) self->real->pMethods->xClose(self->real);
    self->real->pMethods = nullptr;
    open_flags = flags;
    rc = real_vfs->xOpen(real_vfs, name, self->real, open_flags, out_flags);
  }
  // SQLite calls xClose when pMethods is set, even after a failed open.
  if (self->real->pMethods == nullptr) return rc;
  self->directory_sync_pending = journal && open_flags == flags;
  self->base.pMethods = &kMethods;
  return rc;
}

}  // namespace

const char* SqliteJournalVfsName() {
  static const char* const name = [] {
    real_vfs = sqlite3_vfs_find(nullptr);
    static sqlite3_vfs vfs = {};
    vfs.iVersion = 3;
    vfs.szOsFile = static_cast<int>(sizeof(File)) + real_vfs->szOsFile;
    vfs.mxPathname = real_vfs->mxPathname;
    vfs.zName = "migrationd-journal";
    vfs.xOpen = Open;
    // The rest is the real VFS's, called with the real VFS.
    vfs.xDelete = [](sqlite3_vfs*, const char* path, int sync_directory) {
      return real_vfs->xDelete(real_vfs, path, sync_directory);
    };
    vfs.xAccess = [](sqlite3_vfs*, const char* path, int flags, int* out) {
      return real_vfs->xAccess(real_vfs, path, flags, out);
    };
    vfs.xFullPathname = [](sqlite3_vfs*, const char* path, int size, char* out) {
      return real_vfs->xFullPathname(real_vfs, path, size, out);
    };
    vfs.xDlOpen = [](sqlite3_vfs*, const char* path) { return real_vfs->xDlOpen(real_vfs, path); };
    vfs.xDlError = [](sqlite3_vfs*, int size, char* out) {
      real_vfs->xDlError(real_vfs, size, out);
    };
    vfs.xDlSym = [](sqlite3_vfs*, void* handle, const char* symbol) {
      return real_vfs->xDlSym(real_vfs, handle, symbol);
    };
    vfs.xDlClose = [](sqlite3_vfs*, void* handle) { real_vfs->xDlClose(real_vfs, handle); };
    vfs.xRandomness = [](sqlite3_vfs*, int size, char* out) {
      return real_vfs->xRandomness(real_vfs, size, out);
    };
    vfs.xSleep = [](sqlite3_vfs*, int microseconds) {
      return real_vfs->xSleep(real_vfs, microseconds);
    };
    vfs.xCurrentTime = [](sqlite3_vfs*, double* out) {
      return real_vfs->xCurrentTime(real_vfs, out);
    };
    vfs.xGetLastError = [](sqlite3_vfs*, int size, char* out) {
      return real_vfs->xGetLastError(real_vfs, size, out);
    };
    vfs.xCurrentTimeInt64 = [](sqlite3_vfs*, sqlite3_int64* out) {
      return real_vfs->xCurrentTimeInt64(real_vfs, out);
    };
    vfs.xSetSystemCall = [](sqlite3_vfs*, const char* call, sqlite3_syscall_ptr function) {
      return real_vfs->xSetSystemCall(real_vfs, call, function);
    };
    vfs.xGetSystemCall = [](sqlite3_vfs*, const char* call) {
      return real_vfs->xGetSystemCall(real_vfs, call);
    };
    vfs.xNextSystemCall = [](sqlite3_vfs*, const char* call) {
      return real_vfs->xNextSystemCall(real_vfs, call);
    };
    sqlite3_vfs_register(&vfs, 0);
    return vfs.zName;
  }();
  return name;
}

}  // namespace migrationd
