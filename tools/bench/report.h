#ifndef OBJGATE_TOOLS_BENCH_REPORT_H_
#define OBJGATE_TOOLS_BENCH_REPORT_H_

#include <cstdio>

#include "nlohmann/json.hpp"

namespace objgate::bench {

// Prints the results of RunScenarios (plus the "environment" object bench_main adds) as
// tables for people.
void PrintReport(const nlohmann::json& results, std::FILE* out);

}  // namespace objgate::bench

#endif  // OBJGATE_TOOLS_BENCH_REPORT_H_
