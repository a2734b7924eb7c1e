// One call of a content provider at a time (see provider_calls.h).
#include "provider_calls.h"

#include <string>

namespace kubedouble::net {

ProviderCalls::ProviderCalls(httplib::ContentProvider provider,
                             std::unique_ptr<httplib::detail::compressor> compressor, Out out,
                             End end, Writable writable)
    : provider_(std::move(provider)),
      compressor_(std::move(compressor)),
      out_(std::move(out)),
      end_(std::move(end)) {
  sink_.write = [this](const char* data, size_t n) -> bool {
    if (!ok_ || done_) return false;
    offset_ += n;
    if (n == 0) return true;
    wrote_ = true;
    ok_ = Send(data, n, false);
    return ok_;
  };
  sink_.done = [this] {
    if (!ok_ || done_) return;
    done_ = true;
    ok_ = (compressor_ == nullptr || Send(nullptr, 0, true)) && end_();
  };
  sink_.is_writable = [this, writable = std::move(writable)] { return ok_ && writable(); };
}

bool ProviderCalls::Send(const char* data, size_t size, bool last) {
  if (compressor_ == nullptr) return out_(data, size);
  std::string payload;
  const bool packed = compressor_->compress(data, size, last, [&](const char* d, size_t l) {
    payload.append(d, l);
    return true;
  });
  return packed && (payload.empty() || out_(payload.data(), payload.size()));
}

ProviderCalls::Step ProviderCalls::Call() {
  wrote_ = false;
  const bool more = provider_(offset_, 0, sink_);
  if (!more || !ok_) return Step::kFailed;
  if (done_) return Step::kDone;
  return wrote_ ? Step::kWrote : Step::kQuiet;
}

}  // namespace kubedouble::net
