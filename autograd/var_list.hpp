// var_list: a short list of Variables that lives inline up to four values. It is what an op
// with several outputs returns (lstm_update gives h and c) and what a recurrent cell's state
// is, so a step of an LSTM allocates no list on the heap: with std::vector every step of every
// layer cost one malloc/free pair, most of a training step's heap traffic.
//
// It behaves like std::vector<Variable> for what a state is used for (size, [], iteration,
// push_back, resize) and converts to and from std::vector<Variable> both
// ways, so code written against the vector keeps compiling. Past four values it moves to the heap.
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

#include "xgrad/autograd/variable.hpp"

namespace xgrad
{

class var_list
{
public:
    using value_type = Variable;
    using size_type = std::size_t;
    using reference = Variable&;
    using const_reference = const Variable&;
    using iterator = Variable*;
    using const_iterator = const Variable*;
    static constexpr std::size_t inline_capacity = 4;

    var_list() noexcept = default;
    // n undefined variables.
    explicit var_list(std::size_t n) { resize(n); }
    var_list(std::initializer_list<Variable> values) { assign(values.begin(), values.end()); }
    var_list(const std::vector<Variable>& values)
    {
        assign(values.data(), values.data() + values.size());
    }
    template <class It, class = std::enable_if_t<!std::is_integral_v<It>>>
    var_list(It first, It last)
    {
        assign(first, last);
    }
    var_list(const var_list& o) { assign(o.begin(), o.end()); }
    var_list(var_list&& o) noexcept { take(std::move(o)); }
    var_list& operator=(const var_list& o)
    {
        if (this != &o)
        {
            clear();
            assign(o.begin(), o.end());
        }
        return *this;
    }
    var_list& operator=(var_list&& o) noexcept
    {
        if (this != &o)
        {
            clear();
            take(std::move(o));
        }
        return *this;
    }
    operator std::vector<Variable>() const { return std::vector<Variable>(begin(), end()); }

    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    Variable* data() noexcept { return heap_.empty() ? inline_.data() : heap_.data(); }
    const Variable* data() const noexcept { return heap_.empty() ? inline_.data() : heap_.data(); }
    Variable* begin() noexcept { return data(); }
    Variable* end() noexcept { return data() + size_; }
    const Variable* begin() const noexcept { return data(); }
    const Variable* end() const noexcept { return data() + size_; }
    Variable& operator[](std::size_t i) noexcept { return data()[i]; }
    const Variable& operator[](std::size_t i) const noexcept { return data()[i]; }
    // Throws std::out_of_range past the end, as std::vector::at.
    Variable& at(std::size_t i) { return data()[checked(i)]; }
    const Variable& at(std::size_t i) const { return data()[checked(i)]; }
    Variable& front() noexcept { return data()[0]; }
    Variable& back() noexcept { return data()[size_ - 1]; }
    const Variable& front() const noexcept { return data()[0]; }
    const Variable& back() const noexcept { return data()[size_ - 1]; }

    void push_back(Variable v)
    {
        grow(size_ + 1);
        data()[size_++] = std::move(v);
    }
    template <class... Args>
    Variable& emplace_back(Args&&... args)
    {
        push_back(Variable(std::forward<Args>(args)...));
        return back();
    }
    void pop_back() noexcept { data()[--size_] = Variable(); }
    void resize(std::size_t n)
    {
        grow(n);
        for (std::size_t i = n; i < size_; ++i)
            data()[i] = Variable();
        size_ = n;
    }
    void reserve(std::size_t n) { grow(n); }
    void clear() noexcept
    {
        for (std::size_t i = 0; i < size_; ++i)
            data()[i] = Variable();
        heap_.clear(); // keeps no spilled values; inline storage is used again
        heap_.shrink_to_fit();
        size_ = 0;
    }

private:
    template <class It>
    void assign(It first, It last)
    {
        grow(static_cast<std::size_t>(std::distance(first, last)));
        for (Variable* out = data(); first != last; ++first, ++size_)
            out[size_] = *first;
    }
    void take(var_list&& o) noexcept
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
    // (its slots past size_ are undefined variables, like the inline ones).
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
            throw std::out_of_range("var_list::at: index " + std::to_string(i) + " with size " +
                                    std::to_string(size_));
        return i;
    }

    std::array<Variable, inline_capacity> inline_{};
    std::vector<Variable> heap_;
    std::size_t size_ = 0;
};

} // namespace xgrad
