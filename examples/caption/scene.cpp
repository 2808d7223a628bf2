#include "examples/caption/scene.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include <fmt/core.h>

namespace caption
{
namespace
{

constexpr double radius[2] = {4.0, 7.0}; // small, large
// Red, green, blue, yellow, purple: saturated, far apart from the grey background.
constexpr float rgb[5][3] = {{0.85f, 0.1f, 0.1f},
                             {0.1f, 0.7f, 0.15f},
                             {0.1f, 0.25f, 0.9f},
                             {0.95f, 0.85f, 0.1f},
                             {0.6f, 0.15f, 0.75f}};

// Whether (dx, dy) from the centre lies inside a shape of radius r.
bool inside(std::size_t shape, double dx, double dy, double r)
{
    switch (shape)
    {
    case 0:
        return dx * dx + dy * dy <= r * r;
    case 1:
        return std::abs(dx) <= 0.85 * r && std::abs(dy) <= 0.85 * r;
    case 2: // pointing up: apex (0, -r), base y = 0.75 r from x = -r to r
        return dy <= 0.75 * r && dy >= -r && std::abs(dx) <= (dy + r) / (1.75 * r) * r;
    default:
        return std::abs(dx) + std::abs(dy) <= 1.1 * r;
    }
}

std::string name_of(const object& o)
{
    return fmt::format("a {} {} {}", size_names[o.size], colour_names[o.colour],
                       shape_names[o.shape]);
}

template <std::size_t N>
std::size_t index_of(const std::array<const char*, N>& names, const std::string& v,
                     const std::string& what, const char* field)
{
    for (std::size_t i = 0; i < N; ++i)
        if (v == names[i])
            return i;
    throw std::runtime_error(fmt::format("{}: unknown {} '{}'", what, field, v));
}

std::vector<std::string> split(const std::string& s, char sep)
{
    std::vector<std::string> out(1);
    for (char c : s)
        if (c == sep)
            out.emplace_back();
        else
            out.back() += c;
    return out;
}

double number(const std::string& v, const std::string& what, const char* field)
{
    try
    {
        std::size_t used = 0;
        const double d = std::stod(v, &used);
        if (used == v.size() && std::isfinite(d) && d >= 0 && d <= double(image_side))
            return d;
    }
    catch (const std::exception&)
    {}
    throw std::runtime_error(
        fmt::format("{}: {} '{}' is not a coordinate in [0, {}]", what, field, v, image_side));
}

} // namespace

bool held_out(std::size_t colour, std::size_t shape)
{
    // red triangle, blue circle, green square, yellow diamond
    static constexpr std::size_t pairs[4][2] = {{0, 2}, {2, 0}, {1, 1}, {3, 3}};
    for (const auto& p : pairs)
        if (p[0] == colour && p[1] == shape)
            return true;
    return false;
}

std::string describe(const scene& s)
{
    const auto& o = s.objects;
    if (o.size() == 1)
        return name_of(o[0]);
    if (o.size() == 2)
        return name_of(o[0]) + " " + relation_names[s.relation] + " " + name_of(o[1]);
    return name_of(o[0]) + " , " + name_of(o[1]) + " and " + name_of(o[2]);
}

scene random_scene(xgrad::generator& g, bool unseen, std::size_t count)
{
    scene s;
    const std::size_t n = count ? count : 1 + g.below(3);
    s.objects.resize(n);
    // Attributes: redraw until the held-out rule holds (none, or at least one).
    for (;;)
    {
        bool any = false, all_allowed = true;
        for (object& o : s.objects)
        {
            o.shape = g.below(shape_names.size());
            o.colour = g.below(colour_names.size());
            o.size = g.below(2);
            any |= held_out(o.colour, o.shape);
        }
        all_allowed = !any;
        if (unseen ? any : all_allowed)
            break;
    }
    const double side = double(image_side);
    const auto place = [&](object& o, double x_lo, double x_hi, double y_lo, double y_hi) {
        const double r = radius[o.size] + 1;
        o.x = g.uniform(std::max(r, x_lo), std::min(side - r, x_hi));
        o.y = g.uniform(std::max(r, y_lo), std::min(side - r, y_hi));
    };
    if (n == 1)
        place(s.objects[0], 0, side, 0, side);
    else if (n == 2)
    {
        s.relation = g.below(2);
        object &a = s.objects[0], &b = s.objects[1];
        const double h = side / 2;
        // a in the upper (or left) half, b in the other, on nearly the same column (or row),
        // clearly apart along the other axis: the relation is the only reading of the picture.
        const double gap = radius[a.size] + radius[b.size] + 3;
        const bool vertical = s.relation == 0;
        for (;;)
        {
            if (vertical)
            {
                place(a, 0, side, 0, h - 1);
                place(b, a.x - 3, a.x + 3, h + 1, side);
                if (b.y - a.y >= gap)
                    break;
            }
            else
            {
                place(a, 0, h - 1, 0, side);
                place(b, h + 1, side, a.y - 3, a.y + 3);
                if (b.x - a.x >= gap)
                    break;
            }
        }
    }
    else
        for (std::size_t i = 0; i < 3; ++i)
        {
            const double centre = side * (2.0 * double(i) + 1.0) / 6.0;
            place(s.objects[i], centre - 1.5, centre + 1.5, 0, side);
        }
    s.noise = g.below(1u << 30);
    return s;
}

xgrad::Tensor render(const scene& s)
{
    const std::size_t n = image_side;
    xgrad::Tensor img = xgrad::Tensor::empty({3, n, n}, xgrad::f32);
    float* d = img.data<float>();
    xgrad::generator noise(s.noise);
    for (std::size_t y = 0; y < n; ++y)
        for (std::size_t x = 0; x < n; ++x)
        {
            const float grey = float(0.88 + 0.04 * (noise.uniform() - 0.5));
            float acc[3] = {0, 0, 0};
            for (int sy = 0; sy < 3; ++sy)
                for (int sx = 0; sx < 3; ++sx)
                {
                    const double px = double(x) + (sx + 0.5) / 3.0,
                                 py = double(y) + (sy + 0.5) / 3.0;
                    const float* c = nullptr;
                    for (const object& o : s.objects) // later objects on top
                        if (inside(o.shape, px - o.x, py - o.y, radius[o.size]))
                            c = rgb[o.colour];
                    for (int k = 0; k < 3; ++k)
                        acc[k] += c ? c[k] : grey;
                }
            for (int k = 0; k < 3; ++k)
                d[(std::size_t(k) * n + y) * n + x] = acc[k] / 9.0f;
        }
    return img;
}

std::string to_spec(const scene& s)
{
    std::string objects;
    for (const object& o : s.objects)
        objects +=
            fmt::format("{}{},{},{},{:.2f},{:.2f}", objects.empty() ? "" : "|",
                        shape_names[o.shape], colour_names[o.colour], size_names[o.size], o.x, o.y);
    return fmt::format("{};{};{}", objects,
                       s.objects.size() == 2 ? relation_names[s.relation] : "-", s.noise);
}

scene from_spec(const std::string& line, const std::string& what)
{
    const auto parts = split(line, ';');
    if (parts.size() != 3)
        throw std::runtime_error(
            fmt::format("{}: a scene is 'objects;relation;noise', got '{}'", what, line));
    scene s;
    for (const std::string& text : split(parts[0], '|'))
    {
        const auto f = split(text, ',');
        if (f.size() != 5)
            throw std::runtime_error(
                fmt::format("{}: an object is 'shape,colour,size,x,y', got '{}'", what, text));
        object o;
        o.shape = index_of(shape_names, f[0], what, "shape");
        o.colour = index_of(colour_names, f[1], what, "colour");
        o.size = index_of(size_names, f[2], what, "size");
        o.x = number(f[3], what, "x");
        o.y = number(f[4], what, "y");
        s.objects.push_back(o);
    }
    if (s.objects.size() > 3)
        throw std::runtime_error(fmt::format("{}: {} objects (1 to 3)", what, s.objects.size()));
    if (s.objects.size() == 2)
        s.relation = index_of(relation_names, parts[1], what, "relation");
    else if (parts[1] != "-")
        throw std::runtime_error(fmt::format("{}: relation '{}' for {} objects (only two have "
                                             "one; '-' otherwise)",
                                             what, parts[1], s.objects.size()));
    try
    {
        std::size_t used = 0;
        s.noise = std::stoull(parts[2], &used);
        if (used != parts[2].size())
            throw std::invalid_argument("");
    }
    catch (const std::exception&)
    {
        throw std::runtime_error(
            fmt::format("{}: noise seed '{}' is not a number", what, parts[2]));
    }
    return s;
}

} // namespace caption
