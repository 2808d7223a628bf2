// Reading a whole file into memory, with errors that say which operation, which path and why.
#pragma once

#include <string>

namespace xgrad::io
{

// The bytes of the file at `path`: a regular file, or anything read to its end (a pipe, a FIFO,
// /dev/stdin). Throws io_error "<op>: cannot open '<path>': <reason>" when it cannot be opened
// (No such file or directory, Permission denied, ...) or is a directory ("it is a directory"),
// and "<op>: cannot read '<path>': <reason>" when reading fails midway. `op` names the caller
// for the message ("load_tensors"); without one (a program's own input file, whose path says
// enough) the message starts at "cannot". Reads until end of file, with no size limit: a device
// that never ends (/dev/zero) is read until memory runs out.
std::string read_file(const std::string& path, const char* op = nullptr);

} // namespace xgrad::io
