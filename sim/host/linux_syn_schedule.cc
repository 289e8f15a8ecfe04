#include "sim/host/linux_syn_schedule.h"

#include <algorithm>

namespace tether::sim {

bool LinuxSynSchedule::gives_up(std::uint32_t retransmits, Duration since_first_syn) const {
  // The count: SYN_SENT may retransmit tcp_syn_linear_timeouts more times
  // than tcp_syn_retries says.
  if (retransmits >= syn_retries + linear_timeouts) return true;
  // retransmits_timed_out: never before the first retransmission.
  return retransmits > 0 && since_first_syn >= model_timeout();
}

Duration LinuxSynSchedule::next_rto(Duration rto, std::uint32_t retransmits) const {
  if (retransmits <= linear_timeouts) return rto;
  return std::min(rto * 2, kRtoMax);
}

Duration LinuxSynSchedule::model_timeout() const {
  // linear_backoff_thresh = ilog2(TCP_RTO_MAX / rto_base), in whole jiffies
  // there, whole multiples here.
  std::int64_t ratio = initial_rto > Duration::zero() ? kRtoMax.ns() / initial_rto.ns() : 0;
  std::uint32_t thresh = 0;
  while (ratio > 1) {
    ratio >>= 1;
    ++thresh;
  }
  if (syn_retries <= thresh) return initial_rto * ((std::int64_t{2} << syn_retries) - 1);
  return initial_rto * ((std::int64_t{2} << thresh) - 1) + kRtoMax * (syn_retries - thresh);
}

}  // namespace tether::sim
