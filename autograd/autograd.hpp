// Everything in xgrad's engine: values, the tape, every op, gradcheck.
#pragma once

#include "xgrad/autograd/blas.hpp"
#include "xgrad/autograd/gradcheck.hpp"
#include "xgrad/autograd/ops/arithmetic.hpp"
#include "xgrad/autograd/ops/dropout.hpp"
#include "xgrad/autograd/ops/layout.hpp"
#include "xgrad/autograd/ops/loss.hpp"
#include "xgrad/autograd/ops/matmul.hpp"
#include "xgrad/autograd/ops/pointwise.hpp"
#include "xgrad/autograd/ops/recurrent.hpp"
#include "xgrad/autograd/ops/reduce.hpp"
#include "xgrad/autograd/ops/softmax.hpp"
#include "xgrad/autograd/random.hpp"
#include "xgrad/autograd/tape.hpp"
#include "xgrad/autograd/tensor.hpp"
#include "xgrad/autograd/variable.hpp"
