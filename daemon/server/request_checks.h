// The checks every request passes at the protocol boundary, before it reaches a job or a query:
// fields that end up in file names, SQL or logs are bounded here. Pure; the fuzz target for the
// protocol runs every decoded request through it.
#pragma once

#include "core/base/status.h"
#include "migrationd.pb.h"

namespace migrationd {

// The label the scheduler puts on its backup requests (not one a person can type).
extern const char* const kScheduledLabel;

Status ValidateRequest(const proto::Request& request);

// Whether the request changes the schema or the version tables and so may run only inside a
// maintenance window (backups, cancels and dry runs may run at any time).
bool NeedsMaintenanceWindow(const proto::Request& request);

}  // namespace migrationd
