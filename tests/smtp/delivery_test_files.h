#pragma once
// What the local delivery tests share: a fixed delivery time, a temporary
// directory removed with everything in it (made writable first, for the
// cases that take write permission away), and stat().

#include <stdlib.h>
#include <sys/stat.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/time.h"

namespace tether::smtp::testing {

namespace fs = std::filesystem;

// 2026-11-21 10:42:00.123456 UTC, a Saturday.
inline const WallTime kWhen = WallTime::from_unix_ns(1795257720'123456'000);

inline Bytes bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "tether-delivery-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::permissions(path_, fs::perms::owner_all, fs::perm_options::add, ec);
    for (auto& entry : fs::recursive_directory_iterator(path_, ec))
      if (entry.is_directory(ec)) fs::permissions(entry.path(), fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

inline struct stat stat_of(const fs::path& path) {
  struct stat st {};
  BOOST_REQUIRE_MESSAGE(::stat(path.c_str(), &st) == 0, path.string());
  return st;
}

}  // namespace tether::smtp::testing
