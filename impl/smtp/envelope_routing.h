#pragma once
// Where an envelope goes, decided once for every way an envelope is made:
// a recipient accepted by a session (envelope_for), an alias target routed
// again after expansion (retarget_envelope), and a report injected to its
// sender (route_envelope). The relay app only stores and schedules what
// these give; the scheduler groups by `destination` and "the route came
// back" names it.

#include <string>
#include <string_view>

#include "core/time.h"
#include "smtp/config.h"
#include "smtp/envelope.h"
#include "smtp/server_session.h"

namespace tether::smtp {

// mta for a `relay` action, mda for a local one (OpenSMTPD's D_MTA/D_MDA).
DeliveryType delivery_type_for(const Action& action);

// The scheduler's name for where mail to `rcpt` under `action` goes: the
// first relay host when the action relays through hosts, else the
// recipient's domain. Lower-case either way.
std::string destination_for(const Action& action, std::string_view rcpt);

// A destination as given by a user or a tunnel (`schedule`, route-up) in
// the spelling the scheduler keeps: lower-case.
std::string destination_key(std::string_view destination);

// The envelope of one accepted recipient of a message completed by a
// session, created `now`. The action is looked up in `config`; one that
// is not there (a config reloaded meanwhile) gives a local envelope for
// the recipient's domain with the queue's ttl.
Envelope envelope_for(const Config& config, const MessageToCommit& content, const AcceptedRecipient& rcpt,
                      WallTime now);

// Sets the action, delivery type and destination of `envelope` for mail
// to `rcpt` under `action` (its dest is left as it is).
void route_envelope(Envelope& envelope, const Action& action, std::string_view rcpt);

// A fresh copy of an expanded envelope for one of its alias targets: no id
// (QueueStore::add_envelope gives one), no tries, no error.
Envelope alias_copy(const Envelope& expanded);

// A copy of an expanded envelope for one alias target that the router sent
// to `action`: a fresh envelope (no id, no tries) whose dest is the target
// address for relaying, or its bare local part for local delivery.
Envelope retarget_envelope(const Envelope& expanded, const Action& action, std::string_view target);

}  // namespace tether::smtp
