#include "server/security/tenant_authenticator.h"

#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace objgate {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kTokenA[] = "token-for-tenant-a-0001";
constexpr char kTokenAB[] = "token-for-tenants-a-and-b";

constexpr char kFile[] = R"(# tokens and the tenants they grant
token-for-tenant-a-0001      tenant-a

token-for-tenants-a-and-b	tenant-a tenant-b
)";

TEST(TenantCredentialsTest, ParsesTokensAndTheirTenants) {
  absl::StatusOr<TenantCredentials> credentials = TenantCredentials::Parse(kFile);
  ASSERT_TRUE(credentials.ok()) << credentials.status();
  EXPECT_EQ(credentials->size(), 2u);
  EXPECT_THAT(*credentials->TenantsOf(kTokenA), ElementsAre("tenant-a"));
  EXPECT_THAT(*credentials->TenantsOf(kTokenAB), ElementsAre("tenant-a", "tenant-b"));
  EXPECT_FALSE(credentials->TenantsOf("token-for-tenant-a-0002").has_value());
  EXPECT_FALSE(credentials->TenantsOf("").has_value());
}

TEST(TenantCredentialsTest, RefusesMalformedFilesNamingTheLineNotTheToken) {
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {"token-without-any-tenant-x", "line 1: a token needs at least one tenant"},
      {"\nshort tenant-a", "line 2: a token must be 16 to 256"},
      {"token-for-tenant-a-0001 ../etc", "line 1: tenant id"},
      {"token-for-tenant-a-0001 a\ntoken-for-tenant-a-0001 b", "line 2: the token appears twice"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<TenantCredentials> credentials = TenantCredentials::Parse(c.text);
    EXPECT_EQ(credentials.status().code(), absl::StatusCode::kInvalidArgument) << c.text;
    EXPECT_THAT(std::string(credentials.status().message()), HasSubstr(c.message));
    EXPECT_THAT(std::string(credentials.status().message()), Not(HasSubstr("token-for")));
  }
}

class TenantAuthenticatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = std::string(getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp") +
            "/credentials.txt";
    Write(kFile);
    absl::StatusOr<std::unique_ptr<TenantAuthenticator>> auth = TenantAuthenticator::FromFile(path_);
    ASSERT_TRUE(auth.ok()) << auth.status();
    auth_ = *std::move(auth);
  }
  void Write(const std::string& text) { std::ofstream(path_, std::ios::trunc) << text; }

  std::string path_;
  std::unique_ptr<TenantAuthenticator> auth_;
};

TEST_F(TenantAuthenticatorTest, DecidesTheTenantOrRefusesWithTheDocumentedCode) {
  const std::string bearer_a = std::string("Bearer ") + kTokenA;
  const std::string bearer_ab = std::string("Bearer ") + kTokenAB;
  EXPECT_EQ(*auth_->Authenticate(bearer_a, ""), "tenant-a");
  EXPECT_EQ(*auth_->Authenticate(bearer_a, "tenant-a"), "tenant-a");
  EXPECT_EQ(*auth_->Authenticate(bearer_ab, "tenant-b"), "tenant-b");

  EXPECT_EQ(auth_->Authenticate(std::nullopt, "tenant-a").status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(auth_->Authenticate(kTokenA, "tenant-a").status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(auth_->Authenticate("Bearer not-a-known-token-at-all", "").status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(auth_->Authenticate(bearer_a, "tenant-b").status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(auth_->Authenticate(bearer_ab, "").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(TenantAuthenticatorTest, ReloadAppliesANewFileAndKeepsTheOldOnError) {
  Write("token-for-tenant-c-0001 tenant-c\n");
  ASSERT_TRUE(auth_->Reload().ok());
  EXPECT_EQ(*auth_->Authenticate("Bearer token-for-tenant-c-0001", ""), "tenant-c");
  EXPECT_FALSE(auth_->Authenticate(std::string("Bearer ") + kTokenA, "").ok());

  Write("broken");
  EXPECT_FALSE(auth_->Reload().ok());
  EXPECT_EQ(*auth_->Authenticate("Bearer token-for-tenant-c-0001", ""), "tenant-c");
}

}  // namespace
}  // namespace objgate
