// The control socket under abuse: bad frames, silent clients, non-admin peers, stale sockets.
// After each, the daemon must still answer everyone else.
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "proto/frame.h"
#include "tests/daemon/daemon_harness.h"

namespace migrationd {
namespace {

using testing::RawClient;

std::string Header(uint32_t length) {
  std::string header(4, '\0');
  for (int i = 0; i < 4; ++i)
    header[static_cast<size_t>(i)] = static_cast<char>(length >> (24 - 8 * i));
  return header;
}

std::string HelloFrame(uint32_t version) {
  proto::ClientMessage hello;
  hello.mutable_hello()->set_protocol_version(version);
  return EncodeFrame(hello);
}
using testing::HelloFrame;

TEST_CASE("bad frames close only their own connection", "[daemon][protocol]") {
  SqliteDatabase db;
  TempDir dir;
  Daemon daemon(dir, "d", db.url(), testing::SeedMigrationsDir());

  RawClient silent(daemon.socket());  // says nothing at all, for the whole test

  SECTION("oversized frame") {
    RawClient client(daemon.socket());
    client.Send(HelloFrame());
    client.Send(Header(static_cast<uint32_t>(kMaxFrameBytes + 1)));
    std::string reply = client.ReadUntilClosed();
    proto::ServerMessage hello = RawClient::FirstMessage(reply);
    CHECK(hello.has_hello());
    proto::ServerMessage error = RawClient::FirstMessage(reply.substr(4 + hello.ByteSizeLong()));
    CHECK(error.result().code() == proto::PROTOCOL_ERROR);
    CHECK_THAT(error.result().message(), Catch::Contains("exceeds the limit"));
  }
  SECTION("garbage payload") {
    RawClient client(daemon.socket());
    client.Send(Header(12) + std::string(12, '\xff'));
    proto::ServerMessage error = RawClient::FirstMessage(client.ReadUntilClosed());
    CHECK(error.result().code() == proto::PROTOCOL_ERROR);
  }
  SECTION("truncated frame") {
    RawClient client(daemon.socket());
    client.Send(HelloFrame());
    client.Send(Header(100) + std::string(10, 'x'));
    // the client goes away mid-frame: nothing to check but the daemon's health below
  }
  SECTION("a request before the handshake, and a wrong protocol version") {
    RawClient no_hello(daemon.socket());
    proto::ClientMessage request;
    request.mutable_request()->set_command(proto::STATUS);
    no_hello.Send(EncodeFrame(request));
    CHECK(RawClient::FirstMessage(no_hello.ReadUntilClosed()).result().code() ==
          proto::PROTOCOL_ERROR);
    RawClient future(daemon.socket());
    future.Send(HelloFrame(99));
    proto::ServerMessage error = RawClient::FirstMessage(future.ReadUntilClosed());
    CHECK(error.result().code() == proto::PROTOCOL_ERROR);
    CHECK_THAT(error.result().message(), Catch::Contains("version 99"));
  }
  SECTION("many clients connect and vanish") {
    for (int i = 0; i < 50; ++i) RawClient(daemon.socket()).Send(Header(3));
  }

  // Everyone else is still served, the silent client included in the count of live sessions.
  MigctlRun status = daemon.Migctl({"status"});
  CHECK(status.exit_code == 0);
  CHECK(daemon.Migctl({"upgrade"}).exit_code == 0);
  CHECK(daemon.Migctl({"current"}).exit_code == 0);
}

TEST_CASE("a non-admin peer may read but not change", "[daemon][protocol]") {
  if (geteuid() != 0) FAIL("this test switches uid and needs root (CI runs as root)");
  SqliteDatabase db;
  TempDir dir;
  chmod(dir.path().c_str(), 0755);
  // adm exists on every Debian system, and nobody is not in it.
  Daemon daemon(dir, "d", db.url(), testing::SeedMigrationsDir(),
                {"--socket-mode", "0666", "--admin-group", "adm"});
  const uid_t nobody = 65534;
  MigctlRun status = daemon.Migctl({"status"}, nobody);
  CHECK(status.exit_code == 0);
  MigctlRun upgrade = daemon.Migctl({"upgrade"}, nobody);
  CHECK(upgrade.exit_code == 6);
  CHECK(upgrade.result().code() == proto::PERMISSION_DENIED);
  CHECK_THAT(upgrade.result().message(),
             Catch::Contains("may not upgrade") &&
                 Catch::Contains("root, the daemon's user (root) and the admin group adm"));
  CHECK(daemon.Migctl({"stamp", "head"}, nobody).exit_code == 6);
  CHECK(daemon.Migctl({"cancel"}, nobody).exit_code == 6);
  CHECK(daemon.Migctl({"upgrade", "--dry-run"}, nobody).exit_code == 0);
  CHECK(db.TableColumns().empty());
  CHECK_THAT(daemon.Log(),
             Catch::Contains("refused 'upgrade head'") && Catch::Contains("uid 65534"));

  // An admin group lets the same peer in.
  Daemon with_group(dir, "g", db.url(), testing::SeedMigrationsDir(),
                    {"--socket-mode", "0666", "--admin-group", "nogroup"});
  CHECK(with_group.Migctl({"upgrade"}, nobody).exit_code == 0);
  CHECK(db.Query("SELECT DISTINCT user_uid FROM migrationd_history") == testing::Rows{{"65534"}});
}

TEST_CASE("a stale socket is replaced, a live one is not stolen", "[daemon][protocol]") {
  SqliteDatabase db;
  TempDir dir;
  {
    // A socket file left by a daemon that died: bound, then closed without unlink.
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::string path = dir / "d.sock";
    std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
    REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
    close(fd);
  }
  Daemon daemon(dir, "d", db.url(), testing::SeedMigrationsDir());
  CHECK(daemon.Migctl({"status"}).exit_code == 0);

  testing::Process second({testing::MigrationdBinary(), "--database", db.url(), "--migrations",
                           testing::SeedMigrationsDir(), "--socket", daemon.socket()},
                          dir / "second");
  CHECK(second.Wait() == 4);
  CHECK_THAT(second.Stderr(), Catch::Contains("another migrationd is already serving"));
  CHECK(daemon.Migctl({"status"}).exit_code == 0);
}

TEST_CASE("bad daemon configuration is refused with the file and line", "[daemon][config]") {
  TempDir dir;
  testing::WriteFile(dir / "bad.conf", "[migrationd]\ndatabase = sqlite://x.db\nsokcet = /x\n");
  testing::Process run({testing::MigrationdBinary(), "--config", dir / "bad.conf"}, dir / "run");
  CHECK(run.Wait() == 2);
  CHECK_THAT(run.Stderr(), Catch::Contains(dir / "bad.conf" + ":3") &&
                               Catch::Contains("unknown setting 'sokcet'"));
  testing::WriteFile(dir / "workers.conf",
                     "[migrationd]\ndatabase = sqlite://x.db\nverify_workers = 100\n");
  testing::Process workers({testing::MigrationdBinary(), "--config", dir / "workers.conf"},
                           dir / "workers");
  CHECK(workers.Wait() == 2);
  CHECK_THAT(workers.Stderr(), Catch::Contains(dir / "workers.conf" + ":3") &&
                                   Catch::Contains("verify_workers must be 0"));

  testing::WriteFile(dir / "good.conf",
                     "[migrationd]\n# comment\ndatabase = sqlite://" + dir / "a.db" +
                         "\nmigrations = " + testing::SeedMigrationsDir() +
                         "\nsocket = " + dir / "c.sock" + "\nadmin_groups = root\n");
  testing::Process good(
      {testing::MigrationdBinary(), "--config", dir / "good.conf", "--socket", dir / "flag.sock"},
      dir / "good");
  // The flag overrides the file's socket.
  for (int i = 0; i < 200 && testing::RunMigctl(dir / "flag.sock", {"status"}).exit_code != 0;
       ++i) {
    usleep(20000);
  }
  CHECK(testing::RunMigctl(dir / "flag.sock", {"status"}).exit_code == 0);
  good.Signal(SIGTERM);
  CHECK(good.Wait() == 0);
}

}  // namespace
}  // namespace migrationd
