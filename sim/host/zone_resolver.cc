#include "sim/host/zone_resolver.h"

namespace tether::sim {

ZoneLookup::ZoneLookup(const NodeLoop& loop, std::shared_ptr<const DnsAnswerSource> zone, Duration delay, std::string name,
                       DnsRecordType type, AnswerHandler on_answer)
    : zone_(std::move(zone)), name_(std::move(name)), type_(type), on_answer_(std::move(on_answer)) {
  event_ = loop.schedule(delay, [this] { answer(); });
}

void ZoneLookup::answer() {
  Result<DnsAnswer> result =
      zone_ ? zone_->lookup(name_, type_)
            : Result<DnsAnswer>(Error(ErrorCode::dns_temporary, "no DNS configured for this node"));
  // Moved out: the handler may destroy this lookup.
  AnswerHandler on_answer = std::move(on_answer_);
  if (on_answer) on_answer(std::move(result));
}

}  // namespace tether::sim
