// FEDSIM_CUDA_EXPERIMENTAL's settings (cuda/experimental.h, no CUDA needed): all, none, a list,
// and a clear error for an unknown name.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "cuda/experimental.h"

using namespace fedsim;

TEST(CudaExperimental, AllNoneOrAList) {
  EXPECT_FALSE(parse_cuda_experimental(nullptr).any());
  EXPECT_FALSE(parse_cuda_experimental("").any());
  EXPECT_FALSE(parse_cuda_experimental("0").any());
  for (const char* all : {"1", "all"}) {
    const CudaExperimental x = parse_cuda_experimental(all);
    EXPECT_TRUE(x.pinned && x.shared_weights && x.ragged_plans && x.weight_grad && x.fused_noise &&
                x.row_bounds)
        << all;
  }
  const CudaExperimental x = parse_cuda_experimental("weight_grad, shared_weights");
  EXPECT_TRUE(x.weight_grad);
  EXPECT_TRUE(x.shared_weights);
  EXPECT_FALSE(x.pinned);
  EXPECT_FALSE(x.ragged_plans);
  EXPECT_TRUE(parse_cuda_experimental("pinned").pinned);
  EXPECT_TRUE(parse_cuda_experimental("ragged_plans").ragged_plans);
  EXPECT_TRUE(parse_cuda_experimental("fused_noise").fused_noise);
  EXPECT_TRUE(parse_cuda_experimental("row_bounds").row_bounds);
  EXPECT_FALSE(x.fused_noise);
}

TEST(CudaExperimental, AnUnknownNameIsAnErrorNamingTheKnownOnes) {
  try {
    parse_cuda_experimental("weight_grad,pined");
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("'pined'"), std::string::npos) << what;
    EXPECT_NE(
        what.find("pinned, shared_weights, ragged_plans, weight_grad, fused_noise, row_bounds"),
        std::string::npos)
        << what;
  }
}
