// Who is on the other end of a control connection, and whether they may change the database.
//
// The identity comes from SO_PEERCRED (the kernel's word, not the client's). Admins are root,
// the daemon's own user, and members (primary or supplementary) of the configured admin groups.
// AdminPolicy is immutable after Create(); safe to share between threads.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "core/base/status.h"

namespace migrationd {

struct PeerIdentity {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string user_name;  // from the password database; "uid N" if it has no entry

  std::string Describe() const;  // "alice (uid 1000, pid 4242)"
};

Result<PeerIdentity> ReadPeerIdentity(int socket_fd);

class AdminPolicy {
 public:
  // Fails if a group does not exist: a typo must not silently lock every operator out.
  static Result<AdminPolicy> Create(const std::vector<std::string>& admin_groups);
  bool IsAdmin(const PeerIdentity& peer) const;
  // Who may change the database, for a refusal: "root, the daemon's user (migrationd) and the
  // admin groups dba, ops" or "... (no admin_groups are configured)".
  std::string DescribeAdmins() const;

 private:
  std::vector<gid_t> admin_gids_;
  std::vector<std::string> admin_group_names_;
  uid_t daemon_uid_ = 0;
};

}  // namespace migrationd
