#include "node/relay_queue.h"

namespace tether::node {

RelayQueue::RelayQueue(Host& host, Logger log) : host_(host), log_(std::move(log)) {}

Result<void> RelayQueue::open(const std::filesystem::path& root, bool sync) {
  smtp::QueueStoreOptions store_options;
  store_options.sync = sync;
  store_options.durability = &host_.durability();
  auto opened = smtp::QueueStore::open(root, [this] { return host_.random_u64(); }, log_.child("queue"), store_options);
  if (!opened) return Error(opened.error().code, "queue " + root.string() + ": " + opened.error().message);
  store_ = std::move(*opened);
  open_ = std::make_shared<bool>(true);
  const smtp::QueueRecovery& r = store_->recovery();
  if (r.messages || r.incoming_removed || !r.quarantined.empty())
    log_.info("queue recovered: " + std::to_string(r.messages) + " messages, " + std::to_string(r.envelopes) +
              " envelopes; " + std::to_string(r.incoming_removed) + " unfinished messages removed");
  for (const auto& q : r.quarantined) log_.warning("queue: " + q.path + " quarantined to " + q.moved_to + ": " + q.error);
  return {};
}

void RelayQueue::close() {
  writes_in_flight_ = 0;
  open_.reset();
  store_.reset();
}

void RelayQueue::commit(smtp::IncomingMessage message, ByteView content, std::vector<smtp::Envelope> envelopes,
                        Committed done) {
  auto fail = [&](Error error) {
    host_.post([done = std::move(done), error = std::move(error)] { done(error, nullptr); });
  };
  if (!store_) return fail(Error(ErrorCode::closed, "the relay is stopping"));
  if (auto r = message.write(std::string_view(reinterpret_cast<const char*>(content.data()), content.size())); !r) {
    store_->abort(message);
    return fail(r.error());
  }
  auto prepared = store_->prepare_commit(message, std::move(envelopes));
  if (!prepared) return fail(prepared.error());
  std::shared_ptr<smtp::CommitJob> job = std::move(*prepared);
  std::weak_ptr<bool> open = open_;
  ++writes_in_flight_;
  host_.run_blocking([job] { job->run(); }, [this, open, job, done = std::move(done)] {
    if (open.expired()) return done(Error(ErrorCode::closed, "the relay is stopping"), nullptr);
    --writes_in_flight_;
    Result<smtp::MessageId> committed = store_->finish_commit(*job);
    const smtp::CommitJob* queued = committed || job->queued() ? job.get() : nullptr;
    done(std::move(committed), queued);
  });
}

void RelayQueue::forget(smtp::EnvelopeId id, const char* why) {
  auto prepared = store_->prepare_remove(id);
  if (!prepared) {
    log_.warning("envelope " + smtp::format_envelope_id(id) + " " + why + " but not removed: " + prepared.error().message);
    return;
  }
  std::shared_ptr<smtp::RemovalJob> job = std::move(*prepared);
  // An unlink that fails here is tried again by the job, whose error is logged.
  (void)job->unlink_envelope_now();
  std::weak_ptr<bool> open = open_;
  ++writes_in_flight_;
  host_.run_blocking([job] { job->run(); }, [this, open, job, why = std::string(why)] {
    if (open.expired()) return;  // files left behind go at recovery (an envelope that outlived its unlink comes back: never lost)
    --writes_in_flight_;
    if (auto r = store_->finish_remove(*job); !r)
      log_.warning("envelope " + smtp::format_envelope_id(job->id()) + " " + why +
                   " but not removed (it may be delivered again): " + r.error().message);
  });
}

}  // namespace tether::node
