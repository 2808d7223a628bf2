// The attention matrix of one translation as a heatmap picture: an SVG file (text, viewable in
// any browser, no plotting tool needed), one row per target token (</s> last), one column per
// source token, darker = more weight, each cell's weight printed in it.
#pragma once

#include <string>
#include <vector>

namespace mt
{

// weights[t][s]; target has weights.size() - 1 tokens (the last row is </s>'s) or
// weights.size() (stopped at the length cap). Written atomically; throws io_error.
void write_attention_svg(const std::string& path, const std::vector<std::string>& source,
                         const std::vector<std::string>& target,
                         const std::vector<std::vector<double>>& weights);

} // namespace mt
