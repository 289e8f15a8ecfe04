#pragma once
// Host::dns_lookup answered from a DnsZone, as a resolver on the node would
// answer from its server: after a delay, through the loop. The answer is
// read from the zone when the delay ends, so a zone change made in between
// is seen, as a real query in flight would see it.

#include <functional>
#include <memory>
#include <string>

#include "host/host.h"
#include "sim/dns_zone.h"
#include "sim/node_loop.h"

namespace tether::sim {

class ZoneLookup : public DnsLookup {
 public:
  using AnswerHandler = std::function<void(Result<DnsAnswer>)>;

  // With no zone, the answer is dns_temporary: the node has no DNS.
  ZoneLookup(const NodeLoop& loop, std::shared_ptr<const DnsZone> zone, Duration delay, std::string name,
             DnsRecordType type, AnswerHandler on_answer);

 private:
  void answer();

  std::shared_ptr<const DnsZone> zone_;
  std::string name_;
  DnsRecordType type_;
  AnswerHandler on_answer_;
  NodeLoop::Event event_;  // destroyed first: a dropped lookup never answers
};

}  // namespace tether::sim
