#ifndef OBJGATE_SERVER_METRICS_METRIC_REGISTRY_H_
#define OBJGATE_SERVER_METRICS_METRIC_REGISTRY_H_

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "server/metrics/exposition.h"

namespace objgate::metrics {

// Upper bounds, in seconds, for latencies from a millisecond to five minutes.
inline const std::vector<double>& LatencyBucketsSeconds() {
  static const auto* const kBuckets = new std::vector<double>{
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300};
  return *kBuckets;
}

// A count that only goes up.
class Counter {
 public:
  struct Options {};
  explicit Counter(const Options&) {}

  void Increment(int64_t by = 1) { value_.fetch_add(by, std::memory_order_relaxed); }
  int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

// A value that goes up and down.
class Gauge {
 public:
  struct Options {};
  explicit Gauge(const Options&) {}

  void Add(int64_t delta) { value_.fetch_add(delta, std::memory_order_relaxed); }
  void Set(int64_t value) { value_.store(value, std::memory_order_relaxed); }
  int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

// Observations counted into fixed buckets, with their sum.
class Histogram {
 public:
  struct Options {
    // Ascending upper bounds; a +Inf bucket is implied.
    std::vector<double> bounds;
  };
  explicit Histogram(const Options& options);

  void Observe(double value);

  const std::vector<double>& bounds() const { return bounds_; }
  // Observations in each bucket, not cumulative; the last is the +Inf bucket.
  std::vector<uint64_t> BucketCounts() const;
  double sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  const std::vector<double> bounds_;
  const std::unique_ptr<std::atomic<uint64_t>[]> counts_;
  std::atomic<double> sum_{0};
};

// The part of a metric family the registry renders, whatever its series type.
class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help, std::vector<std::string> label_names)
      : name_(std::move(name)), help_(std::move(help)), label_names_(std::move(label_names)) {}
  virtual ~FamilyBase() = default;

  virtual void Render(ExpositionWriter& out) const = 0;

 protected:
  const std::string name_;
  const std::string help_;
  const std::vector<std::string> label_names_;
};

// The series of one metric, one per set of label values. Looking up a series that exists
// takes no lock and allocates nothing; a new label set takes the family's mutex once.
// Label values must come from a small, fixed set (methods, codes, statuses), never from
// what callers send, so that the number of series stays bounded.
template <typename Series>
class Family final : public FamilyBase {
 public:
  Family(std::string name, std::string help, std::vector<std::string> label_names,
         typename Series::Options options)
      : FamilyBase(std::move(name), std::move(help), std::move(label_names)),
        options_(std::move(options)) {}
  ~Family() override;

  // The series of `label_values`, one per label name, in their order. The reference is
  // valid for the family's life.
  Series& WithLabels(std::initializer_list<absl::string_view> label_values);

  void Render(ExpositionWriter& out) const override;

 private:
  struct Node {
    Node(std::initializer_list<absl::string_view> values, const typename Series::Options& options)
        : label_values(values.begin(), values.end()), series(options) {}
    const std::vector<std::string> label_values;
    Series series;
    Node* next = nullptr;
  };

  static bool Matches(const Node& node, std::initializer_list<absl::string_view> values);
  Node* Find(std::initializer_list<absl::string_view> values) const;
  // Every series, ordered by label values so that scrapes are stable.
  std::vector<const Node*> SortedNodes() const;
  // The family's labels with one series' values.
  std::vector<Label> LabelsOf(const Node& node) const;

  const typename Series::Options options_;
  // A list that only grows at its head, read without a lock.
  std::atomic<Node*> head_{nullptr};
  absl::Mutex insert_mu_;
};

// Holds metric families and renders them all for a scrape. Families are added while the
// process assembles itself; series are updated from any thread at any time.
//
//   MetricRegistry registry;
//   Family<Counter>& calls = registry.AddCounter("app_calls_total", "Calls.", {"method"});
//   calls.WithLabels({"Upload"}).Increment();
//   std::string text = registry.Render();
class MetricRegistry {
 public:
  MetricRegistry() = default;
  MetricRegistry(const MetricRegistry&) = delete;
  MetricRegistry& operator=(const MetricRegistry&) = delete;

  // The returned family lives as long as the registry. Names must be valid Prometheus
  // names, each used once.
  Family<Counter>& AddCounter(std::string name, std::string help,
                              std::vector<std::string> label_names = {});
  Family<Gauge>& AddGauge(std::string name, std::string help,
                          std::vector<std::string> label_names = {});
  Family<Histogram>& AddHistogram(std::string name, std::string help,
                                  std::vector<std::string> label_names, std::vector<double> bounds);

  // For values another component keeps already (a connection pool's counts): `collect`
  // writes its families each time the registry renders. It must be thread-safe.
  void AddCollector(std::function<void(ExpositionWriter&)> collect);

  // Every family, in the order added, then every collector's.
  std::string Render() const;

 private:
  template <typename Series>
  Family<Series>& Add(std::string name, std::string help, std::vector<std::string> label_names,
                      typename Series::Options options);

  mutable absl::Mutex mu_;
  std::vector<std::unique_ptr<FamilyBase>> families_ ABSL_GUARDED_BY(mu_);
  std::vector<std::function<void(ExpositionWriter&)>> collectors_ ABSL_GUARDED_BY(mu_);
};

template <typename Series>
Family<Series>::~Family() {
  for (Node* node = head_.load(std::memory_order_acquire); node != nullptr;) {
    Node* next = node->next;
    delete node;
    node = next;
  }
}

template <typename Series>
bool Family<Series>::Matches(const Node& node, std::initializer_list<absl::string_view> values) {
  auto value = values.begin();
  for (const std::string& label_value : node.label_values) {
    if (label_value != *value++) return false;
  }
  return true;
}

template <typename Series>
typename Family<Series>::Node* Family<Series>::Find(
    std::initializer_list<absl::string_view> values) const {
  for (Node* node = head_.load(std::memory_order_acquire); node != nullptr; node = node->next) {
    if (Matches(*node, values)) return node;
  }
  return nullptr;
}

template <typename Series>
Series& Family<Series>::WithLabels(std::initializer_list<absl::string_view> label_values) {
  assert(label_values.size() == label_names_.size());
  if (Node* found = Find(label_values)) return found->series;
  absl::MutexLock lock(&insert_mu_);
  // Another thread may have added it since the lookup above.
  if (Node* found = Find(label_values)) return found->series;
  auto* node = new Node(label_values, options_);
  node->next = head_.load(std::memory_order_relaxed);
  head_.store(node, std::memory_order_release);
  return node->series;
}

template <typename Series>
std::vector<const typename Family<Series>::Node*> Family<Series>::SortedNodes() const {
  std::vector<const Node*> nodes;
  for (Node* node = head_.load(std::memory_order_acquire); node != nullptr; node = node->next) {
    nodes.push_back(node);
  }
  std::sort(nodes.begin(), nodes.end(),
            [](const Node* a, const Node* b) { return a->label_values < b->label_values; });
  return nodes;
}

template <typename Series>
std::vector<Label> Family<Series>::LabelsOf(const Node& node) const {
  std::vector<Label> labels;
  labels.reserve(label_names_.size() + 1);
  for (size_t i = 0; i < label_names_.size(); ++i) {
    labels.emplace_back(label_names_[i], node.label_values[i]);
  }
  return labels;
}

template <>
void Family<Counter>::Render(ExpositionWriter& out) const;
template <>
void Family<Gauge>::Render(ExpositionWriter& out) const;
template <>
void Family<Histogram>::Render(ExpositionWriter& out) const;

}  // namespace objgate::metrics

#endif  // OBJGATE_SERVER_METRICS_METRIC_REGISTRY_H_
