#pragma once
// How long a server waits for the rest of a message in DATA. Without a
// minimum rate, every read restarts `idle` (RFC 5321 4.5.3.2's per-read
// timeouts, OpenSMTPD's SMTPD_SESSION_TIMEOUT), so a client sending a byte
// a second is never idle and holds its session until the total limit.
// With one, it works as Postfix 3.7's smtpd_per_request_deadline with
// smtpd_min_data_rate (util/vstream.c, where each read's elapsed time is
// taken off the stream's time_limit and N bytes add N / min_data_rate
// seconds, never beyond smtpd_timeout): the budget starts at `idle`, time
// spent waiting is taken off it, every byte received earns 1/rate seconds
// back, and no more than `idle` is ever banked. A client slower than the
// rate runs out of budget after about idle / (1 - its rate / min_rate).

#include <cstddef>
#include <cstdint>

#include "core/time.h"

namespace tether::smtp {

class DataDeadline {
 public:
  // At the 354. `min_rate` in bytes per second; 0: per-read timeouts only.
  void start(Time now, Duration idle, std::uint32_t min_rate);
  // `bytes` of message text arrived at `now`.
  void received(std::size_t bytes, Time now);
  Time deadline() const { return deadline_; }

 private:
  Duration idle_;
  std::uint32_t min_rate_ = 0;
  Time deadline_;
};

}  // namespace tether::smtp
