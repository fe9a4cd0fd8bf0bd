// A soak of the gateway: many concurrent callers mixing uploads, downloads, lists and
// deletes of objects from 1 byte to --max_object_bytes for --duration, every download
// checked against what was uploaded, and the gateway's resident memory and open file
// descriptors printed at the start, the middle and the end. Starts its own reference
// store and gateway on loopback. Exits 0 only with no unexpected error and flat figures.
//
//   bazel run -c opt //tests/soak:soak -- --duration=5m --callers=64
#include <sys/types.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "client/client.h"
#include "tests/soak/generated_object.h"
#include "tests/support/process_stats.h"
#include "tests/support/refstore_process.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

ABSL_FLAG(absl::Duration, duration, absl::Minutes(3), "how long the callers run");
ABSL_FLAG(int, callers, 64, "concurrent callers, each with keys of its own");
ABSL_FLAG(int64_t, max_object_bytes, 64 << 20, "largest object; sizes are log-uniform from 1");
ABSL_FLAG(int, keys_per_caller, 2, "keys each caller cycles through");
ABSL_FLAG(absl::Duration, report_every, absl::Seconds(15), "how often to print figures");

namespace objgate::soak {
namespace {

using test_support::Subprocess;

struct Figures {
  absl::Duration at;
  int64_t operations = 0;
  int64_t rss_bytes = 0;
  int64_t open_fds = 0;
};

class Soak {
 public:
  Soak(Client& client, pid_t gateway_pid) : client_(client), gateway_pid_(gateway_pid) {}

  // One caller: a random walk over its own keys, checking every answer against what the
  // caller knows it stored.
  void RunCaller(int caller, absl::Time end) {
    absl::BitGen random;
    struct Version {
      uint64_t seed;
      int64_t size;
      std::string sha256;
    };
    std::map<std::string, Version> stored;
    const int keys = absl::GetFlag(FLAGS_keys_per_caller);
    const double log_max = std::log(static_cast<double>(absl::GetFlag(FLAGS_max_object_bytes)));
    uint64_t next_seed = static_cast<uint64_t>(caller) << 32;
    const std::string prefix = absl::StrCat("caller-", caller, "/");
    while (absl::Now() < end) {
      const std::string key = absl::StrCat(prefix, absl::Uniform(random, 0, keys));
      auto known = stored.find(key);
      const int operation = absl::Uniform(random, 0, 10);
      if (operation < 4) {  // upload
        const int64_t size = static_cast<int64_t>(std::exp(absl::Uniform(random, 0.0, log_max)));
        Version version{++next_seed, size, ""};
        GeneratedObjectBuf buf(version.seed, size);
        std::istream in(&buf);
        absl::StatusOr<UploadResult> up = client_.UploadFrom(key, in);
        if (!up.ok()) {
          Unexpected("upload", key, up.status());
          stored.erase(key);  // unknown now whether the old or new version stands
          continue;
        }
        version.sha256 = up->sha256;
        if (version.sha256 != GeneratedObjectBuf::Sha256Of(version.seed, size)) {
          Unexpected("upload", key, absl::DataLossError("stored bytes differ from sent"));
        }
        stored[key] = version;
        bytes_moved_ += size;
      } else if (operation < 8) {  // download
        HashingBuf buf;
        std::ostream out(&buf);
        absl::StatusOr<DownloadResult> down = client_.DownloadTo(key, out);
        if (known == stored.end()) {
          if (!absl::IsNotFound(down.status())) {
            Unexpected("download of a deleted key", key, down.status());
          }
        } else if (!down.ok()) {
          Unexpected("download", key, down.status());
        } else if (buf.bytes() != known->second.size ||
                   buf.HexDigest() != known->second.sha256) {
          Unexpected("download", key, absl::DataLossError("bytes differ from the upload"));
        } else {
          ++verified_downloads_;
          bytes_moved_ += buf.bytes();
        }
      } else if (operation == 8) {  // list
        absl::StatusOr<std::vector<std::string>> listed = client_.List(prefix);
        if (!listed.ok()) {
          Unexpected("list", prefix, listed.status());
        } else if (listed->size() != stored.size()) {
          Unexpected("list", prefix,
                     absl::InternalError(absl::StrCat(listed->size(), " keys listed, ",
                                                      stored.size(), " stored")));
        }
      } else {  // delete
        absl::Status status = client_.Delete(key);
        const bool expected = known == stored.end() ? absl::IsNotFound(status) : status.ok();
        if (!expected) Unexpected("delete", key, status);
        stored.erase(key);
      }
      ++operations_;
    }
  }

  Figures Sample(absl::Time start) const {
    Figures figures;
    figures.at = absl::Now() - start;
    figures.operations = operations_.load();
    figures.rss_bytes = test_support::MemoryBytes(gateway_pid_, "VmRSS").value_or(-1);
    figures.open_fds = test_support::OpenFileDescriptors(gateway_pid_).value_or(-1);
    return figures;
  }

  static void Print(const char* label, const Figures& f) {
    std::printf("%-6s t=%6.1fs  operations=%-8lld gateway rss=%6.1f MiB  open fds=%lld\n",
                label, absl::ToDoubleSeconds(f.at), static_cast<long long>(f.operations),
                static_cast<double>(f.rss_bytes) / (1 << 20), static_cast<long long>(f.open_fds));
    std::fflush(stdout);
  }

  int64_t unexpected() const { return unexpected_.load(); }
  int64_t verified_downloads() const { return verified_downloads_.load(); }
  int64_t bytes_moved() const { return bytes_moved_.load(); }

 private:
  void Unexpected(const char* what, const std::string& key, const absl::Status& status) {
    if (unexpected_++ < 20) {
      absl::MutexLock lock(&print_mu_);
      std::printf("UNEXPECTED %s %s: %s\n", what, key.c_str(), status.ToString().c_str());
    }
  }

  Client& client_;
  const pid_t gateway_pid_;
  std::atomic<int64_t> operations_{0};
  std::atomic<int64_t> unexpected_{0};
  std::atomic<int64_t> verified_downloads_{0};
  std::atomic<int64_t> bytes_moved_{0};
  absl::Mutex print_mu_;
};

int Run() {
  test_support::TempDir data;
  absl::StatusOr<std::unique_ptr<Subprocess>> store = test_support::StartRefstore(data.path());
  if (!store.ok()) {
    std::fprintf(stderr, "soak: %s\n", store.status().ToString().c_str());
    return 1;
  }
  test_support::SubprocessOptions gateway_options;
  gateway_options.binary = "server/gateway";
  gateway_options.args = {"--listen=127.0.0.1:0", "--upstream=" + (*store)->address(),
                          "--access_log=false"};
  absl::StatusOr<std::unique_ptr<Subprocess>> gateway = Subprocess::Start(gateway_options);
  if (!gateway.ok()) {
    std::fprintf(stderr, "soak: %s\n", gateway.status().ToString().c_str());
    return 1;
  }
  ClientConfig config;
  config.target = (*gateway)->address();
  config.tenant_id = "soak";
  config.timeout = absl::Minutes(5);
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Create(config);
  if (!client.ok()) return 1;

  Soak soak(**client, (*gateway)->pid());
  const int callers = absl::GetFlag(FLAGS_callers);
  const absl::Duration duration = absl::GetFlag(FLAGS_duration);
  std::printf("soak: %d callers for %s, objects of 1 B to %lld B, gateway pid %d\n", callers,
              absl::FormatDuration(duration).c_str(),
              static_cast<long long>(absl::GetFlag(FLAGS_max_object_bytes)),
              static_cast<int>((*gateway)->pid()));
  const absl::Time start = absl::Now();
  const absl::Time end = start + duration;
  const Figures first = soak.Sample(start);
  Soak::Print("start", first);

  std::vector<std::thread> threads;
  for (int i = 0; i < callers; ++i) threads.emplace_back([&, i] { soak.RunCaller(i, end); });
  absl::Notification done;
  std::optional<Figures> middle;
  std::thread reporter([&] {
    absl::Time next_report = start + absl::GetFlag(FLAGS_report_every);
    const absl::Time half = start + duration / 2;
    while (!done.WaitForNotificationWithTimeout(absl::Milliseconds(200))) {
      if (!middle && absl::Now() >= half) {
        middle = soak.Sample(start);
        Soak::Print("middle", *middle);
      } else if (absl::Now() >= next_report) {
        Soak::Print("", soak.Sample(start));
        next_report += absl::GetFlag(FLAGS_report_every);
      }
    }
  });
  for (std::thread& thread : threads) thread.join();
  done.Notify();
  reporter.join();
  const Figures last = soak.Sample(start);
  Soak::Print("end", last);
  const Figures reference = middle.value_or(first);

  // Flat: nothing that grows with the number of calls made. The first half warms the
  // pools and allocator up, so the end is held against the middle.
  const bool rss_flat = last.rss_bytes <= reference.rss_bytes * 5 / 4 + (16 << 20);
  const bool fds_flat = last.open_fds <= reference.open_fds + 8;
  std::printf(
      "soak: %lld operations, %lld downloads verified, %.1f GiB moved, %lld unexpected "
      "errors; rss %s, open fds %s\n",
      static_cast<long long>(last.operations), static_cast<long long>(soak.verified_downloads()),
      static_cast<double>(soak.bytes_moved()) / (1 << 30),
      static_cast<long long>(soak.unexpected()), rss_flat ? "flat" : "GREW",
      fds_flat ? "flat" : "GREW");
  return soak.unexpected() == 0 && rss_flat && fds_flat && soak.verified_downloads() > 0 ? 0 : 1;
}

}  // namespace
}  // namespace objgate::soak

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return objgate::soak::Run();
}
