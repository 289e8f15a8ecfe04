#pragma once
// The relay's queue (OpenSMTPD's queue.c): the QueueStore under the
// relay's storage, and the file work of committing a message and removing
// an envelope, which runs off the loop (Host::run_blocking) so that many
// sessions' fsyncs overlap and the disk commits them together.
//
// The writes in flight are counted: a reload waits for them, or the new
// queue's recovery could miss a message renamed into queue/ after its scan,
// or reload an envelope whose files are being removed (a second delivery).
// Closing the queue forgets them: a commit finishing afterwards is told the
// relay is stopping (what it renamed into queue/ is found by the next
// recovery), a removal finishing afterwards leaves the message's files to
// recovery (its envelope file went when it was forgotten).

#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/error.h"
#include "host/host.h"
#include "smtp/queue_store.h"

namespace tether::node {

class RelayQueue {
 public:
  // `queued` is the commit's job when the message is in the queue: committed,
  // or renamed into place though a directory sync then failed (the client
  // gets no 250 and may send it again, but this copy must be delivered too).
  using Committed = std::function<void(Result<smtp::MessageId> result, const smtp::CommitJob* queued)>;

  // `log` is the relay's; the store logs below it as "queue".
  RelayQueue(Host& host, Logger log);

  // Opens (and recovers) the store at `root`, logging what recovery found.
  Result<void> open(const std::filesystem::path& root, bool sync);
  void close();
  bool is_open() const { return store_ != nullptr; }
  smtp::QueueStore& store() { return *store_; }
  const smtp::QueueStore* get() const { return store_.get(); }

  // Writes `content` into `message`, then commits it with `envelopes` off
  // the loop. `done` runs on the loop, from a posted call when the commit
  // fails before its file work starts.
  void commit(smtp::IncomingMessage message, ByteView content, std::vector<smtp::Envelope> envelopes, Committed done);
  // Takes the envelope out of the store's index and unlinks its file now
  // (a delivery is recorded the moment it is known: a kill after this
  // cannot make it happen again), the rest of its files and the directory
  // fsyncs off the loop; `why` is for the log ("delivered", "removed").
  void forget(smtp::EnvelopeId id, const char* why);
  // Expires when the queue closes: work off the loop that finds it expired
  // leaves its outcome to the next recovery.
  std::weak_ptr<bool> open_token() const { return open_; }
  // Commits and removals whose file work has not finished.
  std::size_t writes_in_flight() const { return writes_in_flight_; }

 private:
  Host& host_;
  Logger log_;
  std::unique_ptr<smtp::QueueStore> store_;
  // Reset when the queue closes: a job's completion that finds it expired
  // leaves its outcome to the next recovery.
  std::shared_ptr<bool> open_;
  std::size_t writes_in_flight_ = 0;
};

}  // namespace tether::node
