#pragma once
// Host::dns_lookup answered from the world's records (a DnsAnswerSource:
// sim/world/dns_zone.h's DnsZone), as a resolver on the node would
// answer from its server: after a delay, through the loop. The answer is
// read from the zone when the delay ends, so a zone change made in between
// is seen, as a real query in flight would see it.

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "host/host.h"
#include "sim/host/node_loop.h"

namespace tether::sim {

// The records a simulated resolver answers from. The world owns and
// changes them (sim/world/dns_zone.h); the Host only reads.
class DnsAnswerSource {
 public:
  virtual ~DnsAnswerSource() = default;
  // Host::dns_lookup's contract: dns_nxdomain, dns_no_data, or the records.
  virtual Result<DnsAnswer> lookup(std::string_view name, DnsRecordType type) const = 0;
};

class ZoneLookup : public DnsLookup {
 public:
  using AnswerHandler = std::function<void(Result<DnsAnswer>)>;

  // With no zone, the answer is dns_temporary: the node has no DNS.
  ZoneLookup(const NodeLoop& loop, std::shared_ptr<const DnsAnswerSource> zone, Duration delay, std::string name,
             DnsRecordType type, AnswerHandler on_answer);

 private:
  void answer();

  std::shared_ptr<const DnsAnswerSource> zone_;
  std::string name_;
  DnsRecordType type_;
  AnswerHandler on_answer_;
  NodeLoop::Event event_;  // destroyed first: a dropped lookup never answers
};

}  // namespace tether::sim
