#include "server/service/access_log.h"

#include <cstdio>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace objgate {
namespace {

using ::testing::HasSubstr;

TEST(AccessLogTest, OneLineWithEveryField) {
  AccessRecord record;
  record.method = "Download";
  record.tenant_id = "t1";
  record.key = "dir/file \"quoted\"\nnext";
  record.request_id = "abc123";
  record.status = absl::NotFoundError("download of \"k\": not found");
  record.bytes_sent = 42;
  record.duration = absl::Milliseconds(12.5);
  record.retries = 2;
  const std::string line = AccessLog::Format(record, absl::FromUnixSeconds(1795675200));
  EXPECT_EQ(line,
            "2026-11-26T06:40:00.000Z method=Download tenant=t1 "
            "key=\"dir/file \\\"quoted\\\"\\nnext\" code=NOT_FOUND bytes=42 duration_ms=12.5 "
            "retries=2 request_id=abc123 error=\"download of \\\"k\\\": not found\"");
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

TEST(AccessLogTest, CallsWithoutTenantOrKeyStayShort) {
  AccessRecord record;
  record.method = "GetServerInfo";
  const std::string line = AccessLog::Format(record, absl::UnixEpoch());
  EXPECT_THAT(line, HasSubstr("method=GetServerInfo tenant=- code=OK bytes=0"));
  EXPECT_EQ(line.find("key="), std::string::npos);
  EXPECT_EQ(line.find("error="), std::string::npos);
}

TEST(AccessLogTest, RecordWritesWholeLines) {
  std::FILE* file = std::tmpfile();
  AccessLog log(file);
  AccessRecord record;
  record.method = "Delete";
  log.OnCallEnd(record);
  log.OnCallEnd(record);
  std::rewind(file);
  char buffer[512] = {0};
  const size_t n = std::fread(buffer, 1, sizeof buffer - 1, file);
  std::fclose(file);
  const std::string written(buffer, n);
  EXPECT_EQ(std::count(written.begin(), written.end(), '\n'), 2);
}

}  // namespace
}  // namespace objgate
