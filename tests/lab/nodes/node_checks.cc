#include "lab/nodes/node_checks.h"

#include <chrono>
#include <thread>

#include "support/run_process.h"

namespace tether::lab::testing {

bool eventually(const std::function<bool()>& done, int seconds) {
  for (int i = 0; i < seconds * 10; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return done();
}

bool delivered(const std::filesystem::path& maildir, const std::string& message_id) {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(maildir / "new", ec))
    if (tether::testing::read_file(e.path()).find(message_id) != std::string::npos) return true;
  return false;
}

}  // namespace tether::lab::testing
