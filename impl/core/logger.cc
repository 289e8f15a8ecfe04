#include "core/logger.h"

#include <cstdio>

namespace tether {

const char* to_string(LogLevel level) {
  switch (level) {
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::warning: return "warning";
    case LogLevel::error: return "error";
    case LogLevel::off: return "off";
  }
  return "?";
}

Result<LogLevel> parse_log_level(std::string_view text) {
  for (LogLevel l : {LogLevel::debug, LogLevel::info, LogLevel::warning, LogLevel::error, LogLevel::off})
    if (text == to_string(l)) return l;
  return Error(ErrorCode::invalid_argument,
               "unknown log level '" + std::string(text) + "' (use debug, info, warning, error or off)");
}

std::string format_log_record(const LogRecord& record) {
  char stamp[48];
  std::int64_t ns = record.time.ns();
  std::snprintf(stamp, sizeof stamp, "[%12lld.%06lld] %-7s ", static_cast<long long>(ns / 1000'000'000),
                static_cast<long long>((ns % 1000'000'000) / 1000), to_string(record.level));
  std::string line = stamp;
  if (!record.component.empty()) {
    line += record.component;
    line += ": ";
  }
  line += record.message;
  return line;
}

Logger::Logger() : shared_(std::make_shared<Shared>()) { shared_->threshold = LogLevel::off; }

Logger::Logger(Clock clock, Sink sink, LogLevel threshold) : shared_(std::make_shared<Shared>()) {
  shared_->clock = std::move(clock);
  shared_->sink = std::move(sink);
  shared_->threshold = threshold;
}

Logger Logger::child(std::string component) const {
  Logger c = *this;
  c.component_ = component_.empty() ? std::move(component) : component_ + "." + component;
  return c;
}

void Logger::log(LogLevel level, std::string_view message) const {
  if (!enabled(level)) return;
  LogRecord record{shared_->clock ? shared_->clock() : Time::zero(), level, component_, message};
  shared_->sink(record);
}

}  // namespace tether
