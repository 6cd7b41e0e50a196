// Rendering of daemon answers for people (text) and programs (--json).
//
// Text goes to stdout, errors to stderr. JSON mode prints each event and the result as one
// line of proto3 JSON (the field names of proto/migrationd.proto). Progress is drawn with a bar
// when stdout is a terminal and as plain lines otherwise. Not thread-safe.
#pragma once

#include <cstdio>
#include <string>
#include <utility>

#include "migrationd.pb.h"

namespace migrationd {

struct RenderOptions {
  bool json = false;
  bool verbose = false;
  bool terminal = false;             // stdout is a terminal: draw the progress bar
  std::string lint_format = "text";  // lint: text, github or sarif
};

class Renderer {
 public:
  explicit Renderer(RenderOptions options) : options_(std::move(options)) {}
  void Event(const proto::Event& event);
  void Result(proto::Command command, const proto::Result& result);
  // An error of migctl itself (usage, unreachable daemon), with the exit code it causes.
  void ClientError(const std::string& message, int exit_code);

 private:
  void ClearBar();
  void Status(const proto::StatusInfo& status);
  void Revisions(const proto::Result& result, bool with_sql);
  void Log(const proto::Result& result);
  void Backups(const proto::Result& result);
  void Databases(const proto::Result& result);
  void Answers(proto::Command command, const proto::Result& result);
  void Plan(const proto::Result& result);
  void Check(const proto::Result& result);

  RenderOptions options_;
  bool bar_drawn_ = false;
  std::string error_prefix_;  // "NAME: " while one database's answer of several is printed
};

// The migctl exit code for a daemon result code (DESIGN.md).
int ExitCodeFor(proto::ErrorCode code);

}  // namespace migrationd
