#pragma once
// How envelopes due for relaying become outbound SMTP transactions: which
// envelopes share one (relay_group_key), and what the transaction and each
// of its recipients say on the wire (MAIL FROM with RET/ENVID, RCPT TO with
// NOTIFY/ORCPT, RFC 3461). OpenSMTPD's mta batches a message's envelopes by
// relay the same way; one transaction never carries two messages.

#include <string>

#include "smtp/client_session.h"
#include "smtp/config.h"
#include "smtp/envelope.h"

namespace tether::smtp {

// Envelopes with equal keys go out in one transaction: the same message,
// the same destination, through the same action.
struct RelayGroupKey {
  MessageId msgid = 0;
  std::string destination;
  std::string action;

  bool operator==(const RelayGroupKey& o) const {
    return msgid == o.msgid && destination == o.destination && action == o.action;
  }
  bool operator!=(const RelayGroupKey& o) const { return !(*this == o); }
};
RelayGroupKey relay_group_key(const Envelope& envelope);

// The address a relayed envelope is sent to: its dest (after aliases), else
// the recipient as given.
std::string relay_address(const Envelope& envelope);

// A transaction for the group `first` opens, with no recipients and no
// message yet: the action's `mail-from` rewrites the sender.
ClientTransaction relay_transaction_for(const Envelope& first, const Action& action);
// The RCPT of one envelope of the group.
ClientRecipient relay_recipient_for(const Envelope& envelope);

// RFC 3461 NOTIFY as sent: "NEVER", or "SUCCESS,FAILURE,DELAY" with the
// bits given; "" when none was.
std::string dsn_notify_text(unsigned notify);
// RFC 3461 RET as sent: "FULL", "HDRS" or "".
const char* dsn_return_text(DsnReturn ret);

}  // namespace tether::smtp
