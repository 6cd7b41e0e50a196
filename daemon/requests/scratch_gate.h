// ScratchGate: `verify` and `baseline` build schemas on scratch databases (on PostgreSQL a
// CREATE DATABASE on the server for each request), which any user of the socket may ask for.
// One runs at a time per daemon; one more may wait; a user who is not an admin has at most one
// running or waiting. A request beyond that is refused at once (busy), so that waiting scratch
// work never holds the reader threads that answer `status`.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <mutex>

#include "core/base/status.h"

namespace migrationd {

class ScratchGate {
 public:
  // Admission: while it lives it counts against the bounds; Run() waits for its turn.
  class Pass {
   public:
    ~Pass();
    Pass(const Pass&) = delete;
    Pass& operator=(const Pass&) = delete;
    // Blocks until no other admitted request is running; the turn lasts as long as the lock
    // (held and released on the calling thread).
    std::unique_lock<std::mutex> WaitForTurn();

    struct Key {
      explicit Key() = default;
    };
    // Made by Admit only (Key is private to it).
    Pass(ScratchGate& gate, uid_t uid, Key) : gate_(gate), uid_(uid) {}

   private:
    ScratchGate& gate_;
    uid_t uid_;
  };

  static constexpr int kMaxAdmitted = 2;  // one running, one waiting

  // A pass, or kBusy saying which bound refused it.
  Result<std::unique_ptr<Pass>> Admit(uid_t uid, bool admin);
  // Requests admitted now (running or waiting).
  int Admitted();

 private:
  std::mutex mutex_;  // guards the counts
  int admitted_ = 0;
  std::map<uid_t, int> admitted_by_uid_;
  std::mutex turn_;  // held by the request that runs
};

}  // namespace migrationd
