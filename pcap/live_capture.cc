#include "pcap/live_capture.h"

#include <pcap/pcap.h>

namespace tether::pcap {

Result<std::unique_ptr<LiveCapture>> LiveCapture::open(const LiveCaptureOptions& options) {
  const std::string& name = options.interface;
  char error[PCAP_ERRBUF_SIZE] = {};
  pcap_t* handle = pcap_create(name.c_str(), error);
  if (handle == nullptr) return make_error(ErrorCode::io, "capture on " + name + ": " + error);
  std::unique_ptr<LiveCapture> capture(new LiveCapture());
  capture->interface_ = name;
  capture->handle_ = handle;
  auto fail = [&](const std::string& what, int status) -> Error {
    std::string why = status == PCAP_ERROR || status == PCAP_ERROR_ACTIVATED ? pcap_geterr(handle)
                                                                              : pcap_statustostr(status);
    ErrorCode code = status == PCAP_ERROR_PERM_DENIED ? ErrorCode::permission_denied
                     : status == PCAP_ERROR_NO_SUCH_DEVICE ? ErrorCode::not_found
                                                            : ErrorCode::io;
    return make_error(code, "capture on " + name + ": " + what + ": " + why);
  };
  pcap_set_snaplen(handle, static_cast<int>(options.snaplen));
  pcap_set_promisc(handle, options.promiscuous ? 1 : 0);
  pcap_set_timeout(handle, static_cast<int>(options.poll.ns() / 1000'000));
  if (int status = pcap_set_buffer_size(handle, static_cast<int>(options.buffer_size)); status != 0)
    return fail("buffer size", status);
  if (int status = pcap_set_immediate_mode(handle, 1); status != 0) return fail("immediate mode", status);
  if (int status = pcap_set_tstamp_precision(handle, PCAP_TSTAMP_PRECISION_NANO); status != 0) {
    return fail("nanosecond timestamps", status);
  }
  if (int status = pcap_activate(handle); status < 0) return fail("activating", status);
  // A positive status is a warning (promiscuous mode not supported, ...):
  // the capture works.
  if (options.link_type != 0 && pcap_set_datalink(handle, options.link_type) != 0) {
    return fail("link type " + std::to_string(options.link_type), PCAP_ERROR);
  }
  capture->link_type_ = pcap_datalink(handle);
  if (!options.filter.empty()) {
    struct bpf_program program {};
    if (pcap_compile(handle, &program, options.filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
      return make_error(ErrorCode::invalid_argument,
                        "capture on " + name + ": filter '" + options.filter + "': " + pcap_geterr(handle));
    }
    int status = pcap_setfilter(handle, &program);
    pcap_freecode(&program);
    if (status != 0) return fail("setting the filter '" + options.filter + "'", status);
  }
  return capture;
}

LiveCapture::~LiveCapture() {
  if (handle_ != nullptr) pcap_close(handle_);
}

void LiveCapture::deliver(unsigned char* user, const ::pcap_pkthdr* header, const unsigned char* data) {
  auto* self = reinterpret_cast<LiveCapture*>(user);
  Record record;
  record.number = ++self->records_;
  record.at = WallTime::from_unix_ns(static_cast<std::int64_t>(header->ts.tv_sec) * 1000'000'000 +
                                     static_cast<std::int64_t>(header->ts.tv_usec));
  record.original_length = header->len;
  record.data = ByteView(data, header->caplen);
  (*self->on_record_)(record);
}

Result<void> LiveCapture::run(const std::function<void(const Record&)>& on_record) {
  on_record_ = &on_record;
  // pcap_breakloop alone may be missed if it comes between two
  // pcap_dispatch calls (pcap_breakloop(3PCAP)); the flag is looked at
  // between them, and the poll timeout bounds the wait in one.
  while (!stopping_.load()) {
    int status = pcap_dispatch(handle_, -1, &LiveCapture::deliver, reinterpret_cast<unsigned char*>(this));
    if (status == PCAP_ERROR_BREAK) continue;
    if (status < 0) {
      on_record_ = nullptr;
      return make_error(ErrorCode::io, "capture on " + interface_ + ": " + pcap_geterr(handle_));
    }
  }
  on_record_ = nullptr;
  return {};
}

void LiveCapture::stop() {
  stopping_.store(true);
  pcap_breakloop(handle_);
}

LiveCapture::Stats LiveCapture::stats() const {
  struct pcap_stat s {};
  if (pcap_stats(handle_, &s) != 0) return {};
  return Stats{s.ps_recv, s.ps_drop};
}

}  // namespace tether::pcap
