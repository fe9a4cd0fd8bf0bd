#ifndef OBJGATE_TESTS_SUPPORT_TEMP_DIR_H_
#define OBJGATE_TESTS_SUPPORT_TEMP_DIR_H_

#include <string>

namespace objgate::test_support {

// A new, empty directory under $TEST_TMPDIR (or /tmp outside Bazel), removed with all it
// holds when the object goes, whether the test passed or not.
//
//   TempDir dir;
//   StartServer("--data_dir=" + dir.path());
//
// Aborts the test binary if the directory cannot be made: nothing can be tested then.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // `relative` under the directory; not created.
  std::string Sub(const std::string& relative) const { return path_ + "/" + relative; }

 private:
  std::string path_;
};

}  // namespace objgate::test_support

#endif  // OBJGATE_TESTS_SUPPORT_TEMP_DIR_H_
