#include "xgrad/autograd/io/image.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "xgrad/autograd/error.hpp"
#include "xgrad/autograd/io/atomic_file.hpp"
#include "xgrad/autograd/io/read_file.hpp"

#ifdef XGRAD_HAVE_PNG
#include <png.h>
#endif

namespace xgrad::io
{
namespace
{

constexpr std::size_t max_side = std::size_t(1) << 15;

// 8-bit interleaved pixels [H, W, C] -> [C, H, W] in [0, 1].
Tensor planar(const unsigned char* px, std::size_t h, std::size_t w, std::size_t c, double scale,
              std::size_t bytes_per_sample)
{
    Tensor t = Tensor::empty({c, h, w}, f32);
    float* d = t.data<float>();
    for (std::size_t y = 0; y < h; ++y)
        for (std::size_t x = 0; x < w; ++x)
            for (std::size_t k = 0; k < c; ++k)
            {
                const std::size_t at = ((y * w + x) * c + k) * bytes_per_sample;
                const double v =
                    bytes_per_sample == 2 ? double((px[at] << 8) | px[at + 1]) : double(px[at]);
                d[(k * h + y) * w + x] = float(v * scale);
            }
    return t;
}

// Converts [C, H, W] between channel layouts: 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA.
Tensor convert(const Tensor& t, std::size_t want)
{
    const std::size_t c = t.shape()[0], h = t.shape()[1], w = t.shape()[2], n = h * w;
    if (want == 0 || want == c)
        return t;
    const float* s = t.data<float>();
    const bool alpha = c == 2 || c == 4;
    const bool color = c >= 3;
    Tensor out = Tensor::empty({want, h, w}, f32);
    float* d = out.data<float>();
    for (std::size_t i = 0; i < n; ++i)
    {
        const float a = alpha ? s[(c - 1) * n + i] : 1.0f;
        float r = s[i], g = color ? s[n + i] : s[i], b = color ? s[2 * n + i] : s[i];
        if (want == 1)
            // ITU-R BT.601 luminance over black where transparent.
            d[i] = (0.299f * r + 0.587f * g + 0.114f * b) * a;
        else
        {
            d[i] = r;
            d[n + i] = g;
            d[2 * n + i] = b;
            if (want == 4)
                d[3 * n + i] = a;
        }
    }
    return out;
}

// PNM header fields: whitespace and # comments between them.
std::size_t pnm_number(const std::string& b, std::size_t& at, const std::string& what,
                       const char* field)
{
    for (;;)
    {
        while (at < b.size() && std::isspace(static_cast<unsigned char>(b[at])))
            ++at;
        if (at < b.size() && b[at] == '#')
        {
            while (at < b.size() && b[at] != '\n')
                ++at;
            continue;
        }
        break;
    }
    std::size_t v = 0, digits = 0;
    while (at < b.size() && std::isdigit(static_cast<unsigned char>(b[at])) && digits < 9)
    {
        v = v * 10 + std::size_t(b[at++] - '0');
        ++digits;
    }
    if (digits == 0)
        fail<io_error>("{}: the PNM header's {} is missing or not a number", what, field);
    return v;
}

Tensor decode_pnm(const std::string& b, const std::string& what)
{
    const std::size_t c = b[1] == '5' ? 1 : 3;
    std::size_t at = 2;
    const std::size_t w = pnm_number(b, at, what, "width");
    const std::size_t h = pnm_number(b, at, what, "height");
    const std::size_t maxval = pnm_number(b, at, what, "maxval");
    if (w == 0 || h == 0 || w > max_side || h > max_side)
        fail<io_error>("{}: image of {}x{} pixels (each side 1 to {})", what, w, h, max_side);
    if (maxval == 0 || maxval > 65535)
        fail<io_error>("{}: maxval {} outside 1..65535", what, maxval);
    if (at >= b.size() || !std::isspace(static_cast<unsigned char>(b[at])))
        fail<io_error>("{}: the PNM header does not end in one whitespace character", what);
    ++at;
    const std::size_t bps = maxval > 255 ? 2 : 1, need = w * h * c * bps;
    if (b.size() - at < need)
        fail<io_error>("{}: truncated: {} bytes of pixels for {}x{}x{} at {} bytes each, {} "
                       "present",
                       what, need, w, h, c, bps, b.size() - at);
    const auto* px = reinterpret_cast<const unsigned char*>(b.data() + at);
    Tensor t = planar(px, h, w, c, 1.0 / double(maxval), bps);
    // Values above maxval (malformed but seen) are clamped rather than exceeding 1.
    float* d = t.data<float>();
    for (std::size_t i = 0; i < t.numel(); ++i)
        d[i] = std::min(d[i], 1.0f);
    return t;
}

#ifdef XGRAD_HAVE_PNG
Tensor decode_png(const std::string& b, const std::string& what)
{
    png_image img;
    std::memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&img, b.data(), b.size()))
        fail<io_error>("{}: not a readable PNG: {}", what, img.message);
    if (img.width == 0 || img.height == 0 || img.width > max_side || img.height > max_side)
    {
        png_image_free(&img);
        fail<io_error>("{}: image of {}x{} pixels (each side 1 to {})", what, img.width, img.height,
                       max_side);
    }
    // As stored: gray or color, with or without alpha; 8 bits per sample (sRGB).
    const bool color = img.format & PNG_FORMAT_FLAG_COLOR;
    const bool alpha = img.format & PNG_FORMAT_FLAG_ALPHA;
    img.format = color ? (alpha ? PNG_FORMAT_RGBA : PNG_FORMAT_RGB)
                       : (alpha ? PNG_FORMAT_GA : PNG_FORMAT_GRAY);
    const std::size_t c = (color ? 3 : 1) + (alpha ? 1 : 0);
    std::vector<unsigned char> px(PNG_IMAGE_SIZE(img));
    if (!png_image_finish_read(&img, nullptr, px.data(), 0, nullptr))
    {
        const std::string why = img.message;
        png_image_free(&img);
        fail<io_error>("{}: PNG data cannot be decoded: {}", what, why);
    }
    return planar(px.data(), img.height, img.width, c, 1.0 / 255.0, 1);
}
#endif

// [C, H, W] (or [H, W]) float -> 8-bit interleaved, clamped and rounded.
std::vector<unsigned char> interleave(const char* op, const Tensor& t, std::size_t& c,
                                      std::size_t& h, std::size_t& w)
{
    if (!is_floating(t.dtype()))
        fail<value_error>("{}: image of dtype {}; f32 or f64 in [0, 1]", op, dtype_name(t.dtype()));
    if (t.dim() == 2)
    {
        c = 1;
        h = t.shape()[0];
        w = t.shape()[1];
    }
    else if (t.dim() == 3 && t.shape()[0] >= 1 && t.shape()[0] <= 4)
    {
        c = t.shape()[0];
        h = t.shape()[1];
        w = t.shape()[2];
    }
    else
        fail<shape_error>("{}: image {} must be [C, H, W] with C 1 to 4, or [H, W]", op,
                          to_string(t.shape()));
    if (h == 0 || w == 0)
        fail<shape_error>("{}: empty image {}", op, to_string(t.shape()));
    std::vector<unsigned char> out(c * h * w);
    for (std::size_t k = 0; k < c; ++k)
        for (std::size_t i = 0; i < h * w; ++i)
        {
            const double v = t.flat(k * h * w + i);
            const double clamped = std::isnan(v) ? 0.0 : std::min(1.0, std::max(0.0, v));
            out[i * c + k] = static_cast<unsigned char>(std::lround(clamped * 255.0));
        }
    return out;
}

} // namespace

bool png_supported()
{
#ifdef XGRAD_HAVE_PNG
    return true;
#else
    return false;
#endif
}

Tensor decode_image(const std::string& b, const std::string& what, const image_options& o)
{
    if (o.channels != 0 && o.channels != 1 && o.channels != 3 && o.channels != 4)
        fail<value_error>("read_image: channels {}: 0 (as stored), 1, 3 or 4", o.channels);
    Tensor t;
    static const char png_magic[] = "\x89PNG\r\n\x1a\n";
    if (b.size() >= 8 && std::memcmp(b.data(), png_magic, 8) == 0)
    {
#ifdef XGRAD_HAVE_PNG
        t = decode_png(b, what);
#else
        fail<io_error>("{}: a PNG, but this build of xgrad has no libpng (install libpng-dev "
                       "and build again)",
                       what);
#endif
    }
    else if (b.size() >= 2 && b[0] == 'P' && (b[1] == '5' || b[1] == '6'))
        t = decode_pnm(b, what);
    else if (b.size() >= 2 && b[0] == 'P' && (b[1] == '2' || b[1] == '3'))
        fail<io_error>("{}: an ASCII PNM (P{}); only binary PGM (P5) and PPM (P6) are read", what,
                       b[1]);
    else
        fail<io_error>("{}: not a PNG, PGM (P5) or PPM (P6) image", what);
    return convert(t, o.channels);
}

Tensor read_image(const std::string& path, const image_options& o)
{
    return decode_image(read_file(path, "read_image"), "read_image: '" + path + "'", o);
}

void write_pnm(const std::string& path, const Tensor& img)
{
    std::size_t c = 0, h = 0, w = 0;
    const std::vector<unsigned char> px = interleave("write_pnm", img, c, h, w);
    if (c != 1 && c != 3)
        fail<shape_error>("write_pnm: {} channels; PGM holds 1, PPM 3", c);
    write_file_atomically(path, [&](std::ostream& out) {
        out << (c == 1 ? "P5" : "P6") << '\n' << w << ' ' << h << "\n255\n";
        out.write(reinterpret_cast<const char*>(px.data()), std::streamsize(px.size()));
    });
}

void write_png(const std::string& path, const Tensor& img)
{
    std::size_t c = 0, h = 0, w = 0;
    const std::vector<unsigned char> px = interleave("write_png", img, c, h, w);
#ifdef XGRAD_HAVE_PNG
    png_image im;
    std::memset(&im, 0, sizeof im);
    im.version = PNG_IMAGE_VERSION;
    im.width = png_uint_32(w);
    im.height = png_uint_32(h);
    im.format = c == 1   ? PNG_FORMAT_GRAY
                : c == 2 ? PNG_FORMAT_GA
                : c == 3 ? PNG_FORMAT_RGB
                         : PNG_FORMAT_RGBA;
    png_alloc_size_t size = 0;
    if (!png_image_write_to_memory(&im, nullptr, &size, 0, px.data(), 0, nullptr))
        fail<io_error>("write_png: '{}': {}", path, im.message);
    std::vector<unsigned char> bytes(size);
    if (!png_image_write_to_memory(&im, bytes.data(), &size, 0, px.data(), 0, nullptr))
        fail<io_error>("write_png: '{}': {}", path, im.message);
    write_file_atomically(path, [&](std::ostream& out) {
        out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(size));
    });
#else
    (void)px;
    fail<io_error>("write_png: '{}': this build of xgrad has no libpng (install libpng-dev and "
                   "build again)",
                   path);
#endif
}

} // namespace xgrad::io
