// Everything in xgrad's engine: values, the tape, every op, gradcheck.
#pragma once

#include "autograd/blas.hpp"
#include "autograd/gradcheck.hpp"
#include "autograd/ops/arithmetic.hpp"
#include "autograd/ops/dropout.hpp"
#include "autograd/ops/layout.hpp"
#include "autograd/ops/loss.hpp"
#include "autograd/ops/matmul.hpp"
#include "autograd/ops/pointwise.hpp"
#include "autograd/ops/recurrent.hpp"
#include "autograd/ops/reduce.hpp"
#include "autograd/ops/softmax.hpp"
#include "autograd/random.hpp"
#include "autograd/tape.hpp"
#include "autograd/tensor.hpp"
#include "autograd/variable.hpp"
