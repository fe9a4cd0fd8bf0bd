#include "tests/fleet/mixed_load.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <random>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/client.h"

namespace objgate::test_support {

namespace {

enum class KeyState {
  kStored,     // its upload succeeded
  kUncertain,  // its upload or its delete failed on every attempt: absent, or whole
  kDeleted,    // its delete succeeded
};

// Weights of the object sizes uploaded, small ones most often, as a service's mix is.
constexpr struct {
  size_t bytes;
  int weight;
} kSizes[] = {{1, 20},       {1000, 20},   {4096 + 7, 15}, {64 << 10, 15}, {(1 << 20) + 3, 15},
              {8 << 20, 10}, {64 << 20, 5}};

// UNAVAILABLE, and CANCELLED, as a call cut off on its way may end: every call of the load
// may be repeated. So may a download whose stream broke without the gateway's status
// (INTERNAL or UNKNOWN, as a balancer ends it): it reads nothing it does not check, and the
// client resumes such a download by itself when it has retries.
bool Retryable(const std::string& method, const absl::Status& status) {
  if (absl::IsUnavailable(status) || absl::IsCancelled(status)) return true;
  return method == "Download" && (absl::IsInternal(status) || absl::IsUnknown(status));
}

uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

std::string ObjectBytes(const std::string& key) {
  size_t size = 0;
  if (!absl::SimpleAtoi(absl::string_view(key).substr(key.rfind('-') + 1), &size)) return "";
  uint64_t state = std::hash<std::string>()(key);
  std::string bytes(size, '\0');
  size_t at = 0;
  for (; at + 8 <= size; at += 8) {
    const uint64_t word = SplitMix64(state);
    std::memcpy(&bytes[at], &word, 8);
  }
  const uint64_t word = SplitMix64(state);
  std::memcpy(&bytes[at], &word, size - at);
  return bytes;
}

struct MixedLoad::Caller {
  int index = 0;
  std::string prefix;
  std::unique_ptr<Client> client;
  std::mt19937_64 random;
  std::map<std::string, KeyState> keys;
  int64_t next_key = 0;
  LoadReport report;  // this caller's share, merged at the end
};

namespace {

// Runs `call` until it succeeds, fails with a code not worth repeating, or has had
// `max_attempts`; `on_failure` hears of every failed attempt.
absl::Status WithRetries(const LoadOptions& options, const std::string& method, LoadReport& report,
                         const std::function<absl::Status()>& call,
                         const std::function<void(FailedAttempt)>& on_failure) {
  ++report.calls[method];
  ++report.total_calls;
  absl::Duration delay = options.first_retry_delay;
  for (int attempt = 1;; ++attempt) {
    const absl::Time started = absl::Now();
    absl::Status status = call();
    if (status.ok()) {
      if (attempt > 1) ++report.retried_calls;
      return status;
    }
    on_failure(FailedAttempt{method, status, started, absl::Now()});
    if (!Retryable(method, status) || attempt == options.max_attempts) {
      ++report.failed_calls;
      return status;
    }
    absl::SleepFor(delay);
    delay *= 2;
  }
}

std::string PickKey(std::mt19937_64& random, const std::map<std::string, KeyState>& keys) {
  std::vector<const std::string*> stored;
  for (const auto& [key, state] : keys) {
    if (state == KeyState::kStored) stored.push_back(&key);
  }
  if (stored.empty()) return "";
  return *stored[std::uniform_int_distribution<size_t>(0, stored.size() - 1)(random)];
}

}  // namespace

MixedLoad::MixedLoad(LoadOptions options) : options_(std::move(options)) {}

absl::StatusOr<std::unique_ptr<MixedLoad>> MixedLoad::Start(LoadOptions options) {
  std::unique_ptr<MixedLoad> load(new MixedLoad(std::move(options)));
  const LoadOptions& opts = load->options_;
  for (int i = 0; i < opts.callers; ++i) {
    auto caller = std::make_unique<Caller>();
    caller->index = i;
    caller->prefix = absl::StrCat("caller-", i, "/");
    caller->random.seed(i + 1);
    ClientConfig config;
    config.target = opts.target;
    config.tenant_id = opts.tenant;
    // Retries are the callers' own, so that every failed attempt is seen and counted.
    config.max_retries = 0;
    config.timeout = absl::Minutes(2);
    config.chunk_bytes = 1 << 20;
    absl::StatusOr<std::unique_ptr<Client>> client = Client::Create(config);
    if (!client.ok()) return client.status();
    caller->client = *std::move(client);
    load->callers_.push_back(std::move(caller));
  }
  int total_weight = 0;
  for (const auto& size : kSizes) {
    if (size.bytes <= opts.max_object_bytes) total_weight += size.weight;
  }
  for (auto& owned : load->callers_) {
    load->threads_.emplace_back([load = load.get(), caller = owned.get(), total_weight] {
      const LoadOptions& options = load->options_;
      LoadReport& report = caller->report;
      Client& client = *caller->client;
      const auto on_failure = [load](FailedAttempt attempt) {
        absl::MutexLock lock(&load->mu_);
        load->failed_attempts_.push_back(std::move(attempt));
      };
      while (!load->stopping_.load()) {
        const int roll = std::uniform_int_distribution<int>(0, 99)(caller->random);
        const std::string existing = PickKey(caller->random, caller->keys);
        if (existing.empty() || roll < 35) {
          int pick = std::uniform_int_distribution<int>(0, total_weight - 1)(caller->random);
          size_t bytes = 1;
          for (const auto& size : kSizes) {
            if (size.bytes > options.max_object_bytes) continue;
            if ((pick -= size.weight) < 0) {
              bytes = size.bytes;
              break;
            }
          }
          const std::string key = absl::StrCat(caller->prefix, caller->next_key++, "-", bytes);
          const std::string data = ObjectBytes(key);
          const absl::Status status = WithRetries(
              options, "Upload", report, [&] { return client.Upload(key, data).status(); },
              on_failure);
          caller->keys[key] = status.ok() ? KeyState::kStored : KeyState::kUncertain;
          if (status.ok()) report.bytes_uploaded += static_cast<int64_t>(data.size());
        } else if (roll < 70) {
          std::string data;
          const absl::Status status = WithRetries(
              options, "Download", report,
              [&] {
                absl::StatusOr<std::string> got = client.Download(existing);
                if (got.ok()) data = *std::move(got);
                return got.status();
              },
              on_failure);
          if (status.ok()) {
            if (data == ObjectBytes(existing)) {
              report.bytes_verified += static_cast<int64_t>(data.size());
            } else {
              report.problems.push_back(absl::StrCat("download of ", existing, " returned ",
                                                     data.size(), " bytes that differ"));
            }
          }
        } else if (roll < 80) {
          std::vector<ObjectInfo> listed;
          const absl::Status status = WithRetries(
              options, "List", report,
              [&] {
                ListOptions list;
                list.prefix = caller->prefix;
                absl::StatusOr<std::vector<ObjectInfo>> got = client.ListObjects(list);
                if (got.ok()) listed = *std::move(got);
                return got.status();
              },
              on_failure);
          if (status.ok()) {
            std::map<std::string, KeyState> unseen;
            for (const auto& [key, state] : caller->keys) {
              if (state == KeyState::kStored) unseen.emplace(key, state);
            }
            for (const ObjectInfo& info : listed) {
              auto known = caller->keys.find(info.key);
              if (known == caller->keys.end() || known->second == KeyState::kDeleted) {
                report.problems.push_back(absl::StrCat("list shows ", info.key,
                                                       ", which was never stored or was deleted"));
              }
              unseen.erase(info.key);
            }
            for (const auto& [key, state] : unseen) {
              report.problems.push_back(absl::StrCat("list misses stored ", key));
            }
          }
        } else if (roll < 90) {
          int64_t size = -1;
          const absl::Status status = WithRetries(
              options, "Stat", report,
              [&] {
                absl::StatusOr<ObjectInfo> got = client.Stat(existing);
                if (got.ok()) size = got->size;
                return got.status();
              },
              on_failure);
          if (status.ok() && size != static_cast<int64_t>(ObjectBytes(existing).size())) {
            report.problems.push_back(absl::StrCat("stat of ", existing, " says ", size, " bytes"));
          }
        } else {
          bool attempted = false;
          const absl::Status status = WithRetries(
              options, "Delete", report,
              [&] {
                absl::Status deleted = client.Delete(existing);
                // A repeated delete may find that its first attempt did the work.
                if (attempted && absl::IsNotFound(deleted)) deleted = absl::OkStatus();
                attempted = true;
                return deleted;
              },
              on_failure);
          caller->keys[existing] = status.ok() ? KeyState::kDeleted : KeyState::kUncertain;
        }
        load->calls_so_far_.fetch_add(1);
      }
    });
  }
  return load;
}

MixedLoad::~MixedLoad() {
  stopping_.store(true);
  for (std::thread& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

std::vector<FailedAttempt> MixedLoad::FailedAttempts() const {
  absl::MutexLock lock(&mu_);
  return failed_attempts_;
}

LoadReport MixedLoad::StopAndVerify() {
  stopping_.store(true);
  for (std::thread& thread : threads_) thread.join();
  threads_.clear();
  LoadReport report;
  for (const auto& caller : callers_) {
    const LoadReport& share = caller->report;
    for (const auto& [method, count] : share.calls) report.calls[method] += count;
    report.total_calls += share.total_calls;
    report.retried_calls += share.retried_calls;
    report.failed_calls += share.failed_calls;
    report.bytes_uploaded += share.bytes_uploaded;
    report.bytes_verified += share.bytes_verified;
    report.problems.insert(report.problems.end(), share.problems.begin(), share.problems.end());
  }
  report.failed_attempts = FailedAttempts();
  Verify(report);
  return report;
}

void MixedLoad::Verify(LoadReport& report) {
  ClientConfig config;
  config.target = options_.target;
  config.tenant_id = options_.tenant;
  config.timeout = absl::Minutes(2);
  config.base_delay = absl::Milliseconds(100);
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Create(config);
  if (!client.ok()) {
    report.problems.push_back(
        absl::StrCat("no client to verify with: ", client.status().ToString()));
    return;
  }
  for (const auto& caller : callers_) {
    ListOptions list;
    list.prefix = caller->prefix;
    absl::StatusOr<std::vector<ObjectInfo>> listed = (*client)->ListObjects(list);
    if (!listed.ok()) {
      report.problems.push_back(
          absl::StrCat("listing ", caller->prefix, ": ", listed.status().ToString()));
      continue;
    }
    std::map<std::string, bool> seen;
    for (const ObjectInfo& info : *listed) seen[info.key] = true;
    for (const auto& [key, state] : caller->keys) {
      const bool listed_key = seen.erase(key) > 0;
      if (state == KeyState::kDeleted) {
        if (listed_key) report.problems.push_back(absl::StrCat("deleted ", key, " is listed"));
        continue;
      }
      if (!listed_key) {
        if (state == KeyState::kStored) {
          report.problems.push_back(absl::StrCat("stored ", key, " is missing"));
        }
        continue;
      }
      absl::StatusOr<std::string> data = (*client)->Download(key);
      if (!data.ok()) {
        report.problems.push_back(
            absl::StrCat("reading back ", key, ": ", data.status().ToString()));
      } else if (*data != ObjectBytes(key)) {
        report.problems.push_back(
            absl::StrCat(key, " holds ", data->size(), " bytes that are not the ones uploaded"));
      } else {
        report.bytes_verified += static_cast<int64_t>(data->size());
      }
    }
    for (const auto& [key, unused] : seen) {
      report.problems.push_back(absl::StrCat(key, " is listed but was never uploaded"));
    }
  }
}

}  // namespace objgate::test_support
