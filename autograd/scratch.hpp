// scratch_vector: a std::vector borrowed from a per-thread pool for one scope and given back,
// cleared with its capacity kept, at the scope's end. Code that builds a list on every call (a
// recurrent layer's per-step outputs) stops allocating once the pool holds a vector big enough.
// Borrows nest (a layer inside a layer's cell takes a second vector); a vector is never shared
// between threads.
#pragma once

#include <utility>
#include <vector>

namespace xgrad::detail
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
    ~scratch_vector()
    {
        v_.clear();
        pool().push_back(std::move(v_));
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

} // namespace xgrad::detail
