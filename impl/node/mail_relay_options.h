#pragma once
// What a MailRelay is given besides its smtpd.conf: what the Host cannot
// tell it (interface addresses, the queue's place, the users) and the
// limits and timeouts a deployment or a test sets.

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/time.h"
#include "node/relay_listener.h"
#include "smtp/client_session.h"
#include "smtp/server_session.h"
#include "smtp/user_database.h"

namespace tether::node {

struct MailRelayOptions {
  // The queue's directory; relative paths are under the host's storage root.
  std::filesystem::path queue_dir = "queue";
  // Prepended to the files the config names (pki cert/key, ca): the same
  // root the config loader was given (rooted_file_loader). Empty: as written.
  std::filesystem::path config_root;
  // Addresses of the names `listen on` may use (see relay_listener.h).
  InterfaceAddresses interface_addresses;
  // Domains that are `for local` besides the host name and localhost.
  std::vector<std::string> local_names;
  // How long a client's reverse DNS (PTR lookup and forward confirmation
  // together) may hold up its MAIL (the greeting never waits). Past it the
  // client has no name, or an unconfirmed one, as after a failed lookup
  // (relay_rdns.h).
  Duration rdns_timeout = Duration::seconds(5);
  // Users for local delivery. Null: StorageUserDatabase (every user's home
  // is storage_root()/home/<name>), the simulated world's default; tetherd
  // passes the system's (getpwnam).
  std::shared_ptr<const smtp::UserDatabase> users;
  // mbox actions write SPOOL/<user>; empty: storage_root()/mail.
  std::filesystem::path mbox_spool;
  // Local deliveries give what they create to the recipient's uid/gid (see
  // LocalDeliveryContext): tetherd running as root with system users.
  bool give_files_to_recipient = false;
  // Give up connecting to a server after this long (TcpConnectOptions);
  // unset: the stack's own limit.
  std::optional<Duration> connect_timeout;
  smtp::ServerTimeouts server_timeouts;
  smtp::ClientTimeouts client_timeouts;
  std::size_t max_inbound_sessions = 1000;  // beyond it, new connections get a 421
  std::size_t max_outbound_sessions = 100;  // relay transactions at once; more wait their turn
  // Local deliveries running at once, each off the loop (Host::run_blocking):
  // enough for their fsyncs to share journal commits. mbox deliveries run
  // one at a time (their fcntl lock does not exclude threads of one process).
  std::size_t local_deliveries_in_flight = 16;
  // Off only for benchmarks that measure what durability costs.
  bool queue_sync = true;
  Duration close_linger = Duration::seconds(10);
};

}  // namespace tether::node
