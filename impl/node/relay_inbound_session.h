#pragma once
// One accepted SMTP connection of the relay: TcpStream <-> ServerSession <->
// the queue. Bytes from the stream go into the sans-IO session, its output
// back out, one Timer follows its next_deadline(), and each message it
// accepts is committed durably (QueueStore::commit fsyncs message, envelopes
// and directories) before complete_message() lets the 250 go out; a commit
// that fails is a 451 and nothing is queued. The commit runs off the loop;
// meanwhile the session is in its `committing` state, where bytes the client
// sends (it did not wait for the reply) get the 500 after the reply.
//
// The message id a session announces at DATA (Received: "id", the 250) is
// the queue's: the hook creates the message in incoming/ then, and a
// transaction the client abandons leaves nothing behind.
//
// The greeting goes out at once, while the client's reverse DNS is looked
// up (relay_rdns.h) for at most `rdns_timeout`: a client's MAIL, and the
// connect filters' verdict, wait for the name (ServerSessionOptions::
// rdns_pending), but a slow or silent reverse zone never delays the 220,
// and with a working resolver the answer is in before the client's EHLO.
//
// When the session closes, its last replies are flushed with a half-close
// (shutdown_write) and the stream is kept until the client closes too or
// `linger` passes, so a 221 or 421 is never cut off by our own close().

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/logger.h"
#include "host/deadline_timer.h"
#include "host/host.h"
#include "node/relay_rdns.h"
#include "smtp/queue_store.h"
#include "smtp/server_session.h"

namespace tether::node {

// The relay's side of message commits.
struct InboundQueue {
  std::function<Result<smtp::IncomingMessage>()> create;
  // Writes the content, commits it with one envelope per recipient (the file
  // work off the loop) and schedules them, then calls `done` from the loop
  // (never inside this call) with the message id; any error means "do not
  // answer 250". The commit goes on if the session ends meanwhile (the mail
  // is kept, only the reply is lost, as when a client hangs up while a
  // server fsyncs), so `done` must check that the session still exists.
  std::function<void(smtp::IncomingMessage message, const smtp::MessageToCommit& content,
                     std::function<void(Result<smtp::MessageId>)> done)>
      commit;
};

class RelayInboundSession {
 public:
  // Called (from the loop) once the connection is over; the owner then
  // destroys the session, which may be done from inside this call.
  using Finished = std::function<void(RelayInboundSession&)>;

  // `hooks` gives route, credentials and wall_clock; new_message_id is the
  // session's own. `options.rdns`/`fcrdns` are filled in from the lookup.
  // Nothing is read or written before start().
  RelayInboundSession(Host& host, std::unique_ptr<TcpStream> stream, smtp::ServerSessionOptions options,
                      smtp::ServerHooks hooks, InboundQueue queue, Finished finished,
                      Duration linger = Duration::seconds(10), Duration rdns_timeout = Duration::seconds(5));
  // A connection turned away (smtp paused, too many sessions): `refusal`
  // ("421 ...") is the whole conversation.
  RelayInboundSession(Host& host, std::unique_ptr<TcpStream> stream, std::string refusal, Logger log,
                      Finished finished, Duration linger = Duration::seconds(10));
  ~RelayInboundSession();
  RelayInboundSession(const RelayInboundSession&) = delete;
  RelayInboundSession& operator=(const RelayInboundSession&) = delete;

  void start();
  const Endpoint& remote() const { return remote_; }
  std::size_t messages() const { return messages_; }

 private:
  void on_rdns(ClientRdns rdns);
  void on_data(ByteView data);
  void on_closed(const Error& reason);
  void on_timer();
  void pump();
  void commit_ready();
  // AUTH's bcrypt check, on Host::run_blocking so that a password guesser
  // cannot stall every other session of the relay.
  void check_password_ready();
  void on_committed(const std::string& session_id, Result<smtp::MessageId> committed);
  void begin_close();
  void end();
  std::string new_message_id();

  Host& host_;
  std::unique_ptr<TcpStream> stream_;
  Endpoint remote_;
  Logger log_;
  InboundQueue queue_;
  Finished finished_;
  Duration linger_;
  Duration rdns_timeout_;
  std::string refusal_;
  // Held until the reverse DNS is known, then the session is made from them.
  std::optional<smtp::ServerSessionOptions> pending_options_;
  std::optional<smtp::ServerHooks> pending_hooks_;
  std::unique_ptr<ClientRdnsLookup> rdns_;
  std::optional<smtp::ServerSession> session_;
  std::optional<smtp::IncomingMessage> incoming_;
  std::unique_ptr<DeadlineTimer> timer_;
  bool closing_ = false;  // half-closed, waiting for the client's close
  bool ended_ = false;
  bool committing_ = false;  // a commit is off the loop; its reply waits
  std::size_t messages_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace tether::node
