// The VFS of migrationd's own SQLite connections: SQLite's "unix" VFS, except that a rollback
// journal's directory is synced once per journal file instead of at every commit.
//
// In TRUNCATE mode (core/sqlite/sqlite_backend.cpp) the journal file stays between transactions,
// but SQLite closes it when a transaction ends and opens it again, with O_CREAT, at the next one;
// every such open marks it for a directory fsync at its first sync: one fsync per revision (five
// instead of the four of `sqlite3` in its DELETE mode) that makes an entry durable which already
// is. This VFS opens a journal without the create flag, and so without that directory sync, when
// the journal file is one whose directory this process has synced before: the same device, inode
// and birth time (a journal deleted by a connection in DELETE mode and created again is a new
// file, synced again). Where the file system reports no birth time, every open syncs, as SQLite
// does. The journal itself, the database file and the truncation are synced exactly as SQLite
// syncs them (synchronous FULL).
#pragma once

namespace migrationd {

// Registers the VFS on first use (thread-safe) and returns its name, for sqlite3_open_v2.
const char* SqliteJournalVfsName();

}  // namespace migrationd
