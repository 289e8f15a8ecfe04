// RelayQueue (queue.c): commits and removals run off the loop and are
// counted while they do; a queue closed meanwhile leaves their outcome to
// the next recovery.

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>

#include "node/relay_parts.h"
#include "node/relay_queue.h"

using namespace tether;
using namespace tether::node;
using namespace tether::testing;

namespace {

const char kConf[] =
    "action \"local_mail\" maildir\n"
    "match from any for domain \"example.org\" action \"local_mail\"\n";

struct Committing {
  bool called = false;
  Result<smtp::MessageId> result = Error(ErrorCode::closed, "not yet");
  bool queued = false;
};

void commit(RelayParts& p, Committing& out, const std::string& rcpt = "someone@example.org") {
  auto message = p.queue.store().create_message();
  BOOST_TEST_REQUIRE(message.ok());
  smtp::Envelope e;
  e.type = smtp::DeliveryType::mda;
  e.sender = "a@example.net";
  e.rcpt = rcpt;
  e.dest = rcpt;
  e.destination = "example.org";
  e.action = "local_mail";
  const std::string text = "Subject: hi\r\n\r\nHello.\r\n";
  p.queue.commit(std::move(*message), ByteView(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()), {e},
                 [&out](Result<smtp::MessageId> r, const smtp::CommitJob* job) {
                   out.called = true;
                   out.result = std::move(r);
                   out.queued = job != nullptr;
                 });
}

}  // namespace

BOOST_AUTO_TEST_SUITE(relay_queue)

BOOST_AUTO_TEST_CASE(a_commit_is_counted_until_its_file_work_is_done) {
  RelayParts p(kConf);
  Committing c;
  commit(p, c);
  BOOST_TEST(p.queue.writes_in_flight() == 1u);
  BOOST_TEST(p.held.held() == 1u);
  p.run();
  BOOST_TEST(!c.called);  // still "on a worker thread"
  p.release();
  BOOST_TEST(c.called);
  BOOST_TEST_REQUIRE(c.result.ok());
  BOOST_TEST(c.queued);
  BOOST_TEST(p.queue.writes_in_flight() == 0u);
  BOOST_TEST(p.queue.store().envelopes_of(*c.result).size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_commit_finishing_after_close_is_told_the_relay_is_stopping) {
  RelayParts p(kConf);
  Committing c;
  commit(p, c);
  p.queue.close();
  BOOST_TEST(!p.queue.is_open());
  BOOST_TEST(p.queue.writes_in_flight() == 0u);
  p.release();
  BOOST_TEST(c.called);
  BOOST_TEST(!c.result.ok());
  BOOST_TEST(c.result.error().message == "the relay is stopping");
  BOOST_TEST(!c.queued);
  // What the job renamed into queue/ is found by the next recovery.
  BOOST_TEST_REQUIRE(p.queue.open(p.host.storage_root() / "queue", true).ok());
  BOOST_TEST(p.queue.store().envelopes().size() == 1u);
  BOOST_TEST(p.log().find("queue recovered: 1 messages, 1 envelopes") != std::string::npos, p.log());
}

BOOST_AUTO_TEST_CASE(a_forgotten_envelope_leaves_the_index_at_once_and_the_rest_of_its_files_off_the_loop) {
  RelayParts p(kConf);
  const smtp::EnvelopeId id = p.queue_message("a@example.net", {"someone@example.org"}, "local_mail").front();
  p.queue.forget(id, "delivered");
  BOOST_TEST(p.queue.store().find(id) == nullptr);
  BOOST_TEST(p.queue.writes_in_flight() == 1u);
  p.release();
  BOOST_TEST(p.queue.writes_in_flight() == 0u);
  p.queue.close();
  BOOST_TEST_REQUIRE(p.queue.open(p.host.storage_root() / "queue", true).ok());
  BOOST_TEST(p.queue.store().envelopes().empty());
}

// Issue 14, hole 4: "delivered" is recorded the moment forget() is called
// (the next hop's 250, the maildir rename), not when a worker gets to the
// removal job, which may wait behind other commits' fsyncs. A crash (here:
// the queue closed, then recovered) before the job runs must not bring the
// envelope back to be delivered a second time.
BOOST_AUTO_TEST_CASE(a_delivery_is_recorded_before_its_file_work_runs) {
  RelayParts p(kConf);
  const smtp::EnvelopeId id = p.queue_message("a@example.net", {"someone@example.org"}, "local_mail").front();
  const std::filesystem::path envelope_file =
      p.queue.store().message_path(smtp::message_of(id)).parent_path() / smtp::format_envelope_id(id);
  BOOST_TEST_REQUIRE(std::filesystem::exists(envelope_file));
  p.queue.forget(id, "delivered");
  BOOST_TEST(p.held.held() == 1u);  // the rest of the removal is still "on a worker thread"
  BOOST_TEST(!std::filesystem::exists(envelope_file), "the envelope file outlived the delivery");
  p.queue.close();  // killed before the removal's file work ran
  BOOST_TEST_REQUIRE(p.queue.open(p.host.storage_root() / "queue", true).ok());
  BOOST_TEST(p.queue.store().find(id) == nullptr, "recovery brought a delivered envelope back");
  BOOST_TEST(p.queue.store().message_count() == 0u);  // the message without envelopes went at recovery
  p.release();  // the old job finds its queue closed and does nothing
  BOOST_TEST(p.queue.writes_in_flight() == 0u);
}

BOOST_AUTO_TEST_CASE(an_unopenable_queue_names_its_directory) {
  RelayParts p(kConf);
  p.queue.close();
  const std::filesystem::path file = p.host.storage_root() / "not-a-dir";
  { std::ofstream(file) << "x"; }
  Result<void> r = p.queue.open(file, true);
  BOOST_TEST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().message.find("queue " + file.string() + ": ") == 0u, r.error().message);
}

BOOST_AUTO_TEST_SUITE_END()
