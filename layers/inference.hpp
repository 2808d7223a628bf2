// inference_mode: the scope an evaluation runs in.
#pragma once

#include <vector>

#include "xgrad/autograd/tape.hpp"
#include "xgrad/layers/module.hpp"

namespace xgrad::nn
{

// Scope guard = no_grad + module.eval(): nothing is recorded and dropout is off while it lives.
// On exit (normal or by exception) it restores both the previous grad mode and the previous
// training flag of the module and of every child, exactly (a child that was already in eval
// mode inside a training model stays so). The module must outlive the guard.
//
//   { nn::inference_mode guard(model); auto logits = model.forward(x); ... }
class inference_mode
{
public:
    explicit inference_mode(Module& m)
        : module_(m), flags_(m.training_flags()), grad_(is_grad_enabled())
    {
        set_grad_enabled(false);
        m.eval();
    }
    ~inference_mode()
    {
        set_grad_enabled(grad_);
        try
        {
            module_.set_training_flags(flags_);
        }
        catch (const error&)
        {
            module_.train(flags_.front()); // children were added meanwhile: the module's own flag
        }
    }
    inference_mode(const inference_mode&) = delete;
    inference_mode& operator=(const inference_mode&) = delete;

private:
    Module& module_;
    std::vector<bool> flags_;
    bool grad_;
};

} // namespace xgrad::nn
