// Parked answers (see http_server.h): a streamed answer whose provider waits without a thread
// (exchange.h, StreamWaker) is called on a worker until it goes idle, then parked with no
// thread until a wake-up, over both protocols.
#include "answer.h"
#include "http1.h"
#include "http_server_impl.h"

namespace kubedouble::net {

void HttpServer::Impl::StartParked(const std::shared_ptr<Connection>& conn,
                                   const std::shared_ptr<http2::Stream>& stream,
                                   std::unique_ptr<Exchange> ex, bool close) {
  auto p = std::make_shared<Parked>();
  p->conn = conn;
  p->stream = stream;
  p->close = close;
  p->parking = std::static_pointer_cast<Parking>(ex->waker());
  httplib::Response& res = ex->response;
  Connection* c = conn.get();
  http2::Stream* s = stream.get();
  std::unique_ptr<httplib::detail::compressor> compressor;
  ProviderCalls::Out out;
  ProviderCalls::End end;
  ProviderCalls::Writable writable;
  if (stream) {
    compressor = PrepareAnswer(ex->request, res);
    stream->SetStreaming();
    stream->Respond(res.status, res.headers, true);
    out = [s](const char* data, size_t n) { return s->Write(data, n); };
    end = [s] {
      s->End();
      return true;
    };
    writable = [s] { return !s->closed() && !s->hung_up(); };
  } else {
    bool written = false;
    compressor = http1::WriteStreamHead(*conn, ex->request, res, close, written);
    if (!written) {
      ex.reset();
      AfterAnswer(conn, close, false);
      return;
    }
    out = [c](const char* data, size_t n) {
      const std::string chunk = http1::Chunk(data, n);
      return c->Write(chunk.data(), chunk.size());
    };
    end = [c] { return c->Write(http1::kLastChunk.data(), http1::kLastChunk.size()); };
    writable = [c] { return !c->ended() && !c->HungUp(); };
  }
  // While the answer waits, the request's input is not kept (the exchange goes below).
  if (!stream) conn->ReleaseInput();
  p->calls =
      std::make_unique<ProviderCalls>(std::move(res.content_provider_), std::move(compressor),
                                      std::move(out), std::move(end), std::move(writable));
  // While parked, the answer is owned by its wake-up (until EndParked lets go).
  Loop* loop = &LoopOf(conn->id());  // its timers
  p->parking->Attach([this, p] { pool.Submit([this, p] { Pump(p); }); },
                     [this, loop](Parking::Clock::time_point when, std::weak_ptr<Parking> parking) {
                       if (loop->timers.Add(when, std::move(parking))) Wake(*loop);
                     });
  std::weak_ptr<Parking> weak = p->parking;
  ex->OnHangUp([weak] {  // a gone client wakes its answer, which then ends
    if (auto parking = weak.lock()) parking->Wake();
  });
  // The exchange itself goes now (its request with headers and parameters, its body reader):
  // what the parked answer still needs is in `p` (about 1.5 KB a parked watch).
  ex.reset();
  Pump(p);
}

void HttpServer::Impl::Pump(const std::shared_ptr<Parked>& p) {
  using Step = ProviderCalls::Step;
  for (;;) {
    p->parking->BeginCall();
    Step step;
    try {
      step = p->calls->Call();
    } catch (...) {
      step = Step::kFailed;
    }
    if (step == Step::kWrote) continue;
    if (step == Step::kQuiet) {
      const bool gone = p->stream ? p->stream->hung_up() || p->stream->closed()
                                  : p->conn->ended() || p->conn->HungUp();
      if (!gone) {
        if (p->parking->Park()) return;  // no thread until a wake-up
        continue;
      }
      step = Step::kFailed;  // idle with its client gone: the answer ends
    }
    return EndParked(p, step == Step::kDone);
  }
}

void HttpServer::Impl::EndParked(const std::shared_ptr<Parked>& p, bool done) {
  p->parking->Attach({}, {});  // the wake-up lets go of the answer
  p->calls.reset();            // the provider (and what it holds: a watch) goes now
  const std::shared_ptr<Connection> conn = p->conn;
  if (p->stream) {
    // A provider that gives up ends its answer, as a Go handler's return ends its stream.
    if (!p->stream->closed()) p->stream->End();
    p->stream->ForgetHangUp();
    if (conn->ended()) Post(conn->id());
    return;
  }
  if (AfterAnswer(conn, p->close, done) == Next::kServe) Serve(conn);
}

}  // namespace kubedouble::net
