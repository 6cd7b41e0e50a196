#include "daemon/requests/scratch_gate.h"

namespace migrationd {

ScratchGate::Pass::~Pass() {
  std::lock_guard lock(gate_.mutex_);
  --gate_.admitted_;
  if (--gate_.admitted_by_uid_[uid_] == 0) gate_.admitted_by_uid_.erase(uid_);
}

std::unique_lock<std::mutex> ScratchGate::Pass::WaitForTurn() {
  return std::unique_lock<std::mutex>(gate_.turn_);
}

int ScratchGate::Admitted() {
  std::lock_guard lock(mutex_);
  return admitted_;
}

Result<std::unique_ptr<ScratchGate::Pass>> ScratchGate::Admit(uid_t uid, bool admin) {
  std::lock_guard lock(mutex_);
  if (admitted_ >= kMaxAdmitted) {
    return Status::Busy(
        "a verify or baseline is running and another is waiting (each builds scratch databases; "
        "one at a time per daemon): nothing was started; ask again once they are done");
  }
  if (!admin && admitted_by_uid_[uid] >= 1) {
    return Status::Busy(
        "a verify or baseline of yours is already running or waiting (one per user who is not "
        "an admin): nothing was started; ask again once it is done");
  }
  ++admitted_;
  ++admitted_by_uid_[uid];
  return std::make_unique<Pass>(*this, uid, Pass::Key{});
}

}  // namespace migrationd
