// The HTTP/1.1 hand-over (see http_server.h): on a worker, the requests of a connection whose
// head is whole, answered in turn (or an upgrade's bytes), until the connection goes back to
// the loop or ends.
#include <strings.h>

#include "answer.h"
#include "http1.h"
#include "http_server_impl.h"

namespace kubedouble::net {

namespace {

bool EqualsIgnoreCase(const std::string& a, const char* b) { return strcasecmp(a.c_str(), b) == 0; }

// The bytes after 101 Switching Protocols, over the connection.
class ConnectionStream : public UpgradedStream {
 public:
  explicit ConnectionStream(Connection& c) : c_(c) {}
  ssize_t Read(char* data, size_t size) override { return c_.ReadSome(data, size); }
  bool Write(const char* data, size_t size) override { return c_.Write(data, size); }
  void Close() override { c_.Shutdown(); }

 private:
  Connection& c_;
};

}  // namespace

// On a worker: the requests of a connection whose head is whole, until it goes back to the loop.
void HttpServer::Impl::Serve(const std::shared_ptr<Connection>& conn) {
  for (;;) {
    httplib::Request req;
    const int bad = http1::ParseHead(*conn, req);
    if (bad != 0) {
      Refuse(conn, req, bad, http1::Refusal(bad));
      return Drain(conn);
    }
    Identify(*conn, req);
    const bool over = !TakePlace(*conn);
    auto ex = std::make_unique<Exchange>(conn, over);
    ex->request = std::move(req);
    auto body = std::make_shared<http1::Body>(http1::BodyOf(ex->request));
    Connection* c = conn.get();
    const size_t max_body = options.max_body;
    ex->SetBody(body->present, std::make_unique<httplib::ContentReader>(
                                   [c, body, max_body](const httplib::ContentReceiver& receiver) {
                                     return http1::ReadBody(*c, *body, max_body, receiver);
                                   },
                                   [](const httplib::MultipartContentHeader&,
                                      const httplib::ContentReceiver&) { return false; }));
    RunHandler(*ex);
    if (ex->upgraded() && !conn->ended()) {
      if (ex->response.status == -1) ex->response.status = 101;
      const std::string head = http1::Head(ex->response);
      {
        std::lock_guard lock(conn->mu);
        conn->state = Connection::State::kUpgraded;
      }
      if (conn->Write(head.data(), head.size())) {
        ConnectionStream stream(*conn);
        ex->taker()(stream);
      }
      conn->Shutdown();
      return Post(conn->id());
    }
    if (conn->ended()) return Post(conn->id());  // reset or closed by the handler
    const std::string& version = ex->request.version;
    const std::string connection = ex->request.get_header_value("Connection");
    bool close = stopping || over || !body->done || EqualsIgnoreCase(connection, "close") ||
                 (version == "HTTP/1.0" && !EqualsIgnoreCase(connection, "keep-alive")) ||
                 EqualsIgnoreCase(ex->response.get_header_value("Connection"), "close");
    if (ex->response.content_provider_) {  // a stream stops when its client goes
      std::lock_guard lock(conn->mu);
      conn->streaming = true;
      conn->ListenForHangUp();
    }
    if (ex->waker() && ex->response.content_provider_ &&
        ex->response.is_chunked_content_provider_ && ex->request.method != "HEAD") {
      return StartParked(conn, nullptr, std::move(ex), close);  // waits without this thread
    }
    const bool written = http1::WriteAnswer(*conn, ex->request, ex->response, close,
                                            [this] { return stopping.load(); });
    ex.reset();
    if (AfterAnswer(conn, close, written) == Next::kDone) return;
  }
}

HttpServer::Impl::Next HttpServer::Impl::AfterAnswer(const std::shared_ptr<Connection>& conn,
                                                     bool close, bool written) {
  bool hung_up;
  {
    std::lock_guard lock(conn->mu);
    conn->on_hang_up.clear();
    conn->streaming = false;
    hung_up = conn->hung_up;
  }
  if (!written || conn->ended()) {
    conn->Close();
    Post(conn->id());
    return Next::kDone;
  }
  if (close || hung_up) {
    Drain(conn);
    return Next::kDone;
  }
  if (conn->HeadReady()) return Next::kServe;  // the client sent its next request already
  // A busy client sends its next request within moments: waited for here, it needs no trip
  // through the loop (a wake-up and a hand-over less per request).
  if (!conn->rejected() && conn->WaitBriefly(kKeepServing) &&
      conn->ReadNow() != Connection::Fill::kEnd && conn->HeadReady()) {
    return Next::kServe;
  }
  if (conn->rejected()) {
    const std::string& answer = conn->rejection();
    Refuse(conn, httplib::Request{}, answer.size() > 12 ? std::atoi(answer.c_str() + 9) : 0,
           answer);
    Drain(conn);
    return Next::kDone;
  }
  // Back to the loop, to wait for the next head.
  std::lock_guard lock(conn->mu);
  conn->state = Connection::State::kIdle;
  conn->since = Connection::Clock::now();
  conn->head_timing = !conn->input().empty();
  conn->head_started = conn->since;
  conn->Listen(kWaitForBytes);
  return Next::kDone;
}

}  // namespace kubedouble::net
