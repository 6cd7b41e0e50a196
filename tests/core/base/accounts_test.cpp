// The user and group lookups, against this machine's own passwd and group files (root and its
// group exist on every Debian system; uid 3999999999 on none).
#include "core/base/accounts.h"

#include <catch2/catch.hpp>
#include <thread>

namespace migrationd {
namespace {

constexpr uid_t kNobodyKnows = 3999999999U;

TEST_CASE("users and groups are looked up by id and by name", "[accounts]") {
  auto root = LookUpUser(0);
  REQUIRE(root.has_value());
  CHECK(root->name == "root");
  CHECK(root->primary_gid == 0);
  CHECK(UserNameOrUid(0) == "root");
  CHECK_FALSE(LookUpUser(kNobodyKnows).has_value());
  CHECK(UserNameOrUid(kNobodyKnows) == "uid 3999999999");

  CHECK(LookUpGroupId("root") == std::optional<gid_t>(0));
  CHECK_FALSE(LookUpGroupId("no-such-group-migrationd").has_value());
  CHECK(LookUpGroupName(0) == std::optional<std::string>("root"));
  CHECK_FALSE(LookUpGroupName(kNobodyKnows).has_value());

  const std::vector<gid_t> groups = GroupsOf(*root);
  CHECK(std::find(groups.begin(), groups.end(), gid_t{0}) != groups.end());
}

TEST_CASE("lookups from several threads each get their own answer", "[accounts]") {
  // getpwuid shared one static entry between threads (verify's shares raced on it): every
  // thread here asks for a different user (Debian's base-passwd has uids 0, 1, 2 and 65534)
  // and must never see another's name.
  const std::vector<uid_t> uids = {0, 1, 2, 65534};
  std::vector<std::string> expected;
  for (uid_t uid : uids) expected.push_back(UserNameOrUid(uid));
  CHECK(expected == std::vector<std::string>{"root", "daemon", "bin", "nobody"});
  std::vector<std::thread> threads;
  std::vector<int> wrong(uids.size(), 0);
  for (size_t t = 0; t < uids.size(); ++t) {
    threads.emplace_back([t, &uids, &expected, &wrong] {
      for (int i = 0; i < 2000; ++i) {
        if (UserNameOrUid(uids[t]) != expected[t]) ++wrong[t];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(wrong == std::vector<int>(uids.size(), 0));
}

}  // namespace
}  // namespace migrationd
