#include "server/metrics/metric_registry.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace objgate::metrics {

Histogram::Histogram(const Options& options)
    : bounds_(options.bounds), counts_(new std::atomic<uint64_t>[options.bounds.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0, std::memory_order_relaxed);
}

void Histogram::Observe(double value) {
  // Bucket i holds the observations <= bounds_[i] and above the bound before it.
  const size_t bucket = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  double sum = sum_.load(std::memory_order_relaxed);
  while (!sum_.compare_exchange_weak(sum, sum + value, std::memory_order_relaxed)) {
  }
}

std::vector<uint64_t> Histogram::BucketCounts() const {
  std::vector<uint64_t> counts(bounds_.size() + 1);
  for (size_t i = 0; i < counts.size(); ++i) {
    counts[i] = counts_[i].load(std::memory_order_relaxed);
  }
  return counts;
}

template <>
void Family<Counter>::Render(ExpositionWriter& out) const {
  out.Family(name_, help_, "counter");
  for (const Node* node : SortedNodes()) {
    out.Sample(name_, LabelsOf(*node), static_cast<double>(node->series.value()));
  }
}

template <>
void Family<Gauge>::Render(ExpositionWriter& out) const {
  out.Family(name_, help_, "gauge");
  for (const Node* node : SortedNodes()) {
    out.Sample(name_, LabelsOf(*node), static_cast<double>(node->series.value()));
  }
}

template <>
void Family<Histogram>::Render(ExpositionWriter& out) const {
  out.Family(name_, help_, "histogram");
  const std::string bucket_name = absl::StrCat(name_, "_bucket");
  const std::string sum_name = absl::StrCat(name_, "_sum");
  const std::string count_name = absl::StrCat(name_, "_count");
  for (const Node* node : SortedNodes()) {
    const Histogram& histogram = node->series;
    const std::vector<uint64_t> counts = histogram.BucketCounts();
    std::vector<Label> labels = LabelsOf(*node);
    uint64_t cumulative = 0;
    for (size_t i = 0; i < counts.size(); ++i) {
      cumulative += counts[i];
      const std::string le =
          i < histogram.bounds().size() ? FormatSampleValue(histogram.bounds()[i]) : "+Inf";
      labels.emplace_back("le", le);
      out.Sample(bucket_name, labels, static_cast<double>(cumulative));
      labels.pop_back();
    }
    out.Sample(sum_name, labels, histogram.sum());
    out.Sample(count_name, labels, static_cast<double>(cumulative));
  }
}

template <typename Series>
Family<Series>& MetricRegistry::Add(std::string name, std::string help,
                                    std::vector<std::string> label_names,
                                    typename Series::Options options) {
  auto family = std::make_unique<Family<Series>>(std::move(name), std::move(help),
                                                 std::move(label_names), std::move(options));
  Family<Series>& added = *family;
  absl::MutexLock lock(&mu_);
  families_.push_back(std::move(family));
  return added;
}

Family<Counter>& MetricRegistry::AddCounter(std::string name, std::string help,
                                            std::vector<std::string> label_names) {
  return Add<Counter>(std::move(name), std::move(help), std::move(label_names), {});
}

Family<Gauge>& MetricRegistry::AddGauge(std::string name, std::string help,
                                        std::vector<std::string> label_names) {
  return Add<Gauge>(std::move(name), std::move(help), std::move(label_names), {});
}

Family<Histogram>& MetricRegistry::AddHistogram(std::string name, std::string help,
                                                std::vector<std::string> label_names,
                                                std::vector<double> bounds) {
  return Add<Histogram>(std::move(name), std::move(help), std::move(label_names),
                        Histogram::Options{std::move(bounds)});
}

void MetricRegistry::AddCollector(std::function<void(ExpositionWriter&)> collect) {
  absl::MutexLock lock(&mu_);
  collectors_.push_back(std::move(collect));
}

std::string MetricRegistry::Render() const {
  ExpositionWriter out;
  absl::MutexLock lock(&mu_);
  for (const auto& family : families_) family->Render(out);
  for (const auto& collect : collectors_) collect(out);
  return std::move(out).Finish();
}

}  // namespace objgate::metrics
