// Fault injection for crash-consistency tests: every step of a durable write (each write, fsync,
// rename) calls fault_point(), which does nothing unless the process was started with one of
//   XGRAD_FAULT_AT=k       the k-th fault point (1-based) ends the process at once with
//                          _exit(137), as `kill -9` would: no destructors, no flushing
//   XGRAD_FAULT_ENOSPC=k   the k-th fault point reports "No space left on device" (the caller
//                          fails as it would on a full disk)
//   XGRAD_FAULT_TRACE=1    every fault point prints "xgrad-fault N: STEP PATH" to standard error
// The variables are read once, at the first fault point. Tests count a save's fault points with
// the trace, then kill at each one in turn (tests/examples/kill_checkpoint.sh).
#pragma once

#include <string>

namespace xgrad::io::detail
{

// Returns 0, or an errno value (ENOSPC) the caller must treat as the failure of `step` on `path`.
int fault_point(const char* step, const std::string& path);

} // namespace xgrad::io::detail
