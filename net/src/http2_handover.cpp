// The HTTP/2 hand-overs (see http_server.h): a connection whose handshake chose "h2" gets its
// session; each stream's request goes to a worker (quick ones read together to one worker),
// and whole answers are sent by whichever thread holds the session.
#include "answer.h"
#include "http1.h"
#include "http_server_impl.h"

namespace kubedouble::net {

// On the loop: the handshake chose "h2".
void HttpServer::Impl::StartHttp2(const std::shared_ptr<Connection>& conn) {
  http2::Session::Hooks hooks;
  std::weak_ptr<Connection> weak = conn;
  hooks.dispatch = [this, weak](const std::shared_ptr<http2::Stream>& stream) {
    auto c = weak.lock();
    return c ? DispatchStream(c, stream) : true;
  };
  const uint64_t id = conn->id();
  hooks.wake = [this, id] { PostHttp2(id); };
  hooks.refused = refused;
  auto session =
      std::make_unique<http2::Session>(*conn, std::move(hooks), options.max_body,
                                       options.io_timeout, options.max_concurrent_streams);
  {
    std::lock_guard lock(conn->mu);
    conn->h2 = std::move(session);
    conn->since = Connection::Clock::now();
  }
  // The client's preface may have come with the handshake's end.
  Http2Step(conn, [](http2::Session& s) { return s.Start() && s.OnEvent(); });
}

bool HttpServer::Impl::Http2Listen(Connection& conn, bool ok) {
  if (!ok || conn.h2->Over()) return false;
  conn.Listen(EPOLLIN | EPOLLRDHUP | EPOLLONESHOT |
              (conn.h2->WantsWrite() ? uint32_t{EPOLLOUT} : 0u));
  return true;
}

// On the loop: a stream's request head is whole.
bool HttpServer::Impl::DispatchStream(const std::shared_ptr<Connection>& conn,
                                      const std::shared_ptr<http2::Stream>& stream) {
  Identify(*conn, stream->request);
  const bool over = !TakePlace(*conn);
  if (!over && !stream->has_body && options.answers_at_once &&
      options.answers_at_once(stream->request)) {
    conn->h2_quick.push_back(stream);
    return false;
  }
  pool.Submit([this, conn, stream, over] { ServeStream(conn, stream, over); });
  return over;
}

std::unique_ptr<Exchange> HttpServer::Impl::StreamExchange(
    const std::shared_ptr<Connection>& conn, const std::shared_ptr<http2::Stream>& stream,
    bool over) {
  auto ex = std::make_unique<Exchange>(conn, stream, over);
  ex->request = std::move(stream->request);
  if (!stream->has_body) return ex;  // body() reads nothing
  http2::Stream* s = stream.get();
  const size_t max_body = options.max_body;
  ex->SetBody(true, std::make_unique<httplib::ContentReader>(
                        [s, max_body](const httplib::ContentReceiver& receiver) {
                          return s->ReadBody(max_body, receiver);
                        },
                        [](const httplib::MultipartContentHeader&,
                           const httplib::ContentReceiver&) { return false; }));
  return ex;
}

// On a worker.
void HttpServer::Impl::ServeStream(const std::shared_ptr<Connection>& conn,
                                   const std::shared_ptr<http2::Stream>& stream, bool over) {
  auto ex = StreamExchange(conn, stream, over);
  RunHandler(*ex);
  AnswerStream(conn, stream, std::move(ex), true);
}

// On the loop: its answer handed (whole) for the caller's SendHanded, or given to a worker when
// the handler's answer is a stream, an upgrade or the connection's end.
void HttpServer::Impl::ServeStreamOnLoop(const std::shared_ptr<Connection>& conn,
                                         const std::shared_ptr<http2::Stream>& stream) {
  auto ex = StreamExchange(conn, stream, false);
  RunHandler(*ex);
  if (conn->ended() || ex->upgraded() || ex->response.content_provider_) {
    auto held = std::make_shared<std::unique_ptr<Exchange>>(std::move(ex));
    return pool.Submit(
        [this, conn, stream, held] { AnswerStream(conn, stream, std::move(*held), true); });
  }
  AnswerStream(conn, stream, std::move(ex), false);
}

void HttpServer::Impl::AnswerStream(const std::shared_ptr<Connection>& conn,
                                    const std::shared_ptr<http2::Stream>& stream,
                                    std::unique_ptr<Exchange> ex, bool send) {
  if (conn->ended()) return Post(conn->id());  // reset or closed by the handler (a fault)
  bool whole = false;
  if (ex->upgraded()) {
    stream->Reset(NGHTTP2_HTTP_1_1_REQUIRED);  // 101 is HTTP/1.1's
  } else if (ex->waker() && ex->response.content_provider_ &&
             ex->response.is_chunked_content_provider_ && ex->request.method != "HEAD") {
    return StartParked(conn, stream, std::move(ex), false);  // waits without this thread
  } else if (!http2::WriteAnswer(
                 *stream, ex->request, ex->response, ex->shared_body(),
                 [this] { return stopping.load(); }, whole)) {
    stream->Reset(NGHTTP2_INTERNAL_ERROR);
  }
  ex.reset();
  stream->ForgetHangUp();  // the handler's callbacks die with it
  if (whole) {             // sent from here (or by the session's holder): no wake-up of the loop
    conn->h2->Hand(stream->id());
    if (send) SendHanded(conn);
  }
  if (conn->ended()) Post(conn->id());
}

void HttpServer::Impl::SendHanded(const std::shared_ptr<Connection>& conn) {
  http2::Session& session = *conn->h2;
  while (session.Handed() && session.mu.try_lock()) {
    const bool goes_on = Http2Listen(*conn, session.Pump());
    session.mu.unlock();
    if (!goes_on) return Post(conn->id());  // the loop forgets it
  }
}

}  // namespace kubedouble::net
