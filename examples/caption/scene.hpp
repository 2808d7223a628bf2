// The captioning example's world: scenes of 1-3 coloured shapes, their captions, and their
// pictures. A scene is a small spec (shapes, colours, sizes, centres, a noise seed) from which
// the image is rendered whenever it is needed, so a dataset is a text file of specs rather than
// megabytes of pixels, and rendering is deterministic.
//
// Captions:  1 object   "a small red circle"
//            2 objects  "a small red circle above a large blue square" (or "left of": the
//                       first object is the upper, or the left, one)
//            3 objects  "a small red circle , a large blue square and a small green triangle"
//                       (left to right)
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "xgrad/autograd/random.hpp"
#include "xgrad/autograd/tensor.hpp"

namespace caption
{

inline const std::array<const char*, 4> shape_names{"circle", "square", "triangle", "diamond"};
inline const std::array<const char*, 5> colour_names{"red", "green", "blue", "yellow", "purple"};
inline const std::array<const char*, 2> size_names{"small", "large"};
// Canonical: the first of two objects is the upper one ("above") or the left one ("left of"),
// so that one picture has one caption.
inline const std::array<const char*, 2> relation_names{"above", "left of"};
constexpr std::size_t image_side = 48;

struct object
{
    std::size_t shape = 0, colour = 0, size = 0;
    double x = 0, y = 0; // centre, in pixels
};

struct scene
{
    std::vector<object> objects; // 1 to 3; three are ordered left to right
    std::size_t relation = 0;    // two objects: relation_names[relation]
    std::uint64_t noise = 0;     // the background's noise seed
};

// The colour-shape pairs never shown in training (one per shape): the "unseen" split's scenes
// each hold at least one of them, the other splits none.
bool held_out(std::size_t colour, std::size_t shape);

// The caption, as words separated by single spaces (its tokens).
std::string describe(const scene& s);

// A random scene of 1-3 objects (or exactly `count` when given), its objects' colour-shape
// pairs chosen as `unseen` asks: none held out (false) or at least one (true).
scene random_scene(xgrad::generator& g, bool unseen, std::size_t count = 0);

// The image [3, side, side] in [0, 1]: each pixel the average of 3 x 3 samples (smooth edges),
// the background light grey with a little noise.
xgrad::Tensor render(const scene& s);

// One line "objects;relation;noise" with objects "shape,colour,size,x,y|..." (names, and
// coordinates to 0.01 px), and back. Throws std::runtime_error naming `what` and the field.
std::string to_spec(const scene& s);
scene from_spec(const std::string& line, const std::string& what);

} // namespace caption
