#include "server/upstream/aws_credentials.h"

#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace objgate {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using Code = absl::StatusCode;

// Distinctive, so that a test can tell whether any of it leaked into a message.
constexpr absl::string_view kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr absl::string_view kToken = "FQoGZXIvYXdzEXAMPLESESSIONTOKEN+abc/def==";
constexpr absl::string_view kOtherSecret = "oThErSeCrEtKeYdOnOtLeAkMe0123456789abcdef";

GetEnv FakeEnvironment(std::map<std::string, std::string> variables) {
  return [variables = std::move(variables)](absl::string_view name) -> std::optional<std::string> {
    const auto it = variables.find(std::string(name));
    if (it == variables.end()) return std::nullopt;
    return it->second;
  };
}

// Nothing the provider says may hold a secret or a token, whole or in part.
::testing::Matcher<std::string> HasNoSecrets() {
  return AllOf(Not(HasSubstr(std::string(kSecret))), Not(HasSubstr(std::string(kToken))),
               Not(HasSubstr(std::string(kOtherSecret))), Not(HasSubstr("EXAMPLEKEY")),
               Not(HasSubstr("SESSIONTOKEN")), Not(HasSubstr("dOnOtLeAkMe")));
}

class AwsCredentialsProviderTest : public testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = testing::TempDir() + "aws_credentials_XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }

  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Writes `text` to `name` under the test's directory, replacing it in one step (as a
  // rotation would) so that a concurrent reader sees the old file or the new one.
  std::string WriteFile(const std::string& name, absl::string_view text) {
    const std::string path = absl::StrCat(dir_, "/", name);
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    const std::string staging = path + ".new";
    std::ofstream(staging, std::ios::binary) << text;
    std::filesystem::rename(staging, path);
    return path;
  }

  std::string dir_;
};

std::string DefaultProfile(absl::string_view access_key_id, absl::string_view secret) {
  return absl::StrCat("[default]\naws_access_key_id = ", access_key_id,
                      "\naws_secret_access_key = ", secret, "\n");
}

TEST_F(AwsCredentialsProviderTest, EnvironmentIsUsedWhenBothKeysAreSet) {
  const std::string file = WriteFile("credentials", DefaultProfile("AKIAFILE", kOtherSecret));
  auto provider = AwsCredentialsProvider::Create(FakeEnvironment({
      {"AWS_ACCESS_KEY_ID", "AKIAENV"},
      {"AWS_SECRET_ACCESS_KEY", std::string(kSecret)},
      {"AWS_SESSION_TOKEN", std::string(kToken)},
      {"AWS_SHARED_CREDENTIALS_FILE", file},
  }));
  ASSERT_TRUE(provider.ok()) << provider.status();

  const AwsCredentials credentials = (*provider)->Current();
  EXPECT_EQ(credentials.access_key_id, "AKIAENV");
  EXPECT_EQ(credentials.secret_access_key, kSecret);
  EXPECT_EQ(credentials.session_token, kToken);
  EXPECT_EQ((*provider)->Describe(),
            "environment variables AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, access key "
            "AKIAENV, with a session token");
}

TEST_F(AwsCredentialsProviderTest, EnvironmentSessionTokenIsOptional) {
  auto provider = AwsCredentialsProvider::Create(FakeEnvironment({
      {"AWS_ACCESS_KEY_ID", "AKIAENV"},
      {"AWS_SECRET_ACCESS_KEY", std::string(kSecret)},
  }));
  ASSERT_TRUE(provider.ok()) << provider.status();

  EXPECT_EQ((*provider)->Current().session_token, "");
  EXPECT_THAT((*provider)->Describe(), Not(HasSubstr("session token")));
}

TEST_F(AwsCredentialsProviderTest, ReloadOfEnvironmentCredentialsIsANoOp) {
  auto provider = AwsCredentialsProvider::Create(FakeEnvironment({
      {"AWS_ACCESS_KEY_ID", "AKIAENV"},
      {"AWS_SECRET_ACCESS_KEY", std::string(kSecret)},
  }));
  ASSERT_TRUE(provider.ok()) << provider.status();

  EXPECT_TRUE((*provider)->Reload().ok());
  EXPECT_EQ((*provider)->Current().access_key_id, "AKIAENV");
}

TEST_F(AwsCredentialsProviderTest, DefaultProfileOfHomeCredentialsFile) {
  WriteFile(".aws/credentials", absl::StrCat(DefaultProfile("AKIAHOME", kSecret),
                                             "aws_session_token = ", kToken, "\n"));
  auto provider = AwsCredentialsProvider::Create(FakeEnvironment({{"HOME", dir_}}));
  ASSERT_TRUE(provider.ok()) << provider.status();

  const AwsCredentials credentials = (*provider)->Current();
  EXPECT_EQ(credentials.access_key_id, "AKIAHOME");
  EXPECT_EQ(credentials.secret_access_key, kSecret);
  EXPECT_EQ(credentials.session_token, kToken);
  EXPECT_EQ((*provider)->Describe(),
            absl::StrCat("shared credentials file ", dir_,
                         "/.aws/credentials (profile default), access key AKIAHOME, with a "
                         "session token"));
}

TEST_F(AwsCredentialsProviderTest, SharedCredentialsFileVariableOverridesHome) {
  WriteFile(".aws/credentials", DefaultProfile("AKIAHOME", kOtherSecret));
  const std::string file = WriteFile("elsewhere", DefaultProfile("AKIAELSEWHERE", kSecret));
  auto provider = AwsCredentialsProvider::Create(
      FakeEnvironment({{"HOME", dir_}, {"AWS_SHARED_CREDENTIALS_FILE", file}}));
  ASSERT_TRUE(provider.ok()) << provider.status();

  EXPECT_EQ((*provider)->Current().access_key_id, "AKIAELSEWHERE");
}

TEST_F(AwsCredentialsProviderTest, SharedCredentialsFileVariableExpandsTilde) {
  WriteFile("creds/file", DefaultProfile("AKIATILDE", kSecret));
  auto provider = AwsCredentialsProvider::Create(
      FakeEnvironment({{"HOME", dir_}, {"AWS_SHARED_CREDENTIALS_FILE", "~/creds/file"}}));
  ASSERT_TRUE(provider.ok()) << provider.status();

  EXPECT_EQ((*provider)->Current().access_key_id, "AKIATILDE");
}

TEST_F(AwsCredentialsProviderTest, EmptyVariablesCountAsUnset) {
  const std::string file = WriteFile("credentials", DefaultProfile("AKIAFILE", kSecret));
  auto provider = AwsCredentialsProvider::Create(FakeEnvironment({
      {"AWS_ACCESS_KEY_ID", ""},
      {"AWS_SECRET_ACCESS_KEY", ""},
      {"AWS_PROFILE", ""},
      {"AWS_SHARED_CREDENTIALS_FILE", file},
  }));
  ASSERT_TRUE(provider.ok()) << provider.status();

  EXPECT_EQ((*provider)->Current().access_key_id, "AKIAFILE");
  EXPECT_THAT((*provider)->Describe(), HasSubstr("(profile default)"));
}

TEST_F(AwsCredentialsProviderTest, HalfSetEnvironmentFallsBackToTheFileAndSaysSo) {
  const std::string file = WriteFile("credentials", DefaultProfile("AKIAFILE", kSecret));
  auto provider = AwsCredentialsProvider::Create(FakeEnvironment({
      {"AWS_ACCESS_KEY_ID", "AKIAENV"},
      {"AWS_SHARED_CREDENTIALS_FILE", file},
  }));
  ASSERT_TRUE(provider.ok()) << provider.status();

  EXPECT_EQ((*provider)->Current().access_key_id, "AKIAFILE");
  EXPECT_THAT((*provider)->Describe(),
              HasSubstr("AWS_ACCESS_KEY_ID is set without AWS_SECRET_ACCESS_KEY"));
}

TEST_F(AwsCredentialsProviderTest, ProfileFromAwsProfileAmongCommentsAndBlanks) {
  const std::string file = WriteFile(
      "credentials",
      absl::StrCat("# written by hand\r\n", "; another comment\n", "\n", "[default]\n",
                   "aws_access_key_id=AKIADEFAULT\n", "aws_secret_access_key=", kOtherSecret, "\n",
                   "\n", "  [ staging ]  \r\n", "\tAWS_Access_Key_ID   =   AKIASTAGING  \r\n",
                   "   # indented comment\n", "aws_secret_access_key = ", kSecret, "\r\n",
                   "region = eu-west-1\n", "[other]\n", "aws_access_key_id = AKIAOTHER\n"));
  auto provider = AwsCredentialsProvider::Create(FakeEnvironment({
      {"AWS_SHARED_CREDENTIALS_FILE", file},
      {"AWS_PROFILE", "staging"},
  }));
  ASSERT_TRUE(provider.ok()) << provider.status();

  const AwsCredentials credentials = (*provider)->Current();
  EXPECT_EQ(credentials.access_key_id, "AKIASTAGING");
  EXPECT_EQ(credentials.secret_access_key, kSecret);
  EXPECT_EQ(credentials.session_token, "");
  EXPECT_EQ((*provider)->Describe(), absl::StrCat("shared credentials file ", file,
                                                  " (profile staging), access key AKIASTAGING"));
}

TEST_F(AwsCredentialsProviderTest, MissingFileNamesThePathAndTheVariables) {
  auto provider = AwsCredentialsProvider::Create(FakeEnvironment({{"HOME", dir_}}));

  EXPECT_EQ(provider.status().code(), Code::kFailedPrecondition);
  EXPECT_THAT(
      std::string(provider.status().message()),
      AllOf(HasSubstr("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set"),
            HasSubstr(absl::StrCat(dir_, "/.aws/credentials")),
            HasSubstr("No such file or directory"), HasSubstr("AWS_SHARED_CREDENTIALS_FILE"),
            HasSubstr("\"default\""), HasSubstr("AWS_PROFILE")));
}

TEST_F(AwsCredentialsProviderTest, UnreadableFileIsAFailedPrecondition) {
  auto provider =
      AwsCredentialsProvider::Create(FakeEnvironment({{"AWS_SHARED_CREDENTIALS_FILE", dir_}}));

  EXPECT_EQ(provider.status().code(), Code::kFailedPrecondition);
  EXPECT_THAT(std::string(provider.status().message()),
              AllOf(HasSubstr(dir_), HasSubstr("Is a directory")));
}

TEST_F(AwsCredentialsProviderTest, NoHomeAndNoFileVariableSaysWhereItLooked) {
  auto provider = AwsCredentialsProvider::Create(FakeEnvironment({}));

  EXPECT_EQ(provider.status().code(), Code::kFailedPrecondition);
  EXPECT_THAT(std::string(provider.status().message()),
              AllOf(HasSubstr("AWS_ACCESS_KEY_ID"), HasSubstr("AWS_SECRET_ACCESS_KEY"),
                    HasSubstr("AWS_SHARED_CREDENTIALS_FILE"), HasSubstr("HOME")));
}

TEST_F(AwsCredentialsProviderTest, MissingProfileNamesProfileAndFile) {
  const std::string file = WriteFile("credentials", DefaultProfile("AKIAFILE", kSecret));
  auto provider = AwsCredentialsProvider::Create(
      FakeEnvironment({{"AWS_SHARED_CREDENTIALS_FILE", file}, {"AWS_PROFILE", "prod"}}));

  EXPECT_EQ(provider.status().code(), Code::kFailedPrecondition);
  EXPECT_THAT(std::string(provider.status().message()),
              AllOf(HasSubstr("profile \"prod\" not found"), HasSubstr(file),
                    HasSubstr("AWS_PROFILE"), HasNoSecrets()));
}

TEST_F(AwsCredentialsProviderTest, MissingKeyNamesKeyProfileAndFile) {
  const std::string file = WriteFile(
      "credentials", "[default]\naws_access_key_id = AKIAFILE\naws_secret_access_key =\n");
  auto provider =
      AwsCredentialsProvider::Create(FakeEnvironment({{"AWS_SHARED_CREDENTIALS_FILE", file}}));

  EXPECT_EQ(provider.status().code(), Code::kFailedPrecondition);
  EXPECT_THAT(std::string(provider.status().message()),
              AllOf(HasSubstr("profile \"default\""), HasSubstr(file),
                    HasSubstr("has no aws_secret_access_key")));
}

struct MalformedCase {
  std::string text;
  int line;
  std::string says;
};

class MalformedFileTest : public AwsCredentialsProviderTest,
                          public testing::WithParamInterface<MalformedCase> {};

TEST_P(MalformedFileTest, IsRefusedByLineNumberWithoutQuotingIt) {
  const std::string file = WriteFile("credentials", GetParam().text);
  auto provider =
      AwsCredentialsProvider::Create(FakeEnvironment({{"AWS_SHARED_CREDENTIALS_FILE", file}}));

  EXPECT_EQ(provider.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(std::string(provider.status().message()),
              AllOf(HasSubstr(absl::StrCat(file, " line ", GetParam().line, ": ")),
                    HasSubstr(GetParam().says), HasNoSecrets()));
}

INSTANTIATE_TEST_SUITE_P(
    Lines, MalformedFileTest,
    testing::Values(
        // The secret's '=' was lost: the line must not be echoed.
        MalformedCase{absl::StrCat("[default]\naws_access_key_id = AKIAFILE\n"
                                   "aws_secret_access_key ",
                                   kSecret, "\n"),
                      3, "expected \"[profile]\", \"key = value\" or a comment"},
        MalformedCase{absl::StrCat("[default]\naws_access_key_id = AKIAFILE\n"
                                   "aws_secret_access_key: ",
                                   kSecret, "\naws_session_token = ", kToken, "\n"),
                      3, "expected"},
        // The token's own '=' must not make the line pass for "key = value".
        MalformedCase{absl::StrCat("[default]\naws_session_token ", kToken, "\n"), 2,
                      "a key name is"},
        MalformedCase{absl::StrCat("[default\naws_secret_access_key = ", kSecret, "\n"), 1,
                      "closing ']'"},
        MalformedCase{absl::StrCat("[ ]\naws_secret_access_key = ", kSecret, "\n"), 1,
                      "profile name"},
        MalformedCase{absl::StrCat("aws_secret_access_key = ", kSecret, "\n[default]\n"), 1,
                      "before any [profile] section"},
        MalformedCase{absl::StrCat("[default]\n= ", kSecret, "\n"), 2, "needs a name"}));

TEST_F(AwsCredentialsProviderTest, ValueWithASpaceIsRefusedWithoutQuotingIt) {
  const std::string file =
      WriteFile("credentials", absl::StrCat("[default]\naws_access_key_id = AKIAFILE\n"
                                            "aws_secret_access_key = ",
                                            kSecret, " ", kOtherSecret, "\n"));
  auto provider =
      AwsCredentialsProvider::Create(FakeEnvironment({{"AWS_SHARED_CREDENTIALS_FILE", file}}));

  EXPECT_EQ(provider.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(std::string(provider.status().message()),
              AllOf(HasSubstr("aws_secret_access_key of profile \"default\""), HasSubstr(file),
                    HasNoSecrets()));
}

TEST_F(AwsCredentialsProviderTest, ControlCharacterInEnvironmentTokenIsRefused) {
  auto provider = AwsCredentialsProvider::Create(FakeEnvironment({
      {"AWS_ACCESS_KEY_ID", "AKIAENV"},
      {"AWS_SECRET_ACCESS_KEY", std::string(kSecret)},
      {"AWS_SESSION_TOKEN", absl::StrCat(kToken, "\r\nX-Injected: 1")},
  }));

  EXPECT_EQ(provider.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(std::string(provider.status().message()),
              AllOf(HasSubstr("AWS_SESSION_TOKEN"), HasNoSecrets()));
}

TEST_F(AwsCredentialsProviderTest, DescribeNeverShowsTheSecretOrTheToken) {
  const std::string file = WriteFile(
      "credentials",
      absl::StrCat(DefaultProfile("AKIAFILE", kSecret), "aws_session_token = ", kToken, "\n"));
  auto from_file =
      AwsCredentialsProvider::Create(FakeEnvironment({{"AWS_SHARED_CREDENTIALS_FILE", file}}));
  auto from_environment = AwsCredentialsProvider::Create(FakeEnvironment({
      {"AWS_ACCESS_KEY_ID", "AKIAENV"},
      {"AWS_SECRET_ACCESS_KEY", std::string(kSecret)},
      {"AWS_SESSION_TOKEN", std::string(kToken)},
  }));
  ASSERT_TRUE(from_file.ok()) << from_file.status();
  ASSERT_TRUE(from_environment.ok()) << from_environment.status();

  EXPECT_THAT((*from_file)->Describe(), AllOf(HasSubstr("AKIAFILE"), HasNoSecrets()));
  EXPECT_THAT((*from_environment)->Describe(), AllOf(HasSubstr("AKIAENV"), HasNoSecrets()));
}

TEST_F(AwsCredentialsProviderTest, ReloadPicksUpARotatedFile) {
  const std::string file = WriteFile("credentials", DefaultProfile("AKIAOLD", kOtherSecret));
  auto provider =
      AwsCredentialsProvider::Create(FakeEnvironment({{"AWS_SHARED_CREDENTIALS_FILE", file}}));
  ASSERT_TRUE(provider.ok()) << provider.status();
  WriteFile("credentials", DefaultProfile("AKIANEW", kSecret));

  ASSERT_TRUE((*provider)->Reload().ok());

  EXPECT_EQ((*provider)->Current().access_key_id, "AKIANEW");
  EXPECT_EQ((*provider)->Current().secret_access_key, kSecret);
  EXPECT_THAT((*provider)->Describe(), HasSubstr("access key AKIANEW"));
}

TEST_F(AwsCredentialsProviderTest, ReloadOfABrokenFileKeepsTheCredentialsInForce) {
  const std::string file = WriteFile("credentials", DefaultProfile("AKIAOLD", kOtherSecret));
  auto provider =
      AwsCredentialsProvider::Create(FakeEnvironment({{"AWS_SHARED_CREDENTIALS_FILE", file}}));
  ASSERT_TRUE(provider.ok()) << provider.status();
  WriteFile("credentials",
            absl::StrCat("[default]\naws_access_key_id = AKIANEW\naws_secret_access_key ", kSecret,
                         "\n"));

  const absl::Status reloaded = (*provider)->Reload();

  EXPECT_EQ(reloaded.code(), Code::kInvalidArgument);
  EXPECT_THAT(std::string(reloaded.message()),
              AllOf(HasSubstr(absl::StrCat(file, " line 3")), HasNoSecrets()));
  EXPECT_EQ((*provider)->Current().access_key_id, "AKIAOLD");
  EXPECT_EQ((*provider)->Current().secret_access_key, kOtherSecret);
}

TEST_F(AwsCredentialsProviderTest, ReloadOfAVanishedFileKeepsTheCredentialsInForce) {
  const std::string file = WriteFile("credentials", DefaultProfile("AKIAOLD", kOtherSecret));
  auto provider =
      AwsCredentialsProvider::Create(FakeEnvironment({{"AWS_SHARED_CREDENTIALS_FILE", file}}));
  ASSERT_TRUE(provider.ok()) << provider.status();
  std::filesystem::remove(file);

  const absl::Status reloaded = (*provider)->Reload();

  EXPECT_EQ(reloaded.code(), Code::kFailedPrecondition);
  EXPECT_THAT(std::string(reloaded.message()), HasSubstr(file));
  EXPECT_EQ((*provider)->Current().access_key_id, "AKIAOLD");
}

TEST_F(AwsCredentialsProviderTest, CurrentNeverMixesOldAndNewCredentialsDuringReloads) {
  const std::string file = WriteFile("credentials", DefaultProfile("AKIAONE", "secret-one"));
  auto provider =
      AwsCredentialsProvider::Create(FakeEnvironment({{"AWS_SHARED_CREDENTIALS_FILE", file}}));
  ASSERT_TRUE(provider.ok()) << provider.status();
  AwsCredentialsProvider& shared = **provider;

  std::vector<std::thread> readers;
  std::vector<int> mixed(4, 0);
  for (int& mixed_count : mixed) {
    readers.emplace_back([&shared, &mixed_count] {
      for (int i = 0; i < 2000; ++i) {
        const AwsCredentials credentials = shared.Current();
        const bool one =
            credentials.access_key_id == "AKIAONE" && credentials.secret_access_key == "secret-one";
        const bool two =
            credentials.access_key_id == "AKIATWO" && credentials.secret_access_key == "secret-two";
        if (!one && !two) ++mixed_count;
      }
    });
  }
  for (int i = 0; i < 100; ++i) {
    WriteFile("credentials", i % 2 == 0 ? DefaultProfile("AKIATWO", "secret-two")
                                        : DefaultProfile("AKIAONE", "secret-one"));
    EXPECT_TRUE(shared.Reload().ok());
  }
  for (std::thread& reader : readers) reader.join();

  for (int mixed_count : mixed) EXPECT_EQ(mixed_count, 0);
}

}  // namespace
}  // namespace objgate
