#include "node/relay_listener.h"

#include <algorithm>

namespace tether::node {

Result<std::vector<Endpoint>> listen_endpoints(const smtp::Listener& listener, const InterfaceAddresses& interfaces) {
  std::vector<IpAddress> addresses;
  const std::string& name = listener.interface;
  if (listener.address) {
    addresses.push_back(*listener.address);
  } else if (listener.socket || name == "lo" || name == "lo0" || name == "localhost") {
    addresses.push_back(IpAddress::loopback(IpAddress::Family::v4));
    addresses.push_back(IpAddress::loopback(IpAddress::Family::v6));
  } else {
    auto it = interfaces.find(name);
    if (it == interfaces.end() || it->second.empty())
      return Error(ErrorCode::not_found, listener.where.to_string() + ": listen on " + name +
                                             ": no address known for that name (tether cannot list interfaces "
                                             "through the Host; give the app its addresses)");
    addresses = it->second;
  }
  std::vector<Endpoint> out;
  for (const IpAddress& a : addresses) {
    if (listener.family && a.family() != *listener.family) continue;
    Endpoint e(a, listener.port);
    if (std::find(out.begin(), out.end(), e) == out.end()) out.push_back(e);
  }
  if (out.empty())
    return Error(ErrorCode::not_found, listener.where.to_string() + ": listen on " +
                                           (listener.socket ? std::string("socket") : name) +
                                           ": no address of the requested family");
  return out;
}

RelayListener::RelayListener(Host& host, const smtp::Listener& config, Endpoint endpoint,
                             std::shared_ptr<const crypto::TlsContext> tls, Accept accept)
    : host_(host), config_(config), endpoint_(endpoint), tls_(std::move(tls)), accept_(std::move(accept)) {}

RelayListener::~RelayListener() {
  if (owner_) *owner_ = nullptr;
}

Result<void> RelayListener::open(const TcpListenOptions& options) {
  if (socket_) return {};
  owner_ = std::make_shared<RelayListener*>(this);
  auto listening = host_.tcp_listen(
      endpoint_,
      [owner = owner_](std::unique_ptr<TcpStream> stream) {
        if (RelayListener* listener = *owner) listener->accept_(*listener, std::move(stream));
      },
      options);
  if (!listening)
    return Error(listening.error().code, config_.where.to_string() + ": cannot listen on " + endpoint_.to_string() +
                                             ": " + listening.error().message);
  socket_ = std::move(*listening);
  return {};
}

void RelayListener::close() { socket_.reset(); }

void RelayListener::set_accepting(bool accepting) {
  if (socket_) socket_->set_accepting(accepting);
}

bool RelayListener::take_socket_of(RelayListener& other) {
  if (socket_ || !other.socket_ || other.endpoint_ != endpoint_) return false;
  socket_ = std::move(other.socket_);
  owner_ = std::move(other.owner_);
  *owner_ = this;
  socket_->set_accepting(true);
  return true;
}

}  // namespace tether::node
