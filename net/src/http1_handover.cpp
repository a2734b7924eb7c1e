// The HTTP/1.1 hand-over (see http_server.h): on a worker, the requests of a connection whose
// head is whole, answered in turn (or an upgrade's bytes), until the connection goes back to
// the loop or ends.
#include "answer.h"
#include "ascii_case.h"
#include "header_scan.h"
#include "http1.h"
#include "http_server_impl.h"

namespace kubedouble::net {

namespace {

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

bool HttpServer::Impl::NextCall(const std::shared_ptr<Connection>& conn, Http1Call& call) {
  httplib::Request req;
  const int bad = http1::ParseHead(*conn, req);
  if (bad != 0) {
    Refuse(conn, req, bad, http1::Refusal(bad));
    Drain(conn);
    return false;
  }
  Identify(*conn, req);
  call.over = !TakePlace(*conn);
  call.ex = std::make_unique<Exchange>(conn, call.over);
  call.ex->request = std::move(req);
  auto body = std::make_shared<http1::Body>(http1::BodyOf(call.ex->request));
  call.body = body;
  Connection* c = conn.get();
  const size_t max_body = options.max_body;
  call.ex->SetBody(body->present,
                   std::make_unique<httplib::ContentReader>(
                       [c, body, max_body](const httplib::ContentReceiver& receiver) {
                         return http1::ReadBody(*c, *body, max_body, receiver);
                       },
                       [](const httplib::MultipartContentHeader&, const httplib::ContentReceiver&) {
                         return false;
                       }));
  return true;
}

bool HttpServer::Impl::Closes(const Http1Call& call) const {
  const httplib::Request& req = call.ex->request;
  const std::string& version = req.version;
  const std::string_view connection = HeaderValue(req.headers, "Connection");
  return stopping || call.over || !call.body->done || EqualsIgnoreCase(connection, "close") ||
         (version == "HTTP/1.0" && !EqualsIgnoreCase(connection, "keep-alive")) ||
         EqualsIgnoreCase(HeaderValue(call.ex->response.headers, "Connection"), "close");
}

// On a worker.
void HttpServer::Impl::Serve(const std::shared_ptr<Connection>& conn,
                             std::shared_ptr<Http1Call> first, bool handled) {
  for (;;) {
    Http1Call next;
    Http1Call& call = first ? *first : next;
    if (!first && !NextCall(conn, call)) return;
    if (!handled) RunHandler(*call.ex);
    first.reset();
    handled = false;
    if (Answer(conn, call) == Next::kDone) return;
  }
}

HttpServer::Impl::Next HttpServer::Impl::Answer(const std::shared_ptr<Connection>& conn,
                                                Http1Call& call) {
  std::unique_ptr<Exchange>& ex = call.ex;
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
    Post(conn->id());
    return Next::kDone;
  }
  if (conn->ended()) {  // reset or closed by the handler
    Post(conn->id());
    return Next::kDone;
  }
  const bool close = Closes(call);
  if (ex->response.content_provider_) {  // a stream stops when its client goes
    std::lock_guard lock(conn->mu);
    conn->streaming = true;
    conn->ListenForHangUp();
  }
  if (ex->waker() && ex->response.content_provider_ && ex->response.is_chunked_content_provider_ &&
      ex->request.method != "HEAD") {
    StartParked(conn, nullptr, std::move(ex), close);  // waits without this thread
    return Next::kDone;
  }
  if (!ex->response.content_provider_) {
    // A whole answer leaves as a quick one does: what the client cannot take yet is written on
    // by the loop as it reads, and this worker goes back to the pool (a slow reader holds none).
    std::string bytes = http1::AnswerBytes(ex->request, ex->response, ex->shared_body(), close);
    ex.reset();
    return SendOnLoop(conn, std::move(bytes), 0, close, true);
  }
  const bool written = http1::WriteAnswer(*conn, ex->request, ex->response, close,
                                          [this] { return stopping.load(); });
  ex.reset();
  return AfterAnswer(conn, close, written);
}

void HttpServer::Impl::ServeOnLoop(const std::shared_ptr<Connection>& conn) {
  for (;;) {
    auto call = std::make_shared<Http1Call>();
    if (!NextCall(conn, *call)) return;
    if (call->over || call->body->present || !options.answers_at_once ||
        !options.answers_at_once(call->ex->request)) {
      return pool.Submit([this, conn, call] { Serve(conn, call, false); });
    }
    RunHandler(*call->ex);
    httplib::Response& res = call->ex->response;
    if (call->ex->upgraded() || conn->ended() || res.content_provider_) {  // not so quick
      return pool.Submit([this, conn, call] { Serve(conn, call, true); });
    }
    const bool close = Closes(*call);
    std::string bytes = http1::AnswerBytes(call->ex->request, res, call->ex->shared_body(), close);
    call.reset();
    if (SendOnLoop(conn, std::move(bytes), 0, close) == Next::kDone) return;
  }
}

HttpServer::Impl::Next HttpServer::Impl::SendOnLoop(const std::shared_ptr<Connection>& conn,
                                                    std::string bytes, size_t from, bool close,
                                                    bool wait) {
  size_t done = from;
  int n = 0;
  while (done < bytes.size() &&
         (n = conn->WriteNow(bytes.data() + done, bytes.size() - done)) > 0) {
    done += static_cast<size_t>(n);
  }
  if (n < 0) return AfterAnswer(conn, close, false, false);
  if (done < bytes.size()) {  // the client reads slowly: written on when it can take more
    std::lock_guard lock(conn->mu);
    if (conn->state != Connection::State::kWriting || done > from) {
      conn->since = Connection::Clock::now();  // the last progress
    }
    // The handler has returned: its hang-up callbacks go with it (the loop, not a worker, now
    // watches the connection, and its end is the failed write).
    conn->on_hang_up.clear();
    conn->streaming = false;
    conn->state = Connection::State::kWriting;
    conn->unsent = std::move(bytes);
    conn->unsent_pos = done;
    conn->close_after = close;
    conn->Listen(EPOLLOUT | EPOLLONESHOT);
    return Next::kDone;
  }
  {
    std::lock_guard lock(conn->mu);
    conn->state = Connection::State::kActive;
  }
  return AfterAnswer(conn, close, true, wait);
}

HttpServer::Impl::Next HttpServer::Impl::AfterAnswer(const std::shared_ptr<Connection>& conn,
                                                     bool close, bool written, bool wait) {
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
  if (wait && !conn->rejected() && conn->WaitBriefly(kKeepServing) &&
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
  conn->ReleaseInput();
  std::lock_guard lock(conn->mu);
  conn->state = Connection::State::kIdle;
  conn->since = Connection::Clock::now();
  conn->head_timing = !conn->input().empty();
  conn->head_started = conn->since;
  conn->Listen(kWaitForBytes);
  return Next::kDone;
}

}  // namespace kubedouble::net
