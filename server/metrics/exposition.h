#ifndef OBJGATE_SERVER_METRICS_EXPOSITION_H_
#define OBJGATE_SERVER_METRICS_EXPOSITION_H_

#include <string>
#include <utility>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace objgate::metrics {

// A label's name and value, e.g. {"method", "Upload"}.
using Label = std::pair<absl::string_view, absl::string_view>;

// Writes the Prometheus text exposition format, version 0.0.4: for each metric family a
// HELP and a TYPE line, then its samples.
//
//   ExpositionWriter out;
//   out.Family("objgate_calls_total", "Calls handled.", "counter");
//   out.Sample("objgate_calls_total", {{"method", "Upload"}, {"code", "OK"}}, 3);
//   std::string text = std::move(out).Finish();
//
// Label values and help text are escaped as the format requires; names are written as
// given and must be valid Prometheus names.
class ExpositionWriter {
 public:
  // `type` is "counter", "gauge" or "histogram".
  void Family(absl::string_view name, absl::string_view help, absl::string_view type);
  void Sample(absl::string_view name, absl::Span<const Label> labels, double value);

  std::string Finish() && { return std::move(text_); }

 private:
  std::string text_;
};

// A sample value as the format writes it: integers without a fraction, other values in
// the fewest digits that read back exactly, "+Inf", "-Inf", "NaN".
std::string FormatSampleValue(double value);

}  // namespace objgate::metrics

#endif  // OBJGATE_SERVER_METRICS_EXPOSITION_H_
