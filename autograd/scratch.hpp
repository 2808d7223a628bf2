// scratch_vector: a std::vector borrowed from a per-thread pool for one scope and given back,
// cleared with its capacity kept, at the scope's end. Code that builds a list on every call (a
// recurrent layer's per-step outputs) stops allocating once the pool holds a vector big enough.
// Borrows nest (a layer inside a layer's cell takes a second vector); a vector is never shared
// between threads. Public: code that runs every step (a decoder loop collecting its outputs, a
// loss building index lists) uses it to keep a training step free of heap allocations.
//   scratch_vector<Variable> outs_scratch;
//   std::vector<Variable>& outs = *outs_scratch;   // empty, capacity from earlier borrows
#pragma once

#include <algorithm>
#include <cstddef>
#include <utility>
#include <vector>

namespace xgrad
{

template <class T>
class scratch_vector
{
public:
    scratch_vector()
    {
        auto& p = pool();
        if (!p.empty())
        {
            v_ = std::move(p.back());
            p.pop_back();
        }
    }
    // The pool is kept in order of capacity and a borrow takes the largest, so lists of
    // different sizes sharing it (a layer's 40 step outputs, a bridge's 2 states) stop
    // reallocating after warm-up: with a plain stack the big list could be handed a small
    // vector, grow it, and hand its big one to a small user, forever.
    ~scratch_vector()
    {
        v_.clear();
        auto& p = pool();
        const auto at = std::upper_bound(
            p.begin(), p.end(), v_.capacity(),
            [](std::size_t c, const std::vector<T>& o) { return c < o.capacity(); });
        p.insert(at, std::move(v_));
    }
    scratch_vector(const scratch_vector&) = delete;
    scratch_vector& operator=(const scratch_vector&) = delete;

    std::vector<T>& operator*() noexcept { return v_; }
    std::vector<T>* operator->() noexcept { return &v_; }

private:
    static std::vector<std::vector<T>>& pool()
    {
        thread_local std::vector<std::vector<T>> p;
        return p;
    }
    std::vector<T> v_;
};

} // namespace xgrad
