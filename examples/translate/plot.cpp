#include "examples/translate/plot.hpp"

#include <algorithm>
#include <ostream>

#include <fmt/core.h>

#include "xgrad/autograd/io/atomic_file.hpp"

namespace mt
{
namespace
{

std::string escape(const std::string& s)
{
    std::string o;
    for (char c : s)
        o += c == '<'   ? "&lt;"
             : c == '>' ? "&gt;"
             : c == '&' ? "&amp;"
             : c == '"' ? "&quot;"
                        : std::string(1, c);
    return o;
}

} // namespace

void write_attention_svg(const std::string& path, const std::vector<std::string>& source,
                         const std::vector<std::string>& target,
                         const std::vector<std::vector<double>>& weights)
{
    const int cell = 40, left = 120, top = 110;
    const int w = left + cell * int(source.size()) + 20, h = top + cell * int(weights.size()) + 20;
    std::string svg = fmt::format("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" "
                                  "height=\"{}\" font-family=\"sans-serif\" font-size=\"12\">\n"
                                  "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
                                  w, h);
    for (std::size_t s = 0; s < source.size(); ++s)
        svg += fmt::format("<text transform=\"translate({},{}) rotate(-60)\">{}</text>\n",
                           left + cell * int(s) + cell / 2, top - 6, escape(source[s]));
    for (std::size_t t = 0; t < weights.size(); ++t)
    {
        const std::string label = t < target.size() ? target[t] : "</s>";
        svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n", left - 6,
                           top + cell * int(t) + cell / 2 + 4, escape(label));
        for (std::size_t s = 0; s < weights[t].size() && s < source.size(); ++s)
        {
            const double a = std::clamp(weights[t][s], 0.0, 1.0);
            const int v = int(255 * (1 - a));
            svg += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" "
                               "fill=\"rgb({},{},255)\" stroke=\"#ccc\"/>"
                               "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"10\" "
                               "fill=\"{}\">{:.2f}</text>\n",
                               left + cell * int(s), top + cell * int(t), cell, cell, v, v,
                               left + cell * int(s) + cell / 2, top + cell * int(t) + cell / 2 + 4,
                               a > 0.5 ? "white" : "black", a);
        }
    }
    svg += "</svg>\n";
    xgrad::io::write_file_atomically(path, [&](std::ostream& o) { o << svg; });
}

} // namespace mt
