#pragma once
// A logger that stamps every record with the Host's clock, so that a log from
// the ns-3 world reads in simulated time and one from tetherd in real time.
// Core does no I/O: where records go is the sink a driver installs.

#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>

#include "core/time.h"

namespace tether {

enum class LogLevel { debug, info, warning, error, off };

const char* to_string(LogLevel level);
Result<LogLevel> parse_log_level(std::string_view text);

struct LogRecord {
  Time time;
  LogLevel level;
  std::string_view component;  // "tunnel", "smtp.server", "host.posix"
  std::string_view message;
};

// "[    12.345678] info  tunnel: handshake completed with peer abc"
std::string format_log_record(const LogRecord& record);

class Logger {
 public:
  using Clock = std::function<Time()>;
  using Sink = std::function<void(const LogRecord&)>;

  // A logger that discards everything (for code under test that needs one).
  Logger();
  Logger(Clock clock, Sink sink, LogLevel threshold = LogLevel::info);

  // A logger for a sub-component sharing this one's clock, sink and level.
  Logger child(std::string component) const;

  void set_threshold(LogLevel level) { shared_->threshold = level; }
  LogLevel threshold() const { return shared_->threshold; }
  bool enabled(LogLevel level) const { return level >= shared_->threshold && shared_->sink; }
  const std::string& component() const { return component_; }

  void log(LogLevel level, std::string_view message) const;
  void debug(std::string_view m) const { log(LogLevel::debug, m); }
  void info(std::string_view m) const { log(LogLevel::info, m); }
  void warning(std::string_view m) const { log(LogLevel::warning, m); }
  void error(std::string_view m) const { log(LogLevel::error, m); }

 private:
  struct Shared {
    Clock clock;
    Sink sink;
    LogLevel threshold = LogLevel::info;
  };
  std::shared_ptr<Shared> shared_;
  std::string component_;
};

}  // namespace tether
