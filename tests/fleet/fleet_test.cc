// Three gateways on one store behind a real load balancer (nginx and HAProxy, each from its
// file in tools/fleet), under a mixed load of callers: one gateway is drained with SIGTERM,
// another killed with SIGKILL and started again, and every byte is checked throughout.
#include "tests/fleet/fleet.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <memory>
#include <ostream>
#include <streambuf>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "client/client.h"
#include "common/sha256.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "storage/v1/storage.grpc.pb.h"
#include "tests/fleet/mixed_load.h"
#include "tests/support/local_s3.h"
#include "tests/support/refstore_process.h"
#include "tests/support/storage_calls.h"
#include "tests/support/temp_dir.h"

namespace objgate::test_support {
namespace {

namespace v1 = ::storage::v1;
using ::testing::IsEmpty;

// How long HAProxy may take to see a NOT_SERVING gateway: tools/fleet/haproxy.cfg checks
// every second, twice, each check waiting a second; the rest of the 6 s drain delay is
// margin for a busy machine.
constexpr absl::Duration kHaproxyNoticesWithin = absl::Seconds(4);

// How long a balancer may go on using a connection that its gateway has just closed, by
// GOAWAY or by dying: the time to read the news, on a busy machine.
constexpr absl::Duration kRaceWindow = absl::Milliseconds(500);

// Polls `condition` every 20 ms until it holds or `timeout` passes.
template <typename Condition>
bool WaitFor(Condition condition, absl::Duration timeout) {
  for (const absl::Time give_up = absl::Now() + timeout; absl::Now() < give_up;) {
    if (condition()) return true;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return condition();
}

double Started(const Fleet& fleet, int i) {
  absl::StatusOr<CallCounts> counts = fleet.Calls(i);
  return counts.ok() ? counts->started : -1;
}

double InFlight(const Fleet& fleet, int i) {
  absl::StatusOr<CallCounts> counts = fleet.Calls(i);
  return counts.ok() ? counts->in_flight : -1;
}

// Failed attempts by code, "UNAVAILABLE 2, CANCELLED 1", or "none".
std::string ByCode(const std::vector<FailedAttempt>& attempts) {
  std::map<std::string, int> counts;
  for (const FailedAttempt& attempt : attempts) {
    ++counts[absl::StatusCodeToString(attempt.status.code())];
  }
  std::string text;
  for (const auto& [code, count] : counts) {
    absl::StrAppend(&text, text.empty() ? "" : ", ", code, " ", count);
  }
  return text.empty() ? "none" : text;
}

std::vector<FailedAttempt> Between(const std::vector<FailedAttempt>& attempts, absl::Time from,
                                   absl::Time to) {
  std::vector<FailedAttempt> found;
  for (const FailedAttempt& attempt : attempts) {
    if (attempt.ended >= from && attempt.ended < to) found.push_back(attempt);
  }
  return found;
}

// One line per attempt, with when it started and ended relative to `since`.
std::string Describe(const std::vector<FailedAttempt>& attempts, absl::Time since) {
  std::string text;
  for (const FailedAttempt& attempt : attempts) {
    absl::StrAppendFormat(&text, "\n  %s from %+.3f s to %+.3f s: %s", attempt.method,
                          absl::ToDoubleSeconds(attempt.started - since),
                          absl::ToDoubleSeconds(attempt.ended - since), attempt.status.ToString());
  }
  return text;
}

// Three gateways on a reference store behind the balancer of the test's parameter.
class FleetTest : public ::testing::TestWithParam<Balancer> {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<Subprocess>> store = StartRefstore(data_.path());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    options_.balancer = GetParam();
    options_.gateway_args = {"--upstream=" + store_->address()};
    absl::StatusOr<std::unique_ptr<Fleet>> fleet = Fleet::Start(options_);
    ASSERT_TRUE(fleet.ok()) << fleet.status();
    fleet_ = *std::move(fleet);
  }

  Fleet& fleet() { return *fleet_; }
  const FleetOptions& options() const { return options_; }

 private:
  TempDir data_;
  std::unique_ptr<Subprocess> store_;
  FleetOptions options_;
  // Last, so that it goes first: the gateways before their store.
  std::unique_ptr<Fleet> fleet_;
};

TEST_P(FleetTest, DrainOneKillAnotherUnderLoadAndLoseNothing) {
  const Balancer balancer = GetParam();
  const std::string name = BalancerName(balancer);
  Fleet& fleet = this->fleet();

  // Every gateway takes calls through the balancer before the load starts.
  {
    ClientConfig config;
    config.target = fleet.target();
    config.tenant_id = "fleet-" + name;
    absl::StatusOr<std::unique_ptr<Client>> client = Client::Create(config);
    ASSERT_TRUE(client.ok()) << client.status();
    ASSERT_TRUE(WaitFor(
        [&] {
          (void)(*client)->GetServerInfo();
          for (int i = 0; i < fleet.size(); ++i) {
            if (Started(fleet, i) <= 0) return false;
          }
          return true;
        },
        absl::Seconds(30)))
        << "not every gateway took calls through " << name;
  }

  LoadOptions load_options;
  load_options.target = fleet.target();
  load_options.tenant = "fleet-" + name;
  absl::StatusOr<std::unique_ptr<MixedLoad>> load = MixedLoad::Start(load_options);
  ASSERT_TRUE(load.ok()) << load.status();
  ASSERT_TRUE(WaitFor([&] { return (*load)->CallsSoFar() >= 50; }, absl::Seconds(60)));

  // Drain gateway 1 while it has calls in flight.
  constexpr int kDrained = 0;
  ASSERT_TRUE(WaitFor([&] { return InFlight(fleet, kDrained) > 0; }, absl::Seconds(20)));
  const double in_flight_at_term = InFlight(fleet, kDrained);
  const absl::Time term = absl::Now();
  ASSERT_TRUE(fleet.Terminate(kDrained).ok());
  // What it starts from when the balancer must have noticed until it stops listening.
  absl::SleepFor(kHaproxyNoticesWithin);
  const double noticed = Started(fleet, kDrained);
  absl::SleepFor(options().drain_delay - kHaproxyNoticesWithin - absl::Milliseconds(500));
  const double before_close = Started(fleet, kDrained);
  absl::StatusOr<int> drained_exit = fleet.WaitForExit(kDrained, absl::Seconds(60));
  ASSERT_TRUE(drained_exit.ok()) << drained_exit.status();
  const absl::Time drained = absl::Now();
  EXPECT_TRUE(WIFEXITED(*drained_exit) && WEXITSTATUS(*drained_exit) == 0) << *drained_exit;
  // Calls that ended just after the exit may have been cut by it.
  absl::SleepFor(absl::Milliseconds(500));
  const std::vector<FailedAttempt> during_drain =
      Between((*load)->FailedAttempts(), term, absl::Now());

  // Kill gateway 2 while it has calls in flight.
  constexpr int kKilled = 1;
  ASSERT_TRUE(WaitFor([&] { return InFlight(fleet, kKilled) > 0; }, absl::Seconds(20)));
  const double in_flight_at_kill = InFlight(fleet, kKilled);
  const absl::Time killed = absl::Now();
  ASSERT_TRUE(fleet.Kill(kKilled).ok());
  absl::SleepFor(absl::Seconds(3));
  ASSERT_TRUE(fleet.Restart(kKilled).ok());
  const absl::Time restarted = absl::Now();
  const bool takes_calls_again =
      WaitFor([&] { return Started(fleet, kKilled) > 0; }, absl::Seconds(30));
  const absl::Duration back_after = absl::Now() - restarted;
  const std::vector<FailedAttempt> during_kill =
      Between((*load)->FailedAttempts(), killed, absl::Now());
  // A little more load across the survivors and the restarted one.
  const int64_t calls_at_restart = (*load)->CallsSoFar();
  WaitFor([&] { return (*load)->CallsSoFar() >= calls_at_restart + 30; }, absl::Seconds(30));
  const double restarted_calls = Started(fleet, kKilled);

  LoadReport report = (*load)->StopAndVerify();
  std::vector<FailedAttempt> cut_by_kill;
  std::vector<FailedAttempt> after_kill;
  for (const FailedAttempt& attempt : during_kill) {
    (attempt.started < killed ? cut_by_kill : after_kill).push_back(attempt);
  }

  std::string calls;
  for (const auto& [method, count] : report.calls) {
    absl::StrAppend(&calls, calls.empty() ? "" : ", ", method, " ", count);
  }
  std::printf(
      "fleet behind %s: %lld calls (%s), %lld retried, %lld failed after retries; "
      "%.1f MiB uploaded, %.1f MiB downloaded and verified\n"
      "  SIGTERM gateway-1 (%.0f calls in flight on it): failed attempts until it exited "
      "%.1f s later: %s; calls it started after %s had %s notice: %.0f\n"
      "  SIGKILL gateway-2 (%.0f calls in flight on it): failed attempts: %s (cut in flight: "
      "%zu, started after the kill: %zu)\n"
      "  gateway-2 restarted: took calls again after %.1f s, %.0f calls by the end\n"
      "  all failed attempts: %s (times from the SIGTERM)%s\n",
      name.c_str(), static_cast<long long>(report.total_calls), calls.c_str(),
      static_cast<long long>(report.retried_calls), static_cast<long long>(report.failed_calls),
      report.bytes_uploaded / 1048576.0, report.bytes_verified / 1048576.0, in_flight_at_term,
      absl::ToDoubleSeconds(drained - term), ByCode(during_drain).c_str(), name.c_str(),
      balancer == Balancer::kHaproxy ? "time to" : "no health check to", before_close - noticed,
      in_flight_at_kill, ByCode(during_kill).c_str(), cut_by_kill.size(), after_kill.size(),
      absl::ToDoubleSeconds(back_after), restarted_calls, ByCode(report.failed_attempts).c_str(),
      Describe(report.failed_attempts, term).c_str());
  std::fflush(stdout);

  // The drain: HAProxy, which checks health, sends it nothing new once it has noticed,
  // and no call fails. nginx cannot tell: the gateway serves what nginx sends until it
  // stops listening, and a call nginx puts on a kept-alive connection just as the gateway
  // closes it is refused (CANCELLED or UNAVAILABLE); the callers repeat it elsewhere.
  const absl::Time closed = term + options().drain_delay;
  std::vector<FailedAttempt> drain_failures;
  for (const FailedAttempt& attempt : during_drain) {
    const bool raced_the_close =
        balancer == Balancer::kNginx && attempt.ended >= closed - kRaceWindow &&
        attempt.ended <= drained + kRaceWindow &&
        (absl::IsCancelled(attempt.status) || absl::IsUnavailable(attempt.status));
    if (!raced_the_close) drain_failures.push_back(attempt);
  }
  EXPECT_THAT(drain_failures, IsEmpty()) << Describe(drain_failures, term);
  if (balancer == Balancer::kHaproxy) {
    EXPECT_EQ(before_close, noticed);
  }
  // The kill: only calls in flight on it fail, as UNAVAILABLE or CANCELLED, or, for a
  // download whose stream the balancer broke without a status, as INTERNAL (nginx resets
  // it) or UNKNOWN (HAProxy ends it), which the client resumes; each is repeated with
  // success. New calls go to the survivors once the balancer has seen the closed
  // connections, which takes it a few milliseconds.
  for (const FailedAttempt& attempt : cut_by_kill) {
    const bool broken_download =
        attempt.method == "Download" &&
        (absl::IsInternal(attempt.status) || absl::IsUnknown(attempt.status));
    EXPECT_TRUE(absl::IsUnavailable(attempt.status) || absl::IsCancelled(attempt.status) ||
                broken_download)
        << attempt.method << ": " << attempt.status;
  }
  std::vector<FailedAttempt> late_after_kill;
  for (const FailedAttempt& attempt : after_kill) {
    if (attempt.started > killed + kRaceWindow) late_after_kill.push_back(attempt);
  }
  EXPECT_THAT(late_after_kill, IsEmpty()) << Describe(late_after_kill, killed);
  EXPECT_EQ(report.failed_calls, 0) << Describe(report.failed_attempts, term);
  EXPECT_TRUE(takes_calls_again) << "the restarted gateway took no calls through " << name;
  // Nothing stored was lost, left half-written or changed.
  EXPECT_THAT(report.problems, IsEmpty());
  EXPECT_GT(report.bytes_verified, 0);
}

// An ostream's buffer that keeps what is written and, once it holds `hold_after` bytes,
// holds the writer until released: a caller reading slowly, with its download in flight.
class HoldingBuffer : public std::streambuf {
 public:
  explicit HoldingBuffer(size_t hold_after) : hold_after_(hold_after) {}

  void WaitUntilHeld() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(&held_));
  }
  void Release() {
    absl::MutexLock lock(&mu_);
    released_ = true;
  }
  const std::string& bytes() const { return bytes_; }

 protected:
  std::streamsize xsputn(const char* data, std::streamsize size) override {
    bytes_.append(data, static_cast<size_t>(size));
    if (bytes_.size() >= hold_after_) {
      absl::MutexLock lock(&mu_);
      held_ = true;
      mu_.Await(absl::Condition(&released_));
    }
    return size;
  }
  int_type overflow(int_type c) override {
    if (c != traits_type::eof()) {
      const char byte = traits_type::to_char_type(c);
      xsputn(&byte, 1);
    }
    return traits_type::not_eof(c);
  }

 private:
  const size_t hold_after_;
  std::string bytes_;
  absl::Mutex mu_;
  bool held_ ABSL_GUARDED_BY(mu_) = false;
  bool released_ ABSL_GUARDED_BY(mu_) = false;
};

// The C++ client with its own retries: a download whose gateway dies mid-stream resumes
// through the balancer on another gateway, from the next byte, and returns the object
// whole. Through nginx the break is a reset stream (INTERNAL), through HAProxy a stream
// ended without a status (UNKNOWN).
TEST_P(FleetTest, ClientResumesADownloadWhoseGatewayDiesMidStream) {
  const Balancer balancer = GetParam();
  Fleet& fleet = this->fleet();

  ClientConfig config;
  config.target = fleet.target();
  config.tenant_id = "fleet-resume-" + BalancerName(balancer);
  config.timeout = absl::Minutes(2);
  config.base_delay = absl::Milliseconds(100);
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Create(config);
  ASSERT_TRUE(client.ok()) << client.status();
  const std::string data = TestBytes(64 << 20);
  ASSERT_TRUE((*client)->Upload("big", data).ok());

  HoldingBuffer buffer(8 << 20);
  std::ostream out(&buffer);
  absl::StatusOr<DownloadResult> result;
  std::thread reader([&] { result = (*client)->DownloadTo("big", out); });
  buffer.WaitUntilHeld();
  int serving = -1;
  WaitFor(
      [&] {
        for (int i = 0; i < fleet.size() && serving < 0; ++i) {
          if (InFlight(fleet, i) > 0) serving = i;
        }
        return serving >= 0;
      },
      absl::Seconds(10));
  EXPECT_GE(serving, 0) << "no gateway has the download in flight";
  if (serving >= 0) {
    EXPECT_TRUE(fleet.Kill(serving).ok());
  }
  buffer.Release();
  reader.join();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->sha256, Sha256::Hex(data));
  EXPECT_TRUE(buffer.bytes() == data) << buffer.bytes().size() << " bytes that differ";
}

INSTANTIATE_TEST_SUITE_P(Balancers, FleetTest,
                         ::testing::Values(Balancer::kNginx, Balancer::kHaproxy),
                         [](const ::testing::TestParamInfo<Balancer>& info) {
                           return BalancerName(info.param);
                         });

// The gateway keeps nothing of a resumable upload: on S3 the store's multipart upload is
// the whole state, so an upload begun through one gateway is finished through the balancer
// by another once the first has gone.
TEST(FleetS3Test, ResumableUploadStartedThroughOneGatewayIsFinishedThroughAnother) {
  OBJGATE_NEED_LOCAL_S3(s3);
  absl::StatusOr<std::unique_ptr<S3TestClient>> s3_client = S3TestClient::Create(s3);
  ASSERT_TRUE(s3_client.ok()) << s3_client.status();
  const std::string bucket = absl::StrCat("fleet-", getpid(), "-", absl::ToUnixMicros(absl::Now()));
  ASSERT_TRUE((*s3_client)->CreateBucket(bucket).ok());
  struct DeleteBucket {
    S3TestClient& client;
    std::string bucket;
    ~DeleteBucket() { client.DeleteBucket(bucket).IgnoreError(); }
  } delete_bucket{**s3_client, bucket};

  FleetOptions options;
  options.balancer = Balancer::kHaproxy;
  options.gateway_args = {"--upstream_dialect=s3", "--upstream=" + s3.endpoint,
                          "--s3_bucket=" + bucket, "--s3_region=" + s3.region,
                          absl::StrCat("--s3_part_bytes=", 5 << 20)};
  options.gateway_env = {{"AWS_ACCESS_KEY_ID", s3.credentials.access_key_id},
                         {"AWS_SECRET_ACCESS_KEY", s3.credentials.secret_access_key}};
  absl::StatusOr<std::unique_ptr<Fleet>> started = Fleet::Start(options);
  ASSERT_TRUE(started.ok()) << started.status();
  Fleet& fleet = **started;

  constexpr char kTenant[] = "fleet-s3";
  const std::string data = TestBytes(12 << 20);
  // Begun through gateway-1 directly: the first 10 MiB, two whole parts.
  auto first = v1::ObjectStorage::NewStub(
      grpc::CreateChannel(fleet.gateway_address(0), grpc::InsecureChannelCredentials()));
  v1::StartResumableUploadRequest start;
  start.mutable_spec()->set_key("resumed");
  start.mutable_spec()->set_size(static_cast<int64_t>(data.size()));
  // Checked against the whole object when the last gateway completes it.
  start.mutable_spec()->set_sha256(Sha256::Hex(data));
  v1::StartResumableUploadResponse upload;
  grpc::Status status = first->StartResumableUpload(TenantContext(kTenant).get(), start, &upload);
  ASSERT_TRUE(status.ok()) << status.error_message();
  UploadOutcome begun = ContinueUpload(*first, kTenant, upload.upload_id(), 0,
                                       absl::string_view(data).substr(0, 10 << 20), false);
  ASSERT_TRUE(begun.status.ok()) << begun.status.error_message();

  // Gateway-1 goes; what is left of the upload is in the store.
  ASSERT_TRUE(fleet.Terminate(0).ok());
  absl::StatusOr<int> exit = fleet.WaitForExit(0, absl::Seconds(60));
  ASSERT_TRUE(exit.ok()) << exit.status();
  const double before[] = {Started(fleet, 1), Started(fleet, 2)};

  // Finished through the balancer, so by gateway-2 or gateway-3.
  auto balanced = v1::ObjectStorage::NewStub(
      grpc::CreateChannel(fleet.target(), grpc::InsecureChannelCredentials()));
  v1::QueryUploadStatusRequest query;
  query.set_upload_id(upload.upload_id());
  v1::QueryUploadStatusResponse persisted;
  status = balanced->QueryUploadStatus(TenantContext(kTenant).get(), query, &persisted);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(persisted.persisted_size(), 10 << 20);
  EXPECT_FALSE(persisted.complete());
  UploadOutcome finished =
      ContinueUpload(*balanced, kTenant, upload.upload_id(), persisted.persisted_size(),
                     absl::string_view(data).substr(persisted.persisted_size()), true);
  ASSERT_TRUE(finished.status.ok()) << finished.status.error_message();
  EXPECT_EQ(finished.response.sha256(), Sha256::Hex(data));
  EXPECT_GT(Started(fleet, 1) + Started(fleet, 2), before[0] + before[1]);

  DownloadOutcome read = Download(*balanced, kTenant, "resumed");
  ASSERT_TRUE(read.status.ok()) << read.status.error_message();
  EXPECT_TRUE(read.data == data) << read.data.size() << " bytes that differ";
  std::printf(
      "fleet on s3: resumable upload %s begun through gateway-1 (10 MiB), finished "
      "through haproxy by another gateway after gateway-1 exited; %zu bytes read back "
      "whole\n",
      upload.upload_id().substr(0, 16).c_str(), read.data.size());
}

}  // namespace
}  // namespace objgate::test_support
