#pragma once
// The Linux driver's HostFixture for the conformance suite and for
// posix_host_test. As root it builds a private network namespace first, so
// the TUN device and every socket live there; otherwise it uses the current
// namespace and reports the tunnel as unavailable.

#include <memory>
#include <optional>
#include <string>

#include "host/host_fixture.h"
#include "support/network_namespace.h"
#include "posix/posix_host.h"

namespace tether::testing {

class PosixHostFixture : public HostFixture {
 public:
  PosixHostFixture();
  // `options.storage_root` is replaced by a fresh temporary directory (removed
  // again by the destructor); everything else is used as given.
  explicit PosixHostFixture(posix::PosixHostOptions options);
  ~PosixHostFixture() override;

  const char* driver_name() const override { return "posix"; }
  Host& host() override { return *host_; }
  posix::PosixHost& posix_host() { return *host_; }

  bool run_until(const std::function<bool()>& done, Duration limit) override;
  void run_for(Duration span) override;

  std::optional<std::string> tunnel_unavailable_reason() const override;

  // The private namespace's name ("tether-conf-<pid>-<n>"), or empty when
  // not root.
  std::string netns_name() const { return netns_ ? netns_->name() : std::string(); }

 private:
  std::unique_ptr<NetworkNamespace> netns_;
  std::string storage_dir_;
  std::unique_ptr<posix::PosixHost> host_;
};

}  // namespace tether::testing
