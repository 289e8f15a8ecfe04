#pragma once
// Runs a program to completion with a given stdin, keeping its stdout and
// stderr apart (`wg pubkey` and `tetherctl pubkey` answer on one and
// complain on the other), plus the small file and namespace helpers shared
// by the tests that run real programs (daemon, interop, relay_e2e).

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/time.h"

namespace tether::testing {

struct ProcessResult {
  int exit_code = -1;  // 128 + signal if killed; -1 if it could not run
  std::string out, err;
  std::string describe() const;  // for assertion messages
};

// Searches PATH for argv[0]; kills the process (by its PID) after `limit`.
ProcessResult run_process(const std::vector<std::string>& argv, const std::string& input = "",
                          Duration limit = Duration::seconds(20));

// The full path of a program: PATH first, then the sbin directories.
std::optional<std::string> find_program(const std::string& name);
bool program_exists(const std::string& name);

// A directory under /tmp, mode 0755 so that an unprivileged user can reach
// the files in it (their own modes are what the tests check), removed with
// everything in it.
class TestDirectory {
 public:
  explicit TestDirectory(const std::string& prefix);
  ~TestDirectory();
  TestDirectory(const TestDirectory&) = delete;
  TestDirectory& operator=(const TestDirectory&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

void write_file(const std::filesystem::path& path, const std::string& text, unsigned mode = 0600);
// The whole file, bytes as they are; "" when it cannot be read.
std::string read_file(const std::filesystem::path& path);

// A named network namespace (`ip netns add`), deleted on destruction on
// every path out of a test; the calling thread stays where it is.
class NamedNamespace {
 public:
  explicit NamedNamespace(const std::string& purpose);
  ~NamedNamespace();
  NamedNamespace(const NamedNamespace&) = delete;
  NamedNamespace& operator=(const NamedNamespace&) = delete;
  const std::string& name() const { return name_; }
  bool created() const { return created_; }

 private:
  std::string name_;
  bool created_ = false;
};

}  // namespace tether::testing
