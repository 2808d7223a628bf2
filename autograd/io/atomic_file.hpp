// Writing a file so that a crash never leaves a half-written one: the bytes go to a temporary
// file in the same folder, are flushed to disk, and the temporary is renamed over the target
// (rename is atomic on POSIX file systems). Readers see the old file or the new one, never a mix.
#pragma once

#include <functional>
#include <ostream>
#include <string>

namespace xgrad::io
{

// Calls write(out) on a stream to the temporary, then publishes it as `path`.
// Throws io_error (naming the path and the system's reason) if anything fails; the temporary is
// removed and any existing file at `path` is left untouched.
void write_file_atomically(const std::string& path,
                           const std::function<void(std::ostream& out)>& write);

} // namespace xgrad::io
