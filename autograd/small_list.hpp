// small_list<T, N>: a short list that lives inline up to N values and moves to the heap past
// them. It is what an op with several outputs returns (var_list, four Variables: lstm_update
// gives h and c), what a recurrent cell's state is, and what a sequence layer returns as its
// final states (nn::state_list, four cell states: one per direction per layer of a 2-layer
// bidirectional stack), so that a training step allocates no list on the heap: with
// std::vector every step of every layer cost one malloc/free pair.
//
// It behaves like std::vector<T> for what these lists are used for (size, [], iteration,
// push_back, resize, at) and converts to and from std::vector<T> both ways, so code written
// against the vector keeps compiling. Values past the size are default-constructed (for a
// Variable: undefined) and released by clear(), resize() and pop_back().
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <initializer_list>
#include <iterator>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace xgrad
{

template <class T, std::size_t N>
class small_list
{
public:
    using value_type = T;
    using size_type = std::size_t;
    using reference = T&;
    using const_reference = const T&;
    using iterator = T*;
    using const_iterator = const T*;
    static constexpr std::size_t inline_capacity = N;

    small_list() noexcept = default;
    // n default-constructed values.
    explicit small_list(std::size_t n) { resize(n); }
    small_list(std::initializer_list<T> values) { append(values.begin(), values.end()); }
    small_list(const std::vector<T>& values)
    {
        append(values.data(), values.data() + values.size());
    }
    template <class It, class = std::enable_if_t<!std::is_integral_v<It>>>
    small_list(It first, It last)
    {
        append(first, last);
    }
    small_list(const small_list& o) { append(o.begin(), o.end()); }
    small_list(small_list&& o) noexcept { take(std::move(o)); }
    small_list& operator=(const small_list& o)
    {
        if (this != &o)
        {
            clear();
            append(o.begin(), o.end());
        }
        return *this;
    }
    small_list& operator=(small_list&& o) noexcept
    {
        if (this != &o)
        {
            clear();
            take(std::move(o));
        }
        return *this;
    }
    operator std::vector<T>() const { return std::vector<T>(begin(), end()); }

    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    T* data() noexcept { return heap_.empty() ? inline_.data() : heap_.data(); }
    const T* data() const noexcept { return heap_.empty() ? inline_.data() : heap_.data(); }
    T* begin() noexcept { return data(); }
    T* end() noexcept { return data() + size_; }
    const T* begin() const noexcept { return data(); }
    const T* end() const noexcept { return data() + size_; }
    T& operator[](std::size_t i) noexcept { return data()[i]; }
    const T& operator[](std::size_t i) const noexcept { return data()[i]; }
    // Throws std::out_of_range past the end, as std::vector::at.
    T& at(std::size_t i) { return data()[checked(i)]; }
    const T& at(std::size_t i) const { return data()[checked(i)]; }
    T& front() noexcept { return data()[0]; }
    T& back() noexcept { return data()[size_ - 1]; }
    const T& front() const noexcept { return data()[0]; }
    const T& back() const noexcept { return data()[size_ - 1]; }

    void push_back(T v)
    {
        grow(size_ + 1);
        data()[size_++] = std::move(v);
    }
    template <class... Args>
    T& emplace_back(Args&&... args)
    {
        push_back(T(std::forward<Args>(args)...));
        return back();
    }
    void pop_back() noexcept { data()[--size_] = T(); }
    void resize(std::size_t n)
    {
        grow(n);
        for (std::size_t i = n; i < size_; ++i)
            data()[i] = T();
        size_ = n;
    }
    void reserve(std::size_t n) { grow(n); }
    void clear() noexcept
    {
        for (std::size_t i = 0; i < size_; ++i)
            data()[i] = T();
        heap_.clear(); // inline storage is used again; the heap's capacity stays for a later spill
        size_ = 0;
    }

    template <class It, class = std::enable_if_t<!std::is_integral_v<It>>>
    void assign(It first, It last)
    {
        clear();
        append(first, last);
    }
    // Inserts [first, last) before pos (which must be in [begin(), end()]); the range must not
    // come from this list. Returns an iterator to the first inserted value.
    template <class It, class = std::enable_if_t<!std::is_integral_v<It>>>
    T* insert(const T* pos, It first, It last)
    {
        const std::size_t at = static_cast<std::size_t>(pos - data());
        const std::size_t n = static_cast<std::size_t>(std::distance(first, last));
        grow(size_ + n);
        T* d = data();
        std::move_backward(d + at, d + size_, d + size_ + n);
        std::copy(first, last, d + at);
        size_ += n;
        return d + at;
    }

private:
    template <class It>
    void append(It first, It last)
    {
        grow(size_ + static_cast<std::size_t>(std::distance(first, last)));
        for (T* out = data(); first != last; ++first, ++size_)
            out[size_] = *first;
    }
    void take(small_list&& o) noexcept
    {
        size_ = o.size_;
        heap_ = std::move(o.heap_);
        o.heap_.clear();
        if (heap_.empty())
            for (std::size_t i = 0; i < size_; ++i)
                inline_[i] = std::move(o.inline_[i]);
        o.size_ = 0;
    }
    // Makes room for n values; the heap holds them all once they outgrow the inline array
    // (its slots past size_ are default-constructed, like the inline ones).
    void grow(std::size_t n)
    {
        if (heap_.empty() && n <= inline_capacity)
            return;
        if (heap_.empty())
        {
            heap_.resize(std::max(n, 2 * inline_capacity));
            for (std::size_t i = 0; i < size_; ++i)
                heap_[i] = std::move(inline_[i]);
        }
        else if (n > heap_.size())
            heap_.resize(std::max(n, 2 * heap_.size()));
    }
    std::size_t checked(std::size_t i) const
    {
        if (i >= size_)
            throw std::out_of_range("small_list::at: index " + std::to_string(i) + " with size " +
                                    std::to_string(size_));
        return i;
    }

    std::array<T, inline_capacity> inline_{};
    std::vector<T> heap_;
    std::size_t size_ = 0;
};

} // namespace xgrad
