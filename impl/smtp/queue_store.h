#pragma once
// The durable queue: messages and their envelopes as files under a root
// directory (the Host's storage_root()/queue, say), laid out as OpenSMTPD's
// queue_fs does:
//
//   incoming/<msgid>/message            a message being received
//   incoming/<msgid>/<evpid>            its envelopes, written at commit
//   queue/<XX>/<msgid>/message          committed (XX = the msgid's top byte)
//   queue/<XX>/<msgid>/<evpid>          one file per recipient
//   corrupt/<msgid>/...                 what recovery could not read
//
// Durability is stronger than OpenSMTPD's (which fsyncs only envelope
// updates): commit() returns only once the message, every envelope and both
// directories that the final rename touches are on disk, so a 250 sent after
// it is never a lie, whether the process is killed or the machine loses
// power. The order, and why each step is needed:
//   1. fsync the message file                    (its bytes)
//   2. write + fsync each envelope file          (their bytes)
//   3. fsync incoming/<msgid>                    (the names in it)
//   4. (first message in a bucket: mkdir queue/XX, fsync queue/)
//   5. rename incoming/<msgid> -> queue/XX/<msgid>, the commit point: before
//      it, recovery deletes the message (it was never acknowledged); after
//      it, recovery finds it whole
//   6. fsync queue/XX and incoming/              (the rename itself)
// A commit's and a removal's file work can also run away from the caller's
// loop (queue_file_jobs.h): prepare_commit/prepare_remove on the loop, the
// job's run() on a worker, finish_commit/finish_remove on the loop again.
//
// An envelope update is a new file written and fsynced beside the old one,
// renamed over it, then the directory fsynced, so a crash leaves either the
// old or the new version, never a torn one.
//
// The store reads no clock and draws no randomness: ids come from the
// caller's IdSource (random 64-bit values) and times are in the envelopes.

#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/logger.h"
#include "smtp/durable_file.h"
#include "smtp/envelope.h"
#include "smtp/queue_file_jobs.h"

namespace tether::smtp {

// What open() found and did.
struct QueueRecovery {
  struct Quarantined {
    std::string path;      // where the file was, relative to the root
    std::string error;     // why it could not be loaded ("queue/..:7: bad retry count 'x'")
    std::string moved_to;  // where it is now, relative to the root
  };
  std::size_t messages = 0;            // messages loaded
  std::size_t envelopes = 0;           // envelopes loaded
  std::size_t incoming_removed = 0;    // never committed, so never acknowledged
  std::size_t temp_files_removed = 0;  // unfinished envelope updates (the old version stands)
  std::size_t empty_messages_removed = 0;  // a removal interrupted after its last envelope
  std::vector<Quarantined> quarantined;
  std::vector<std::string> stray;      // unexpected names, left in place
};

class QueueStore;

struct QueueStoreOptions {
  // fsync as described above. Off only for benchmarks that want to see what
  // durability costs; a relay must never run with it off.
  bool sync = true;
  // What each of those syncs is: fsync(2) on a real machine; the relay
  // passes its Host's (core/durability.h). Must outlive the store and its jobs.
  const Durability* durability = &fsync_durability();
};

// A message being written into incoming/. Commit or abort it through the
// store; dropping it unfinished aborts it. It must not outlive its store.
class IncomingMessage {
 public:
  IncomingMessage(IncomingMessage&& other) noexcept;
  IncomingMessage& operator=(IncomingMessage&& other) noexcept;
  IncomingMessage(const IncomingMessage&) = delete;
  IncomingMessage& operator=(const IncomingMessage&) = delete;
  ~IncomingMessage();

  MessageId id() const { return id_; }
  std::uint64_t size() const { return size_; }
  bool open() const { return fd_ >= 0; }

  // Appends bytes to the message file (buffered; commit() flushes).
  Result<void> write(std::string_view bytes);

 private:
  friend class QueueStore;
  IncomingMessage(QueueStore* store, MessageId id, int fd) : store_(store), id_(id), fd_(fd) {}
  Result<void> flush();
  void close_fd();

  QueueStore* store_ = nullptr;
  MessageId id_ = 0;
  int fd_ = -1;
  std::string buffer_;
  std::uint64_t size_ = 0;
};

class QueueStore {
 public:
  // Random 64-bit values; the store keeps drawing until an id is free.
  using IdSource = std::function<std::uint64_t()>;

  // Creates the layout if missing, refuses a queue it could not record
  // progress in (queue_write_check.h), then recovers: loads every envelope,
  // quarantines what cannot be read, deletes what was never committed.
  static Result<std::unique_ptr<QueueStore>> open(const std::filesystem::path& root, IdSource ids,
                                                  Logger log = Logger(),
                                                  QueueStoreOptions options = QueueStoreOptions());
  ~QueueStore();

  const std::filesystem::path& root() const { return root_; }
  const QueueRecovery& recovery() const { return recovery_; }

  // ---- receiving ----

  // A new message with a fresh message id, in incoming/.
  Result<IncomingMessage> create_message();
  // Makes the message and its envelopes durable and visible (see above).
  // Each envelope gets a fresh id unless it already has one of this message;
  // the ids are written back. At least one envelope is required. Any error
  // means "do not answer 250": before the rename the message is deleted;
  // after it (a directory fsync failed) it stays queued, and the client's
  // retry may make a duplicate, which beats losing it.
  Result<void> commit(IncomingMessage& message, std::vector<Envelope>& envelopes);
  // Deletes the message from incoming/.
  void abort(IncomingMessage& message);
  // create_message + write + commit, for messages made whole in memory
  // (reports, tests).
  Result<MessageId> commit_message(std::string_view data, std::vector<Envelope>& envelopes);
  // commit() in three parts, for callers that run the file work away from
  // their loop. prepare_commit takes over the message (it is no longer
  // open), assigns the envelope ids and builds the job (an error: the
  // message is deleted); the job's run() may then happen on any thread;
  // finish_commit, back here, indexes what run() committed and returns the
  // message id, or run()'s error, with commit()'s meaning. Until then the
  // message id stays reserved.
  Result<std::shared_ptr<CommitJob>> prepare_commit(IncomingMessage& message, std::vector<Envelope> envelopes);
  Result<MessageId> finish_commit(CommitJob& job);

  // ---- the queue ----

  const std::map<EnvelopeId, Envelope>& envelopes() const { return envelopes_; }  // by id, so by message
  const Envelope* find(EnvelopeId id) const;
  std::vector<EnvelopeId> envelopes_of(MessageId msgid) const;
  std::size_t message_count() const { return messages_.size(); }

  // Rewrites an envelope durably (retry count, last try, error, or its
  // conversion into a report).
  Result<void> update(const Envelope& envelope);
  // Adds an envelope to a committed message (a delay report about it). Gets a
  // fresh id unless it already has an unused one of this message.
  Result<void> add_envelope(MessageId msgid, Envelope& envelope);
  // Deletes an envelope (delivered, bounced, dropped, removed by the admin);
  // the message goes with its last envelope.
  Result<void> remove(EnvelopeId id);
  // remove() in three parts likewise. The envelope leaves the index at once
  // (find() no longer sees it); its files go in the job's run(); until
  // finish_remove the message id stays reserved, so no new message is made
  // in a directory that may still exist. A crash before run() only brings
  // the envelope back on recovery, to be delivered again: never a loss;
  // RemovalJob::unlink_envelope_now() on the loop closes that window for a
  // delivery (RelayQueue::forget).
  Result<std::shared_ptr<RemovalJob>> prepare_remove(EnvelopeId id);
  Result<void> finish_remove(RemovalJob& job);

  std::filesystem::path message_path(MessageId msgid) const;
  Result<std::string> read_message(MessageId msgid) const;
  // The same for a path from message_path(), from any thread.
  static Result<std::string> read_message_file(const std::filesystem::path& path);

 private:
  friend class IncomingMessage;
  QueueStore(std::filesystem::path root, IdSource ids, Logger log, QueueStoreOptions options);

  Result<void> recover();
  // The error (also logged) that refuses a queue whose directories take no
  // writes (queue_write_check.h).
  Error cannot_record_progress(const Error& why) const;
  void recover_message(const std::filesystem::path& dir, MessageId msgid);
  void quarantine(const std::filesystem::path& file, MessageId msgid, const std::string& error);
  Result<void> write_envelope_file(const std::filesystem::path& dir, const Envelope& envelope, bool replace);
  Result<void> sync_dir(const std::filesystem::path& dir) const;
  Result<void> sync_fd(int fd, const std::filesystem::path& what) const;
  bool msgid_in_use(MessageId msgid) const;
  Result<EnvelopeId> assign_id(MessageId msgid, EnvelopeId wanted, const std::set<EnvelopeId>& taken) const;
  std::filesystem::path incoming_dir(MessageId msgid) const;
  std::filesystem::path queue_dir(MessageId msgid) const;
  std::string relative(const std::filesystem::path& p) const;

  std::filesystem::path root_;
  IdSource ids_;
  Logger log_;
  QueueStoreOptions options_;
  QueueRecovery recovery_;
  std::map<EnvelopeId, Envelope> envelopes_;
  std::map<MessageId, std::set<EnvelopeId>> messages_;
  std::set<MessageId> incoming_;  // open IncomingMessages and unfinished commits
  std::map<MessageId, int> removing_;  // removal jobs not finished yet, per message
  // queue/XX buckets known to be on disk (by the top byte of the msgid).
  std::array<bool, 256> durable_buckets_{};
};

}  // namespace tether::smtp
