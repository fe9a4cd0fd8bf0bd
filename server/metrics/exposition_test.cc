#include "server/metrics/exposition.h"

#include <cmath>
#include <limits>
#include <string>

#include "gtest/gtest.h"

namespace objgate::metrics {
namespace {

TEST(ExpositionWriterTest, WritesHelpTypeAndSamples) {
  ExpositionWriter out;
  out.Family("app_calls_total", "Calls handled.", "counter");
  out.Sample("app_calls_total", {{"method", "Upload"}, {"code", "OK"}}, 3);
  out.Sample("app_calls_total", {}, 4);

  EXPECT_EQ(std::move(out).Finish(),
            "# HELP app_calls_total Calls handled.\n"
            "# TYPE app_calls_total counter\n"
            "app_calls_total{method=\"Upload\",code=\"OK\"} 3\n"
            "app_calls_total 4\n");
}

TEST(ExpositionWriterTest, EscapesLabelValuesAndHelp) {
  ExpositionWriter out;
  out.Family("x", "a \"quoted\" back\\slash\nnext line", "gauge");
  out.Sample("x", {{"key", "say \"hi\"\\\n"}}, 1);

  EXPECT_EQ(std::move(out).Finish(),
            "# HELP x a \"quoted\" back\\\\slash\\nnext line\n"
            "# TYPE x gauge\n"
            "x{key=\"say \\\"hi\\\"\\\\\\n\"} 1\n");
}

struct ValueCase {
  double value;
  const char* text;
};

class FormatSampleValueTest : public ::testing::TestWithParam<ValueCase> {};

TEST_P(FormatSampleValueTest, WritesTheShortestExactForm) {
  EXPECT_EQ(FormatSampleValue(GetParam().value), GetParam().text);
}

INSTANTIATE_TEST_SUITE_P(
    Values, FormatSampleValueTest,
    ::testing::Values(ValueCase{0, "0"}, ValueCase{42, "42"}, ValueCase{-7, "-7"},
                      ValueCase{1e15, "1000000000000000"}, ValueCase{0.005, "0.005"},
                      ValueCase{2.5, "2.5"}, ValueCase{0.1 + 0.2, "0.30000000000000004"},
                      ValueCase{1e300, "1e+300"},
                      ValueCase{std::numeric_limits<double>::infinity(), "+Inf"},
                      ValueCase{-std::numeric_limits<double>::infinity(), "-Inf"},
                      ValueCase{std::nan(""), "NaN"}));

}  // namespace
}  // namespace objgate::metrics
