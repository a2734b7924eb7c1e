#include "kubedouble/accesslib/log.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace kubedouble::access {

namespace {

// klog's severity letter: I (info and the -v levels), W, E.
class KlogSeverity : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    dest.push_back(msg.level >= spdlog::level::err    ? 'E'
                   : msg.level == spdlog::level::warn ? 'W'
                                                      : 'I');
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<KlogSeverity>();
  }
};

}  // namespace

void SetVerbosity(int verbosity) {
  auto logger = std::make_shared<spdlog::logger>("kubedouble",
                                                 std::make_shared<spdlog::sinks::stderr_sink_mt>());
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<KlogSeverity>('*').set_pattern("%*%m%d %H:%M:%S.%f %v");
  logger->set_formatter(std::move(formatter));
  logger->set_level(verbosity >= 6 ? spdlog::level::debug : spdlog::level::warn);
  spdlog::set_default_logger(logger);
}

void LogWarning(const std::string& message) { spdlog::warn("{}", message); }

}  // namespace kubedouble::access
