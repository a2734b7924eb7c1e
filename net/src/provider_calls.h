// A chunked content provider's answer produced one call at a time, for an answer that is parked
// between calls (parking.h) and so cannot keep its writer's state on a worker's stack. The same
// for HTTP/1.1 (bytes go out as chunks) and HTTP/2 (bytes go to the stream's DATA frames).
#pragma once

#include <httplib.h>

#include <functional>
#include <memory>

namespace kubedouble::net {

class ProviderCalls {
 public:
  // Body bytes onward (compressed already when asked); false: the client can take no more.
  using Out = std::function<bool(const char* data, size_t size)>;
  // The body is whole (HTTP/1.1: the last chunk; HTTP/2: the stream's end); false: not sent.
  using End = std::function<bool()>;
  // Whether the client can still be written to.
  using Writable = std::function<bool()>;

  ProviderCalls(httplib::ContentProvider provider,
                std::unique_ptr<httplib::detail::compressor> compressor, Out out, End end,
                Writable writable);
  ProviderCalls(const ProviderCalls&) = delete;
  ProviderCalls& operator=(const ProviderCalls&) = delete;

  enum class Step {
    kWrote,   // bytes went out: call again
    kQuiet,   // nothing written, the body goes on (the provider may have gone idle)
    kDone,    // the body is whole and sent
    kFailed,  // the provider gave up or the client is gone
  };
  Step Call();

 private:
  bool Send(const char* data, size_t size, bool last);

  httplib::ContentProvider provider_;
  std::unique_ptr<httplib::detail::compressor> compressor_;
  Out out_;
  End end_;
  httplib::DataSink sink_;
  size_t offset_ = 0;
  bool ok_ = true;
  bool done_ = false;
  bool wrote_ = false;
};

}  // namespace kubedouble::net
