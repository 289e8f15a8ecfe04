#include "node/relay_rdns.h"

#include <algorithm>

namespace tether::node {

ClientRdnsLookup::ClientRdnsLookup(Host& host, const IpAddress& address, Duration limit, Logger log, Done done)
    : host_(host), address_(address), log_(std::move(log)), done_(std::move(done)) {
  timer_ = host_.create_timer([this] { on_deadline(); });
  timer_->arm_at(host_.now() + limit);
  lookup_ = host_.dns_lookup(address_.to_string(), DnsRecordType::ptr,
                             [this](Result<DnsAnswer> answer) { on_ptr(std::move(answer)); });
}

ClientRdnsLookup::~ClientRdnsLookup() = default;

void ClientRdnsLookup::on_ptr(Result<DnsAnswer> answer) {
  if (!answer || answer->names.empty()) {
    // NXDOMAIN is the common case (no PTR at all); anything else is worth a
    // line, since it refuses a client that may well have a name.
    if (!answer && answer.error().code != ErrorCode::dns_nxdomain && answer.error().code != ErrorCode::dns_no_data)
      log_.info("reverse DNS of " + address_.to_string() + " failed, taken as none: " + answer.error().message);
    return finish({});
  }
  name_ = answer->names.front();
  const DnsRecordType forward = address_.is_v4() ? DnsRecordType::a : DnsRecordType::aaaa;
  lookup_ = host_.dns_lookup(name_, forward, [this](Result<DnsAnswer> answer) { on_forward(std::move(answer)); });
}

void ClientRdnsLookup::on_forward(Result<DnsAnswer> answer) {
  const bool confirmed =
      answer && std::find(answer->addresses.begin(), answer->addresses.end(), address_) != answer->addresses.end();
  if (!answer && answer.error().code == ErrorCode::dns_temporary)
    log_.info("forward confirmation of " + name_ + " for " + address_.to_string() +
              " failed, taken as unconfirmed: " + answer.error().message);
  finish({name_, confirmed});
}

void ClientRdnsLookup::on_deadline() {
  log_.info("reverse DNS of " + address_.to_string() + " not answered in time, taken as " +
            (name_.empty() ? std::string("none") : "unconfirmed " + name_));
  finish({name_, false});
}

void ClientRdnsLookup::finish(ClientRdns result) {
  lookup_.reset();
  timer_->cancel();
  // Moved out first: `done` may destroy this object.
  Done done = std::move(done_);
  if (done) done(std::move(result));
}

}  // namespace tether::node
