#include "posix/posix_host_fixture.h"

#include <stdlib.h>

#include <filesystem>
#include <stdexcept>

namespace tether::testing {

PosixHostFixture::PosixHostFixture() : PosixHostFixture(posix::PosixHostOptions{}) {}

PosixHostFixture::PosixHostFixture(posix::PosixHostOptions options) {
  if (running_as_root()) {
    auto ns = NetworkNamespace::create_and_enter("conf");
    if (!ns) throw std::runtime_error("PosixHostFixture: " + ns.error().message);
    netns_ = std::move(*ns);
  }
  char dir[] = "/tmp/tether-posix-XXXXXX";
  if (!::mkdtemp(dir)) throw std::runtime_error("PosixHostFixture: mkdtemp failed");
  storage_dir_ = dir;
  options.storage_root = storage_dir_;
  if (options.hostname.empty()) options.hostname = "posix-test";
  host_ = std::make_unique<posix::PosixHost>(std::move(options));
}

PosixHostFixture::~PosixHostFixture() {
  // The host first: its sockets and TUN device close inside the namespace,
  // before the namespace goes away.
  host_.reset();
  netns_.reset();
  std::error_code ignored;
  std::filesystem::remove_all(storage_dir_, ignored);
}

bool PosixHostFixture::run_until(const std::function<bool()>& done, Duration limit) {
  return host_->run_until(done, limit);
}

void PosixHostFixture::run_for(Duration span) {
  host_->run_for(span);
}

std::optional<std::string> PosixHostFixture::tunnel_unavailable_reason() const {
  if (!netns_)
    return std::string("needs root (CAP_NET_ADMIN) to create a TUN device and a network namespace");
  return std::nullopt;
}

}  // namespace tether::testing
