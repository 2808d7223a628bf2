// What a training run was started with, saved in its checkpoint so that --resume can refuse to
// continue it under other settings (which would silently make it a different run).
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace cli
{

// flag name (without "--", as the user types it) -> value as text. A key "data_fnv1a64" holds
// the checksum of the file given to --data; use record_file() to add it.
using run_record = std::map<std::string, std::string>;

// Adds "<flag>_fnv1a64" = the FNV-1a-64 of the file at `path`. Throws xgrad::io_error.
void record_file(run_record& r, const std::string& flag, const std::string& path);

// Throws std::runtime_error listing every flag whose value differs between the checkpoint's
// record `saved` and this run's `now` (or is missing from `saved`), e.g.
//   --resume: the checkpoint was made with other settings; pass the same ones (or train afresh
//   without --resume):
//     --batch: trained with 32, now 16
//     --data: not the file it was trained on (checksum 9c1f..., this one 03ab...)
void check_run_record(const run_record& saved, const run_record& now);

} // namespace cli
