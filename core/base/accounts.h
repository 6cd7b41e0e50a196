// The user and group databases (passwd, group), looked up with the reentrant calls: the daemon
// asks from several threads at once (verify's shares, the io thread's peers), and getpwuid's
// static buffer is shared by all of them.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace migrationd {

struct UserAccount {
  std::string name;
  gid_t primary_gid = 0;
};

std::optional<UserAccount> LookUpUser(uid_t uid);

// The user's name, or "uid N" when the user database does not know it.
std::string UserNameOrUid(uid_t uid);

std::optional<gid_t> LookUpGroupId(const std::string& name);
std::optional<std::string> LookUpGroupName(gid_t gid);

// The groups `user` belongs to, its primary group included (getgrouplist).
std::vector<gid_t> GroupsOf(const UserAccount& user);

}  // namespace migrationd
