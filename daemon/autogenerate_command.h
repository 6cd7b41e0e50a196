// `migrationd --autogenerate`: what `migctl revision --autogenerate` runs (migctl knows no
// database). Reads the desired schema, generates and checks the revision on a scratch database
// (core/generate/autogenerate.h), writes the file and says what it did. No socket, no daemon;
// the live database is never touched.
#pragma once

namespace migrationd {

// Whether the command line asks for --autogenerate.
bool WantsAutogenerate(int argc, const char* const* argv);
// Exit codes: 0 written (or nothing to change), 7 written with TODO items, 2 usage, 1 error.
int RunAutogenerate(int argc, const char* const* argv);

}  // namespace migrationd
