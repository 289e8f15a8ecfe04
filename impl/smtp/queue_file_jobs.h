#pragma once
// The file work of a queue commit and of a removal, cut out of QueueStore so
// that it can run away from the event loop (Host::run_blocking): the store
// prepares a job on the loop (ids, envelope texts, paths: everything that
// reads or changes its index), run() does the writes, fsyncs, renames and
// unlinks, then the store finishes it on the loop (publishes it, or cleans
// up). run() touches only the job's own files and the directories they live
// in, so jobs of different messages may run at the same time on different
// threads; that is what lets the filesystem commit their fsyncs together.
//
// The order of a commit's steps, and why each is needed, is in
// queue_store.h. A crash at any point of run() leaves what recovery
// handles: before the rename an incoming/ directory (never acknowledged,
// deleted), after it a whole queued message.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/durability.h"
#include "core/error.h"
#include "smtp/envelope.h"

namespace tether::smtp {

class CommitJob {
 public:
  ~CommitJob();  // closes the message file if run() never did
  CommitJob(const CommitJob&) = delete;
  CommitJob& operator=(const CommitJob&) = delete;

  // Steps 1-6 of queue_store.h. Call once, from any thread.
  void run();

  MessageId id() const { return msgid_; }
  // Past the commit point (the rename), so queued whatever else failed.
  bool queued() const { return renamed_; }
  // With their ids assigned.
  const std::vector<Envelope>& envelopes() const { return envelopes_; }

 private:
  friend class QueueStore;
  CommitJob() = default;
  Result<void> write_and_rename();

  // Set by QueueStore::prepare_commit.
  MessageId msgid_ = 0;
  int fd_ = -1;            // the message file, still open for writing
  std::string unflushed_;  // the message's bytes not yet written to fd_
  const Durability* durability_ = nullptr;  // null: no syncs (QueueStoreOptions::sync off)
  std::filesystem::path incoming_dir_;  // incoming/<msgid>
  std::filesystem::path bucket_;        // queue/XX
  std::filesystem::path target_;        // queue/XX/<msgid>
  // Known to be on disk already; otherwise run() fsyncs queue/ even if
  // another job made the bucket, since that job's fsync may still be running.
  bool bucket_known_durable_ = false;
  std::vector<Envelope> envelopes_;
  std::vector<std::string> envelope_texts_;

  // Set by run().
  bool ran_ = false;
  bool renamed_ = false;  // the commit point was passed: it is queued
  std::optional<Error> error_;
};

class RemovalJob {
 public:
  RemovalJob(const RemovalJob&) = delete;
  RemovalJob& operator=(const RemovalJob&) = delete;

  // Unlinks the envelope file, and with the message's last envelope every
  // file of the message and its directory; then fsyncs the directory that
  // changed. Call once, from any thread.
  void run();
  // Unlinks the envelope file alone, now, on the caller's thread: the one
  // system call that records a delivery against a crash of the process,
  // made the moment the delivery is known rather than when a worker gets to
  // run() (which may wait behind other jobs' fsyncs). run() then finds it
  // gone and does the rest, the directory fsync that makes the record
  // survive a power cut too. OpenSMTPD's queue process likewise unlinks in
  // its event loop (queue.c: queue_envelope_delete on IMSG_MTA_DELIVERY_OK,
  // queue_fs.c: queue_fs_envelope_delete).
  Result<void> unlink_envelope_now();

  EnvelopeId id() const { return id_; }

 private:
  friend class QueueStore;
  RemovalJob() = default;
  Result<void> unlink_files();

  // Set by QueueStore::prepare_remove.
  EnvelopeId id_ = 0;
  bool last_ = false;
  const Durability* durability_ = nullptr;  // null: no syncs (QueueStoreOptions::sync off)
  std::filesystem::path dir_;  // queue/XX/<msgid>

  // Set by run().
  bool ran_ = false;
  std::optional<Error> error_;
};

}  // namespace tether::smtp
