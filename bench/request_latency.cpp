// Round-trip time of one request kind on one connection, as the daemon answers it (no process
// start): connects once, sends COMMAND N times, prints one line per request in microseconds.
//
//   request_latency SOCKET status|check|current|heads N
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "client/control_client.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: request_latency SOCKET status|check|current|heads N\n");
    return 2;
  }
  migrationd::proto::Command command;
  std::string name = argv[2];
  for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (!migrationd::proto::Command_Parse(name, &command)) {
    std::fprintf(stderr, "unknown command %s\n", argv[2]);
    return 2;
  }
  auto client = migrationd::ControlClient::Connect(argv[1]);
  if (!client.ok()) {
    std::fprintf(stderr, "%s\n", client.status().message().c_str());
    return 1;
  }
  const int count = std::atoi(argv[3]);
  for (int i = 0; i < count; ++i) {
    migrationd::proto::Request request;
    request.set_request_id(static_cast<uint64_t>(i) + 1);
    request.set_command(command);
    auto started = std::chrono::steady_clock::now();
    auto result = client->Call(request, [](const migrationd::proto::Event&) {});
    auto elapsed = std::chrono::steady_clock::now() - started;
    if (!result.ok()) {
      std::fprintf(stderr, "%s\n", result.status().message().c_str());
      return 1;
    }
    std::printf("%lld\n",
                static_cast<long long>(
                    std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count()));
  }
  return 0;
}
