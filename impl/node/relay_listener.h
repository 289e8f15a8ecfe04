#pragma once
// The relay's listening sockets: where each `listen on` line of smtpd.conf
// accepts connections, and the socket itself.
//
// `listen on` names an address, or something OpenSMTPD resolves through the
// kernel's interface list, which the Host does not expose. So:
//   - an address ("192.0.2.2", "2001:db8::1") is used as it is;
//   - `socket` (OpenSMTPD's local submission socket), `lo`, `lo0` and
//     `localhost` mean the loopback addresses (127.0.0.1, and ::1 unless the
//     listener says inet4);
//   - any other name (an interface "eth0", a group "egress", a host name)
//     is looked up in the app's `interface_addresses` map (tetherd fills it
//     from getifaddrs(3), with "egress" for every non-loopback address; a
//     simulation or test says what its node's names mean). A name that is
//     not there is an error at start, naming the listener's line.
// `inet4`/`inet6` keep one family. The port is the listener's (25, 465 for
// smtps, or `port N`). Two lines that come to the same address and port
// share the first one's socket (and settings); the second is reported.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/endpoint.h"
#include "core/error.h"
#include "crypto/tls.h"
#include "host/host.h"
#include "smtp/config.h"

namespace tether::node {

using InterfaceAddresses = std::map<std::string, std::vector<IpAddress>>;

// The endpoints one `listen on` line stands for.
Result<std::vector<Endpoint>> listen_endpoints(const smtp::Listener& listener, const InterfaceAddresses& interfaces);

// One listening socket for one `listen on` line (and one of its addresses).
class RelayListener {
 public:
  using Accept = std::function<void(RelayListener& listener, std::unique_ptr<TcpStream> stream)>;

  RelayListener(Host& host, const smtp::Listener& config, Endpoint endpoint,
                std::shared_ptr<const crypto::TlsContext> tls, Accept accept);
  ~RelayListener();

  // Binds and listens; open() on an open listener does nothing.
  Result<void> open(const TcpListenOptions& options = {});
  // A paused relay that stops accepting (PauseMode::stop_accepting): the
  // socket keeps listening, connections wait in the kernel's queue.
  void set_accepting(bool accepting);
  // Stops accepting; established sessions are not affected.
  void close();
  // A reload keeps the listening sockets whose address and port stay, as a
  // restarted daemon would with SO_REUSEADDR and without its window of
  // refused connections: this listener takes `other`'s open socket when
  // both have the same endpoint (and this one has none); accepted
  // connections then come here, and are accepted again (a reload ends a
  // pause). True if it did.
  bool take_socket_of(RelayListener& other);
  bool is_open() const { return socket_ != nullptr; }

  const smtp::Listener& config() const { return config_; }
  // The configured endpoint; local_endpoint() has the port chosen for port 0.
  const Endpoint& endpoint() const { return endpoint_; }
  Endpoint local_endpoint() const { return socket_ ? socket_->local_endpoint() : endpoint_; }
  const std::shared_ptr<const crypto::TlsContext>& tls() const { return tls_; }

 private:
  Host& host_;
  const smtp::Listener& config_;
  Endpoint endpoint_;
  std::shared_ptr<const crypto::TlsContext> tls_;
  Accept accept_;
  // Whom the socket's accept callback calls; moves with the socket.
  std::shared_ptr<RelayListener*> owner_;
  std::unique_ptr<TcpListener> socket_;
};

}  // namespace tether::node
