#include "inject.h"

#include <fmt/format.h>
#include <openssl/rand.h>

#include <thread>

#include "../status.h"

namespace kubedouble::fake {

namespace {

std::string DefaultMessage(int code) {
  switch (code) {
    case 429:
      return "Too many requests, please try again later.";
    case 500:
      return "Internal error occurred: injected fault";
    case 503:
      return "the server is currently unable to handle the request";
    case 504:
      return "the server was unable to return a response in the time allotted, but may "
             "still be processing the request";
    case 404:
      return "the server could not find the requested resource";
    case 409:
      return "the server reported a conflict";
    default:
      return fmt::format("the server answered {} (injected fault)", code);
  }
}

}  // namespace

FaultRequest FaultRequestOf(const httplib::Request& req, const RequestInfo& info,
                            const std::string& user) {
  FaultRequest q;
  q.method = req.method;
  q.path = req.path;
  q.verb = info.verb;
  q.resource = info.subresource.empty() ? info.resource : info.resource + "/" + info.subresource;
  q.ns = info.ns;
  q.user = user;
  q.header = [&req](const std::string& name) { return req.get_header_value(name.c_str()); };
  return q;
}

bool InjectBefore(const FaultSet::Fired& fault, const httplib::Request& req, httplib::Response& res,
                  net::Exchange& ex) {
  if (fault.delay.count() > 0) std::this_thread::sleep_for(fault.delay);
  const FaultRule& r = fault.rule;
  switch (r.action) {
    case FaultAction::kStatus: {
      int retry = r.retry_after_seconds;
      if (retry < 0 && (r.status == 429 || r.status == 503)) retry = 1;
      nlohmann::json details = nullptr;
      if (retry >= 0) details = {{"retryAfterSeconds", retry}};  // and Retry-After (SendError)
      SendError(res,
                StatusError(r.status, std::string(base::ReasonForCode(r.status)),
                            r.message.empty() ? DefaultMessage(r.status) : r.message, details));
      return true;
    }
    case FaultAction::kConnectionReset:
    case FaultAction::kEmptyResponse:
      if (r.action == FaultAction::kConnectionReset) {
        ex.Reset();  // RST
      } else {
        ex.Close();  // FIN, no answer
      }
      res.status = 0;
      return true;
    case FaultAction::kRandomDataThenClose: {
      unsigned char junk[512];
      RAND_bytes(junk, sizeof junk);
      // Inside the TLS stream: the client's HTTP parser gets the garbage.
      ex.WriteRaw(std::string_view(reinterpret_cast<const char*>(junk), sizeof junk));
      ex.Close();
      res.status = 0;
      return true;
    }
    case FaultAction::kMalformedChunk: {
      res.status = 200;
      net::Exchange* conn = &ex;  // the provider runs while the answer is written
      const bool http2 = req.version == "HTTP/2.0";
      res.set_chunked_content_provider(
          "application/json", [conn, http2](size_t, httplib::DataSink& sink) {
            static const char kStart[] = "{\"kind\":";
            sink.write(kStart, sizeof kStart - 1);  // one well-formed chunk (HTTP/2: a DATA frame)
            if (http2) {
              // HTTP/2 has no chunks, and garbage between frames is read differently by each
              // client (curl may even take the answer as whole): the connection breaks off
              // after the first DATA frame instead.
              conn->Flush();
              conn->Reset();
              return false;
            }
            static const char kBad[] = "zz\r\nnot a chunk\r\n";  // size line is not hex
            conn->WriteRaw(std::string_view(kBad, sizeof kBad - 1));
            conn->Close();
            return false;
          });
      return true;
    }
    default:
      return false;
  }
}

void InjectAfter(const FaultSet::Fired& fault, const httplib::Request&, httplib::Response& res,
                 net::Exchange& ex) {
  const FaultRule& r = fault.rule;
  ex.UnshareBody();  // the rules below reshape res.body
  if (r.action == FaultAction::kCloseWatch && res.content_provider_ &&
      res.is_chunked_content_provider_) {
    auto inner = std::move(res.content_provider_);
    auto count = std::make_shared<int>(0);
    int limit = r.close_watch_after;
    res.content_provider_ = [inner, count, limit](size_t offset, size_t length,
                                                  httplib::DataSink& sink) {
      if (*count >= limit) {
        sink.done();
        return true;
      }
      httplib::DataSink proxy;
      bool done = false;
      proxy.write = [&](const char* data, size_t n) {
        if (*count >= limit) return true;
        bool ok = sink.write(data, n);
        if (n > 0 && data[n - 1] == '\n') ++*count;  // one watch event per line
        return ok;
      };
      proxy.done = [&] {
        done = true;
        sink.done();
      };
      proxy.is_writable = [&] { return sink.is_writable(); };
      bool ok = inner(offset, length, proxy);
      if (ok && !done && *count >= limit) sink.done();
      return ok;
    };
    return;
  }
  if (r.action == FaultAction::kSlowBody && !res.content_provider_ && !res.body.empty()) {
    auto body = std::make_shared<std::string>(std::move(res.body));
    res.body.clear();
    std::string type = res.get_header_value("Content-Type");
    res.headers.erase("Content-Type");
    size_t pieces = std::min<size_t>(body->size(), 20);
    size_t piece = (body->size() + pieces - 1) / pieces;
    auto pause = r.slow_body / static_cast<int>(pieces);
    res.set_content_provider(body->size(), type.c_str(),
                             [body, piece, pause](size_t offset, size_t, httplib::DataSink& sink) {
                               if (offset > 0) std::this_thread::sleep_for(pause);
                               size_t n = std::min(piece, body->size() - offset);
                               return sink.write(body->data() + offset, n);
                             });
  }
}

}  // namespace kubedouble::fake
