#include "core/base/accounts.h"

#include <grp.h>
#include <pwd.h>

#include <algorithm>
#include <cerrno>

namespace migrationd {
namespace {

// getpwuid_r and friends report ERANGE when the entry does not fit the buffer: grow and retry.
// `lookup` copies what it needs out of the entry: its strings point into the buffer.
template <typename Entry, typename Lookup>
void Reentrant(Lookup lookup) {
  std::vector<char> buffer(4096);
  for (;;) {
    Entry entry{};
    Entry* found = nullptr;
    if (lookup(&entry, buffer.data(), buffer.size(), &found) != ERANGE) return;
    if (buffer.size() >= (1U << 20)) return;
    buffer.resize(buffer.size() * 4);
  }
}

}  // namespace

std::optional<UserAccount> LookUpUser(uid_t uid) {
  std::optional<UserAccount> account;
  Reentrant<passwd>([&](passwd* entry, char* buffer, size_t size, passwd** found) {
    const int error = getpwuid_r(uid, entry, buffer, size, found);
    if (error == 0 && *found != nullptr) account = UserAccount{entry->pw_name, entry->pw_gid};
    return error;
  });
  return account;
}

std::string UserNameOrUid(uid_t uid) {
  auto account = LookUpUser(uid);
  return account ? account->name : "uid " + std::to_string(uid);
}

std::optional<gid_t> LookUpGroupId(const std::string& name) {
  std::optional<gid_t> gid;
  Reentrant<group>([&](group* entry, char* buffer, size_t size, group** found) {
    const int error = getgrnam_r(name.c_str(), entry, buffer, size, found);
    if (error == 0 && *found != nullptr) gid = entry->gr_gid;
    return error;
  });
  return gid;
}

std::optional<std::string> LookUpGroupName(gid_t gid) {
  std::optional<std::string> name;
  Reentrant<group>([&](group* entry, char* buffer, size_t size, group** found) {
    const int error = getgrgid_r(gid, entry, buffer, size, found);
    if (error == 0 && *found != nullptr) name = entry->gr_name;
    return error;
  });
  return name;
}

std::vector<gid_t> GroupsOf(const UserAccount& user) {
  int count = 64;
  std::vector<gid_t> groups(static_cast<size_t>(count));
  if (getgrouplist(user.name.c_str(), user.primary_gid, groups.data(), &count) < 0) {
    groups.resize(static_cast<size_t>(count));
    getgrouplist(user.name.c_str(), user.primary_gid, groups.data(), &count);
  }
  groups.resize(static_cast<size_t>(std::max(count, 0)));
  return groups;
}

}  // namespace migrationd
