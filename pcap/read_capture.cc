#include "pcap/read_capture.h"

#include "pcap/capture_file.h"

namespace tether::pcap {
namespace {

// Counts the errors on their way to the consumer.
class CountingVisitor : public PacketVisitor {
 public:
  explicit CountingVisitor(PacketVisitor& inner) : inner_(inner) {}
  void on_datagram(const Datagram& d) override { inner_.on_datagram(d); }
  void on_segment(const Segment& s) override { inner_.on_segment(s); }
  void on_icmp(const IcmpMessage& m) override { inner_.on_icmp(m); }
  void on_error(const DecodeError& e) override {
    ++errors;
    inner_.on_error(e);
  }
  std::uint64_t errors = 0;

 private:
  PacketVisitor& inner_;
};

}  // namespace

Result<ReadSummary> read_capture(const std::string& path, std::size_t capture, PacketVisitor& visitor,
                                 ReassemblyLimits limits) {
  auto file = CaptureFile::open(path);
  if (!file) return file.error();
  CaptureFile& input = **file;
  if (!link_type_supported(input.link_type())) {
    return make_error(ErrorCode::unsupported, path + ": link type " + link_type_name(input.link_type()) +
                                                  " is not one tether reads (Ethernet, Linux cooked SLL/SLL2, "
                                                  "raw IP, PPP, NULL/LOOP)");
  }
  CountingVisitor counting(visitor);
  Decoder decoder(input.link_type(), counting, limits);
  Origin origin;
  origin.capture = capture;
  origin.capture_name = path;
  for (;;) {
    auto record = input.next();
    if (!record) {
      // The message reads "FILE: packet N: WHY"; DecodeError puts the first
      // two back.
      origin.packet_number = input.records_read() + 1;
      std::string why = record.error().message;
      std::string prefix = path + ": packet " + std::to_string(origin.packet_number) + ": ";
      if (why.compare(0, prefix.size(), prefix) == 0) why.erase(0, prefix.size());
      counting.on_error(DecodeError{origin, why});
      break;
    }
    if (!*record) break;
    origin.packet_number = (*record)->number;
    origin.at = (*record)->at;
    decoder.decode(origin, (*record)->data, (*record)->original_length);
  }
  decoder.finish();
  return ReadSummary{input.link_type(), input.records_read(), counting.errors};
}

}  // namespace tether::pcap
