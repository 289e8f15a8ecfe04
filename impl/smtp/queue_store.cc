#include "smtp/queue_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "smtp/queue_write_check.h"

namespace tether::smtp {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kWriteBuffer = 64 * 1024;
constexpr int kIdDraws = 64;

Error io_error(const std::string& what, int err) {
  return make_error(ErrorCode::io, what + ": " + std::strerror(err));
}

Result<void> write_all(int fd, std::string_view data, const fs::path& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("write " + path.string(), errno);
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

Result<std::string> read_file(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_error("open " + path.string(), errno);
  std::string out;
  char buf[64 * 1024];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return io_error("read " + path.string(), err);
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

bool is_hex_name(const std::string& s, std::size_t len) {
  if (s.size() != len) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::vector<std::string> list_names(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    names.push_back(it->path().filename().string());
  return names;
}

std::string bucket_name(MessageId msgid) {
  char buf[4];
  std::snprintf(buf, sizeof buf, "%02x", unsigned(msgid >> 24));
  return buf;
}

}  // namespace

// ---- IncomingMessage ----

IncomingMessage::IncomingMessage(IncomingMessage&& o) noexcept
    : store_(o.store_), id_(o.id_), fd_(o.fd_), buffer_(std::move(o.buffer_)), size_(o.size_) {
  o.store_ = nullptr;
  o.fd_ = -1;
}

IncomingMessage& IncomingMessage::operator=(IncomingMessage&& o) noexcept {
  if (this != &o) {
    if (open() && store_) store_->abort(*this);
    store_ = o.store_;
    id_ = o.id_;
    fd_ = o.fd_;
    buffer_ = std::move(o.buffer_);
    size_ = o.size_;
    o.store_ = nullptr;
    o.fd_ = -1;
  }
  return *this;
}

IncomingMessage::~IncomingMessage() {
  if (open() && store_) store_->abort(*this);
}

Result<void> IncomingMessage::write(std::string_view bytes) {
  if (!open()) return make_error(ErrorCode::closed, "message " + format_message_id(id_) + " is not open");
  buffer_.append(bytes.data(), bytes.size());
  size_ += bytes.size();
  if (buffer_.size() >= kWriteBuffer) return flush();
  return {};
}

Result<void> IncomingMessage::flush() {
  auto r = write_all(fd_, buffer_, store_->incoming_dir(id_) / "message");
  buffer_.clear();
  return r;
}

void IncomingMessage::close_fd() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

// ---- QueueStore ----

QueueStore::QueueStore(fs::path root, IdSource ids, Logger log, QueueStoreOptions options)
    : root_(std::move(root)), ids_(std::move(ids)), log_(std::move(log)), options_(options) {}

QueueStore::~QueueStore() = default;

Result<std::unique_ptr<QueueStore>> QueueStore::open(const fs::path& root, IdSource ids, Logger log,
                                                     QueueStoreOptions options) {
  if (!ids) return make_error(ErrorCode::invalid_argument, "queue: no id source");
  std::unique_ptr<QueueStore> store(new QueueStore(root, std::move(ids), std::move(log), options));
  auto r = store->recover();
  if (!r) return r.error();
  return store;
}

fs::path QueueStore::incoming_dir(MessageId msgid) const { return root_ / "incoming" / format_message_id(msgid); }

fs::path QueueStore::queue_dir(MessageId msgid) const {
  return root_ / "queue" / bucket_name(msgid) / format_message_id(msgid);
}

fs::path QueueStore::message_path(MessageId msgid) const { return queue_dir(msgid) / "message"; }

std::string QueueStore::relative(const fs::path& p) const { return p.lexically_relative(root_).string(); }

Result<void> QueueStore::sync_fd(int fd, const fs::path& what) const {
  if (!options_.sync) return {};
  return options_.durability->sync_file(fd, what);
}

Result<void> QueueStore::sync_dir(const fs::path& dir) const {
  if (!options_.sync) return {};
  return options_.durability->sync_directory(dir);
}

bool QueueStore::msgid_in_use(MessageId msgid) const {
  if (messages_.count(msgid) || incoming_.count(msgid) || removing_.count(msgid)) return true;
  std::error_code ec;
  return fs::exists(queue_dir(msgid), ec) || fs::exists(incoming_dir(msgid), ec);
}

Result<EnvelopeId> QueueStore::assign_id(MessageId msgid, EnvelopeId wanted,
                                         const std::set<EnvelopeId>& taken) const {
  if (wanted != 0) {
    if (message_of(wanted) != msgid || static_cast<std::uint32_t>(wanted) == 0 || taken.count(wanted) ||
        envelopes_.count(wanted))
      return make_error(ErrorCode::invalid_argument,
                        "envelope id " + format_envelope_id(wanted) + " is not a free id of message " +
                            format_message_id(msgid));
    return wanted;
  }
  for (int i = 0; i < kIdDraws; ++i) {
    auto low = static_cast<std::uint32_t>(ids_());
    if (low == 0) continue;
    EnvelopeId id = make_envelope_id(msgid, low);
    if (!taken.count(id) && !envelopes_.count(id)) return id;
  }
  return make_error(ErrorCode::internal, "queue: the id source keeps repeating itself");
}

Result<IncomingMessage> QueueStore::create_message() {
  for (int i = 0; i < kIdDraws; ++i) {
    auto msgid = static_cast<MessageId>(ids_());
    if (msgid == 0 || msgid_in_use(msgid)) continue;
    fs::path dir = incoming_dir(msgid);
    if (::mkdir(dir.c_str(), 0700) != 0) {
      if (errno == EEXIST) continue;
      return io_error("mkdir " + dir.string(), errno);
    }
    fs::path file = dir / "message";
    int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
      int err = errno;
      ::rmdir(dir.c_str());
      return io_error("create " + file.string(), err);
    }
    incoming_.insert(msgid);
    return IncomingMessage(this, msgid, fd);
  }
  return make_error(ErrorCode::internal, "queue: the id source keeps repeating itself");
}

void QueueStore::abort(IncomingMessage& message) {
  message.close_fd();
  message.buffer_.clear();
  std::error_code ec;
  fs::remove_all(incoming_dir(message.id_), ec);
  incoming_.erase(message.id_);
  message.store_ = nullptr;
}

Result<void> QueueStore::write_envelope_file(const fs::path& dir, const Envelope& envelope, bool replace) {
  const std::string name = format_envelope_id(envelope.id);
  const fs::path final_path = dir / name;
  // In a visible directory the file appears whole or not at all: written
  // under a temporary name, then renamed. In incoming/ nobody can see it yet.
  const fs::path path = replace ? dir / (name + ".tmp") : final_path;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | (replace ? O_TRUNC : O_EXCL), 0600);
  if (fd < 0) return io_error("create " + path.string(), errno);
  auto r = write_all(fd, serialize_envelope(envelope), path);
  if (r) r = sync_fd(fd, path);
  ::close(fd);
  if (r && replace && ::rename(path.c_str(), final_path.c_str()) != 0)
    r = io_error("rename " + path.string(), errno);
  if (!r) ::unlink(path.c_str());
  return r;
}

Result<std::shared_ptr<CommitJob>> QueueStore::prepare_commit(IncomingMessage& message,
                                                               std::vector<Envelope> envelopes) {
  if (!message.open() || message.store_ != this)
    return make_error(ErrorCode::closed, "message " + format_message_id(message.id_) + " is not open");
  const MessageId msgid = message.id_;
  auto fail = [&](Error e) -> Result<std::shared_ptr<CommitJob>> {
    abort(message);
    return e;
  };
  if (envelopes.empty())
    return fail(make_error(ErrorCode::invalid_argument, "message " + format_message_id(msgid) + " has no envelope"));

  std::shared_ptr<CommitJob> job(new CommitJob);
  std::set<EnvelopeId> taken;
  for (auto& e : envelopes) {
    auto id = assign_id(msgid, e.id, taken);
    if (!id) return fail(id.error());
    e.id = *id;
    taken.insert(e.id);
    job->envelope_texts_.push_back(serialize_envelope(e));
  }
  job->msgid_ = msgid;
  job->durability_ = options_.sync ? options_.durability : nullptr;
  job->incoming_dir_ = incoming_dir(msgid);
  job->bucket_ = root_ / "queue" / bucket_name(msgid);
  job->target_ = queue_dir(msgid);
  job->bucket_known_durable_ = durable_buckets_[msgid >> 24];
  job->envelopes_ = std::move(envelopes);
  // The job owns the file now; the message id stays in incoming_ (reserved)
  // until finish_commit.
  job->fd_ = message.fd_;
  job->unflushed_ = std::move(message.buffer_);
  message.fd_ = -1;
  message.buffer_.clear();
  message.store_ = nullptr;
  return job;
}

Result<MessageId> QueueStore::finish_commit(CommitJob& job) {
  const MessageId msgid = job.msgid_;
  incoming_.erase(msgid);
  if (!job.ran_) {
    std::error_code ec;
    fs::remove_all(job.incoming_dir_, ec);
    return make_error(ErrorCode::internal, "the commit of message " + format_message_id(msgid) + " never ran");
  }
  if (job.renamed_) {
    // Committed: it is in queue/ and recovery will find it, so index it even
    // if a directory sync after the rename failed (then the caller must not
    // say 250, and the client's retry may make a duplicate, which beats
    // losing it).
    durable_buckets_[msgid >> 24] = true;
    for (const auto& e : job.envelopes_) {
      envelopes_[e.id] = e;
      messages_[msgid].insert(e.id);
    }
  }
  if (job.error_) return *job.error_;
  return msgid;
}

Result<void> QueueStore::commit(IncomingMessage& message, std::vector<Envelope>& envelopes) {
  auto job = prepare_commit(message, envelopes);
  if (!job) return job.error();
  (*job)->run();
  if ((*job)->renamed_) envelopes = (*job)->envelopes();
  auto committed = finish_commit(**job);
  if (!committed) return committed.error();
  return {};
}

Result<MessageId> QueueStore::commit_message(std::string_view data, std::vector<Envelope>& envelopes) {
  auto m = create_message();
  if (!m) return m.error();
  if (auto r = m->write(data); !r) {
    abort(*m);
    return r.error();
  }
  if (auto r = commit(*m, envelopes); !r) return r.error();
  return m->id();
}

const Envelope* QueueStore::find(EnvelopeId id) const {
  auto it = envelopes_.find(id);
  return it == envelopes_.end() ? nullptr : &it->second;
}

std::vector<EnvelopeId> QueueStore::envelopes_of(MessageId msgid) const {
  auto it = messages_.find(msgid);
  if (it == messages_.end()) return {};
  return std::vector<EnvelopeId>(it->second.begin(), it->second.end());
}

Result<void> QueueStore::update(const Envelope& envelope) {
  auto it = envelopes_.find(envelope.id);
  if (it == envelopes_.end())
    return make_error(ErrorCode::not_found, "envelope " + format_envelope_id(envelope.id) + " is not queued");
  const fs::path dir = queue_dir(envelope.msgid());
  if (auto r = write_envelope_file(dir, envelope, true); !r) return r;
  it->second = envelope;
  return sync_dir(dir);
}

Result<void> QueueStore::add_envelope(MessageId msgid, Envelope& envelope) {
  auto m = messages_.find(msgid);
  if (m == messages_.end())
    return make_error(ErrorCode::not_found, "message " + format_message_id(msgid) + " is not queued");
  auto id = assign_id(msgid, envelope.id, {});
  if (!id) return id.error();
  envelope.id = *id;
  const fs::path dir = queue_dir(msgid);
  if (auto r = write_envelope_file(dir, envelope, true); !r) return r;
  envelopes_[envelope.id] = envelope;
  m->second.insert(envelope.id);
  return sync_dir(dir);
}

Result<void> QueueStore::remove(EnvelopeId id) {
  auto job = prepare_remove(id);
  if (!job) return job.error();
  (*job)->run();
  return finish_remove(**job);
}

Result<std::shared_ptr<RemovalJob>> QueueStore::prepare_remove(EnvelopeId id) {
  auto it = envelopes_.find(id);
  if (it == envelopes_.end())
    return make_error(ErrorCode::not_found, "envelope " + format_envelope_id(id) + " is not queued");
  const MessageId msgid = message_of(id);
  std::shared_ptr<RemovalJob> job(new RemovalJob);
  job->id_ = id;
  job->durability_ = options_.sync ? options_.durability : nullptr;
  job->dir_ = queue_dir(msgid);
  envelopes_.erase(it);
  auto& set = messages_[msgid];
  set.erase(id);
  if (set.empty()) {
    // The last one: the message goes too. A crash in between leaves a
    // directory without envelopes, which recovery removes.
    messages_.erase(msgid);
    job->last_ = true;
  }
  ++removing_[msgid];
  return job;
}

Result<void> QueueStore::finish_remove(RemovalJob& job) {
  const MessageId msgid = message_of(job.id_);
  auto it = removing_.find(msgid);
  if (it != removing_.end() && --it->second == 0) removing_.erase(it);
  if (!job.ran_)
    return make_error(ErrorCode::internal, "the removal of envelope " + format_envelope_id(job.id_) + " never ran");
  if (job.error_) return *job.error_;
  return {};
}

Result<std::string> QueueStore::read_message(MessageId msgid) const { return read_file(message_path(msgid)); }

Result<std::string> QueueStore::read_message_file(const fs::path& path) { return read_file(path); }

// ---- recovery ----

Result<void> QueueStore::recover() {
  for (const char* sub : {"", "incoming", "queue", "corrupt"}) {
    std::error_code ec;
    fs::path p = sub[0] ? root_ / sub : root_;
    fs::create_directories(p, ec);
    if (ec) return make_error(ErrorCode::io, "mkdir " + p.string() + ": " + ec.message());
  }
  if (auto r = sync_dir(root_); !r) return r;
  for (const char* sub : {"incoming", "queue"})
    if (auto r = check_directory_records(root_ / sub); !r)
      return cannot_record_progress(r.error());

  // Never committed, so never acknowledged: the client still holds it.
  const fs::path incoming = root_ / "incoming";
  for (const auto& name : list_names(incoming)) {
    std::error_code ec;
    fs::remove_all(incoming / name, ec);
    if (ec) return make_error(ErrorCode::io, "remove " + (incoming / name).string() + ": " + ec.message());
    ++recovery_.incoming_removed;
  }
  if (recovery_.incoming_removed) {
    if (auto r = sync_dir(incoming); !r) return r;
  }

  const fs::path queue = root_ / "queue";
  // Whoever made the buckets there may have died before fsyncing queue/;
  // once this is done, commits into them need not fsync it again.
  if (auto r = sync_dir(queue); !r) return r;
  for (const auto& bucket : list_names(queue)) {
    const fs::path bdir = queue / bucket;
    std::error_code ec;
    if (!is_hex_name(bucket, 2) || !fs::is_directory(bdir, ec)) {
      recovery_.stray.push_back(relative(bdir));
      continue;
    }
    if (auto w = check_directory_writable(bdir); !w) return cannot_record_progress(w.error());
    durable_buckets_[std::stoul(bucket, nullptr, 16)] = true;
    for (const auto& name : list_names(bdir)) {
      const fs::path mdir = bdir / name;
      if (!is_hex_name(name, 8) || name.compare(0, 2, bucket) != 0 || !fs::is_directory(mdir, ec)) {
        recovery_.stray.push_back(relative(mdir));
        continue;
      }
      auto id = parse_queue_id(name);
      if (!id) {
        recovery_.stray.push_back(relative(mdir));
        continue;
      }
      if (auto w = check_directory_writable(mdir); !w) return cannot_record_progress(w.error());
      recover_message(mdir, static_cast<MessageId>(*id));
    }
  }

  recovery_.messages = messages_.size();
  recovery_.envelopes = envelopes_.size();
  for (const auto& s : recovery_.stray) log_.warning("queue: unexpected " + s + " left in place");
  log_.info("queue: recovered " + std::to_string(recovery_.envelopes) + " envelopes in " +
            std::to_string(recovery_.messages) + " messages; removed " +
            std::to_string(recovery_.incoming_removed) + " uncommitted messages; quarantined " +
            std::to_string(recovery_.quarantined.size()) + " files");
  return {};
}

Error QueueStore::cannot_record_progress(const Error& why) const {
  const std::string text = "cannot record progress in the queue at " + root_.string() +
                           ", so it is not run (delivered mail could not be removed and every start would "
                           "deliver it again): " + why.message;
  log_.error(text);
  return make_error(ErrorCode::io, text);
}

void QueueStore::recover_message(const fs::path& dir, MessageId msgid) {
  bool has_message = false;
  bool changed = false;
  std::vector<std::string> envelope_files;
  for (const auto& name : list_names(dir)) {
    if (name == "message") {
      has_message = true;
    } else if (ends_with(name, ".tmp")) {
      // An update that did not reach its rename: the old version stands.
      ::unlink((dir / name).c_str());
      ++recovery_.temp_files_removed;
      changed = true;
    } else if (is_hex_name(name, 16)) {
      envelope_files.push_back(name);
    } else {
      recovery_.stray.push_back(relative(dir / name));
    }
  }

  std::error_code ec;
  if (!has_message) {
    if (envelope_files.empty()) {
      fs::remove_all(dir, ec);
      ++recovery_.empty_messages_removed;
    } else {
      for (const auto& f : envelope_files) quarantine(dir / f, msgid, "its message file is missing");
      ::rmdir(dir.c_str());
    }
    (void)sync_dir(dir.parent_path());
    return;
  }

  std::size_t loaded = 0;
  for (const auto& f : envelope_files) {
    const fs::path path = dir / f;
    auto text = read_file(path);
    if (!text) {
      quarantine(path, msgid, text.error().message);
      continue;
    }
    auto e = parse_envelope(*text, relative(path));
    if (!e) {
      quarantine(path, msgid, e.error().message);
      continue;
    }
    if (format_envelope_id(e->id) != f) {
      quarantine(path, msgid, relative(path) + ": envelope id " + format_envelope_id(e->id) +
                                  " does not match its file name");
      continue;
    }
    if (e->msgid() != msgid) {
      quarantine(path, msgid, relative(path) + ": envelope " + format_envelope_id(e->id) +
                                  " belongs to another message");
      continue;
    }
    const EnvelopeId id = e->id;
    envelopes_[id] = std::move(*e);
    messages_[msgid].insert(id);
    ++loaded;
  }
  if (loaded == 0) {
    // Nothing left to deliver. Quarantine kept a copy of the message beside
    // whatever could not be read.
    fs::remove_all(dir, ec);
    if (envelope_files.empty()) ++recovery_.empty_messages_removed;
    (void)sync_dir(dir.parent_path());
    return;
  }
  if (changed) (void)sync_dir(dir);
}

void QueueStore::quarantine(const fs::path& file, MessageId msgid, const std::string& error) {
  std::error_code ec;
  const fs::path target_dir = root_ / "corrupt" / format_message_id(msgid);
  if (fs::create_directories(target_dir, ec)) (void)sync_dir(root_ / "corrupt");
  fs::path dest = target_dir / file.filename();
  for (int n = 1; fs::exists(dest, ec); ++n) dest = target_dir / (file.filename().string() + "." + std::to_string(n));

  QueueRecovery::Quarantined q{relative(file), error, relative(dest)};
  if (::rename(file.c_str(), dest.c_str()) != 0) {
    // Cannot move it: leave it where it is, but never load it.
    q.moved_to = relative(file);
    q.error += " (could not move it: " + std::string(std::strerror(errno)) + ")";
  }
  // Keep the message with what refers to it, so nothing is lost.
  const fs::path message = file.parent_path() / "message";
  const fs::path message_copy = target_dir / "message";
  if (fs::exists(message, ec) && !fs::exists(message_copy, ec)) {
    if (::link(message.c_str(), message_copy.c_str()) != 0) fs::copy_file(message, message_copy, ec);
  }
  (void)sync_dir(target_dir);
  (void)sync_dir(file.parent_path());
  log_.warning("queue: quarantined " + q.path + ": " + q.error + "; moved to " + q.moved_to);
  recovery_.quarantined.push_back(std::move(q));
}

}  // namespace tether::smtp
