#pragma once
// Drives a ServerSession with byte scripts and a hand-moved clock, playing
// the app's part: a router (a fake one, or a real Router), a credentials
// table with the seed's `mailuser` (password "foobar"), message ids, a wall
// clock and a queue that commits at once unless told to wait.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/time.h"
#include "crypto/tls.h"
#include "smtp/server_session.h"

namespace tether::smtp::testing {

constexpr char kSeedUser[] = "mailuser";
constexpr char kSeedHash[] = "$2b$10$TMCTeP.xVdU8YLGJkyJrTOz6VU0.xWRXFvCp90vGfNGFmvBDLC9P6";
constexpr char kSeedPassword[] = "foobar";

// A server TLS context with a self-signed certificate for mx.example.com,
// made once per test run.
std::shared_ptr<const crypto::TlsContext> test_server_tls();

class SessionHarness {
 public:
  SessionHarness();

  // Options to adjust before start().
  ServerSessionOptions options;
  // Recipients in example.com deliver (action "relay_in"), in
  // tempfail.example are deferred, anything else is refused the way the
  // router refuses ("550 Invalid recipient"). Replace to use a real Router.
  std::function<RouteDecision(const RouteRequest&)> route;
  std::map<std::string, std::string> credentials{{kSeedUser, kSeedHash}};
  bool auto_commit = true;  // answer complete_message at once
  // The app's AUTH budget across sessions (ServerHooks); empty: none.
  std::function<std::optional<Duration>()> auth_may_try;
  std::function<void(bool succeeded)> auth_checked;

  // Creates the session; returns the greeting.
  std::string start();
  // Feeds bytes (through the TLS client once start_tls() ran); returns what
  // the session wrote back, decrypted.
  std::string send(std::string_view bytes);
  // The app's reverse-name answer (options.rdns_pending); returns the output.
  std::string resolve_rdns(const std::string& name, bool confirmed);
  // Moves the clock and fires the deadline if it is due; returns the output.
  std::string advance(Duration d);

  // STARTTLS then a handshake with an in-memory TLS client; returns the
  // STARTTLS reply. After it, send() goes through TLS.
  std::string start_tls();

  ServerSession& session() { return *session_; }
  Time now() const { return now_; }
  std::vector<MessageToCommit> committed;      // what the queue got
  std::optional<MessageToCommit> waiting;      // when !auto_commit
  std::vector<RouteRequest> routed;
  int next_id = 0x1a2b3c4d;
  WallTime wall = WallTime::from_unix_seconds(1795000000);  // Mon, 18 Nov 2026 ...

 private:
  std::string collect();
  std::unique_ptr<ServerSession> session_;
  Time now_ = Time::from_ns(1'000'000'000);
  std::optional<crypto::TlsContext> client_ctx_;
  std::optional<crypto::TlsSession> client_;
};

// "250 ..." lines of a reply, for checks that do not care about the text.
int reply_code(const std::string& output);
bool contains(const std::string& haystack, std::string_view needle);
std::string plain_response(std::string_view user, std::string_view password);  // base64 "\0user\0password"

}  // namespace tether::smtp::testing
