#include "client/config.h"

#include <functional>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace objgate {
namespace {

using ::testing::HasSubstr;

ClientConfig Valid() {
  ClientConfig config;
  config.tenant_id = "550e8400-e29b-41d4-a716-446655440000";
  return config;
}

TEST(ClientConfigTest, DefaultsAreTheSdks) {
  ClientConfig config;
  EXPECT_EQ(config.timeout, absl::Seconds(30));
  EXPECT_EQ(config.max_retries, 3);
  EXPECT_EQ(config.base_delay, absl::Seconds(1));
  EXPECT_TRUE(Valid().Validate().ok());
}

TEST(ClientConfigTest, RejectsEachInvalidFieldByName) {
  struct Case {
    std::function<void(ClientConfig&)> edit;
    const char* message;
  };
  const Case cases[] = {
      {[](ClientConfig& c) { c.target = ""; }, "target"},
      {[](ClientConfig& c) { c.tenant_id = ""; }, "tenant_id"},
      {[](ClientConfig& c) { c.tenant_id = "../x"; }, "tenant_id"},
      {[](ClientConfig& c) { c.timeout = absl::ZeroDuration(); }, "timeout"},
      {[](ClientConfig& c) { c.max_retries = -1; }, "max_retries"},
      {[](ClientConfig& c) { c.base_delay = absl::ZeroDuration(); }, "base_delay"},
      {[](ClientConfig& c) { c.max_delay = absl::Milliseconds(10); }, "max_delay"},
      {[](ClientConfig& c) { c.chunk_bytes = 10; }, "chunk_bytes"},
  };
  for (const Case& c : cases) {
    ClientConfig config = Valid();
    c.edit(config);
    absl::Status status = config.Validate();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.message;
    EXPECT_THAT(std::string(status.message()), HasSubstr(c.message));
  }
}

}  // namespace
}  // namespace objgate
