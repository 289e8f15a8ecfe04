#pragma once
// The interop lab: tetherd and real WireGuard (wireguard-go, configured with
// wg) in network namespaces the test creates, joined by veth pairs that use
// documentation and benchmark addresses only (198.18.0.0/15, 192.0.2.0/24,
// 2001:db8::/32). Every process is started and ended by its PID; wireguard-go
// gets SIGTERM first so that it removes its UAPI socket, which lives in
// /var/run/wireguard and is shared by all namespaces (hence an interface name
// unique to this test process). Declare processes after the namespaces they
// run in, so they end before the namespaces go.

#include <boost/test/unit_test.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/time.h"
#include "support/run_process.h"
#include "support/child_process.h"

namespace tether::testing::interop {

// Boost.Test preconditions: root plus the tools each test drives; the skip
// message names what is missing.
boost::test_tools::assertion_result needs_wireguard_go(boost::unit_test::test_unit_id);
boost::test_tools::assertion_result needs_wireguard_go_and_nftables(boost::unit_test::test_unit_id);
boost::test_tools::assertion_result needs_wireguard_go_and_tshark(boost::unit_test::test_unit_id);

struct KeyPair {
  std::string private_key, public_key;  // base64, as wg prints them
  static KeyPair generate();
};

bool contains(const std::string& text, const std::string& part);

// tshark capturing `interface` inside `ns` into `pcap` (classic pcap), ready
// once it says so; stop_capture ends it with SIGINT, so it writes what it saw.
std::unique_ptr<ChildProcess> start_capture(const NamedNamespace& ns, const std::string& interface,
                                           const std::string& pcap);
void stop_capture(ChildProcess& capture);

// `ip ARGS...`, required to succeed.
void ip(const std::vector<std::string>& args);
// argv run inside the namespace (ip netns exec).
ProcessResult run_in(const NamedNamespace& ns, const std::vector<std::string>& argv,
                     Duration limit = Duration::seconds(20));

// A veth pair: `a_name` in `a`, `b_name` in `b`, both up, each with its
// addresses (prefix notation; IPv6 ones without duplicate address detection).
void link_namespaces(const NamedNamespace& a, const std::string& a_name,
                     const std::vector<std::string>& a_addresses, const NamedNamespace& b,
                     const std::string& b_name, const std::vector<std::string>& b_addresses);

// ping -c COUNT through whatever route `to` takes in `ns`.
ProcessResult ping(const NamedNamespace& ns, const std::string& to, int count = 3);

// tetherd --tunnel DIR/NAME.conf in `ns` (interface NAME), started and
// waited for ("ready: "); SIGKILLed by the ChildProcess if still running.
class Tetherd {
 public:
  Tetherd(const NamedNamespace& ns, const TestDirectory& dir, const std::string& name,
          const std::string& config, const std::vector<std::string>& extra_args = {});
  ChildProcess& process() { return *process_; }
  std::string log() { return process_->output(); }
  // tetherctl show tunnel
  ProcessResult show();

 private:
  std::string control_;
  std::unique_ptr<ChildProcess> process_;
};

// wireguard-go -f NAME in `ns`, configured with `wg setconf` and `ip`.
class WireguardGo {
 public:
  WireguardGo(const NamedNamespace& ns, const TestDirectory& dir);
  ~WireguardGo();
  WireguardGo(const WireguardGo&) = delete;
  WireguardGo& operator=(const WireguardGo&) = delete;

  const std::string& interface_name() const { return name_; }
  // `config` in wg(8)'s setconf format; then addresses, MTU and up, as
  // wg-quick would.
  void configure(const std::string& config, const std::vector<std::string>& addresses, int mtu = 1420);
  // `wg show NAME FIELD`'s value for `peer` (endpoints, latest-handshakes,
  // transfer...), or nullopt when the peer has no line.
  std::optional<std::string> show(const std::string& field, const std::string& peer);
  // Seconds since the epoch of the latest handshake with `peer`; 0: none.
  long latest_handshake(const std::string& peer);
  // Bytes received from `peer` so far.
  long long received_from(const std::string& peer);
  std::string log() { return process_ ? process_->output() : std::string(); }

 private:
  const NamedNamespace& ns_;
  const TestDirectory& dir_;
  std::string name_;
  std::unique_ptr<ChildProcess> process_;
};

// iperf3 -s bound to `address` in `ns`, for the life of the object.
class IperfServer {
 public:
  IperfServer(const NamedNamespace& ns, const std::string& address);
  std::string log() { return process_->output(); }

 private:
  std::unique_ptr<ChildProcess> process_;
};

// iperf3 -c ADDRESS ARGS... from `ns`, to completion.
ProcessResult iperf_client(const NamedNamespace& ns, const std::string& address,
                           const std::vector<std::string>& args, Duration limit = Duration::seconds(30));
// What the receiver got, from iperf3's text summary, in MBytes (iperf3 -n
// counts what the sender wrote; what was still queued at the end may be
// cut off). -1 without a receiver line.
double received_mbytes(const std::string& iperf_output);

}  // namespace tether::testing::interop
