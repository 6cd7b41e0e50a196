#include "daemon/server/peer_identity.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/base/accounts.h"

namespace migrationd {

std::string PeerIdentity::Describe() const {
  return user_name + " (uid " + std::to_string(uid) + ", pid " + std::to_string(pid) + ")";
}

Result<PeerIdentity> ReadPeerIdentity(int socket_fd) {
  ucred credentials{};
  socklen_t length = sizeof(credentials);
  if (getsockopt(socket_fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0) {
    return Status::Io(std::string("SO_PEERCRED: ") + std::strerror(errno));
  }
  PeerIdentity peer;
  peer.pid = credentials.pid;
  peer.uid = credentials.uid;
  peer.gid = credentials.gid;
  peer.user_name = UserNameOrUid(peer.uid);
  return peer;
}

Result<AdminPolicy> AdminPolicy::Create(const std::vector<std::string>& admin_groups) {
  AdminPolicy policy;
  policy.daemon_uid_ = geteuid();
  for (const auto& name : admin_groups) {
    auto gid = LookUpGroupId(name);
    if (!gid) return Status::InvalidArgument("admin group '" + name + "' does not exist");
    policy.admin_gids_.push_back(*gid);
    policy.admin_group_names_.push_back(name);
  }
  return policy;
}

std::string AdminPolicy::DescribeAdmins() const {
  std::string text = "root, the daemon's user (" + UserNameOrUid(daemon_uid_) + ")";
  if (admin_group_names_.empty()) {
    return text + " only: no admin groups are configured (admin_groups in the daemon's config)";
  }
  text += admin_group_names_.size() == 1 ? " and the admin group " : " and the admin groups ";
  for (size_t i = 0; i < admin_group_names_.size(); ++i) {
    text += (i > 0 ? ", " : "") + admin_group_names_[i];
  }
  return text;
}

bool AdminPolicy::IsAdmin(const PeerIdentity& peer) const {
  if (peer.uid == 0 || peer.uid == daemon_uid_) return true;
  auto is_admin_gid = [this](gid_t gid) {
    return std::find(admin_gids_.begin(), admin_gids_.end(), gid) != admin_gids_.end();
  };
  if (is_admin_gid(peer.gid)) return true;
  // Supplementary groups come from the group database for the peer's user name.
  auto user = LookUpUser(peer.uid);
  if (!user) return false;
  const std::vector<gid_t> groups = GroupsOf(*user);
  return std::any_of(groups.begin(), groups.end(), is_admin_gid);
}

}  // namespace migrationd
