#pragma once
// The relay events of a host that ran Debian's OpenSMTPD 6.8 (lab/nodes'
// smtpd.log: each line stamped with CLOCK_REALTIME seconds, then what smtpd
// -d wrote) as node::MailRelayEvents on the run's time, so that
// scenario::Metrics::on_relay_event writes the simulation's rows for them
// (accepted, relayed, temporary-failure, permanent-failure, paused).
// What 6.8 logs and where (usr.sbin/smtpd):
//   "SESS smtp message msgid=M size=S nrcpt=N proto=P"    smtp_session.c,
//       smtp_tx_commit(): the message is committed, just before the 250
//   "SESS smtp envelope evpid=E from=<F> to=<T>"          one per recipient
//   "SESS mta delivery evpid=E ... relay=\"R\" ... result=\"Ok|TempFail|PermFail\"
//       stat=\"...\""                                     mta.c, mta_log()
//   "SESS mda delivery evpid=E ... result=..."             mda.c, mda_log():
//       only its failures (a maildir delivery is the maildir watcher's)
//   "info: smtp paused" / "info: smtp resumed"             smtp.c
// Without the queue to read, an accepted message's Message-ID is not known
// here: the rows carry OpenSMTPD's msgid (detail "msgid=316fd595").

#include <chrono>
#include <string>
#include <vector>

#include "node/mail_relay_events.h"

namespace tether::lab {

// Every event of the log, oldest first; `start` is the run's time zero on
// the wall clock.
std::vector<node::MailRelayEvent> parse_opensmtpd_log(const std::string& log,
                                                      std::chrono::system_clock::time_point start);

}  // namespace tether::lab
