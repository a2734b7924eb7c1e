// One request and its answer on a connection of an HttpServer (http_server.h): what a handler
// is given, the same over HTTP/1.1 and HTTP/2 (request.version says which: "HTTP/1.1",
// "HTTP/2.0").
//
// The handler reads `request`, fills `response` (a body, or a content provider for an answer that
// streams: a watch, a followed log), and returns; the server then writes the answer. Besides
// the HTTP exchange the handler may reach the connection itself:
//  - body(): the request's body is read only when asked (after authentication, say);
//  - over_limit(): the server holds --max-connections connections already: answer 429;
//  - OnHangUp(): told once when the client goes away (a watch ends at once, no polling); over
//    HTTP/2, when the client resets the stream (RST_STREAM) or the connection ends;
//  - Reset() / Close(): end the connection now (faults: a reset, an empty answer). Over HTTP/2
//    too they end the whole connection, as a network fault would: every stream on it fails;
//  - WriteRaw(): bytes inside TLS outside HTTP's framing (faults: garbage, a broken chunk); over
//    HTTP/2 they break the connection's framing, so the client fails the connection;
//  - Upgrade(): answer 101 Switching Protocols and take the connection's bytes (HTTP/1.1 only:
//    over HTTP/2 the stream is reset with HTTP_1_1_REQUIRED).
//
// An Exchange lives on the worker thread that runs the handler, until its answer is written
// (content providers run there too). Its methods are called from that thread, except that a
// hang-up callback runs on the server's event loop. A streamed answer that waits without a
// thread (WakeableStream, below) is called on whichever worker is free when it has news; its
// Exchange is gone by then (freed once the answer's head is out, with the request's headers and
// parameters: thousands of watches wait), so its provider keeps what it needs in its captures
// and never reaches the Exchange, nor the request or response, by reference.
#pragma once

#include <httplib.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "kubedouble/net/upgraded_stream.h"

namespace kubedouble::net {

class Connection;
namespace http2 {
class Stream;
}

// The wake-up of a streamed answer that waits without a thread (a watch: 5,000 open watches must
// not hold 5,000 threads). How such an answer goes:
//  - The handler calls Exchange::WakeableStream(), gives the waker to whatever learns of news
//    (the store's watch), sets a chunked content provider (Response::set_chunked_content_provider)
//    and returns.
//  - The server calls the provider on a worker. It writes what is ready (sink.write) and returns
//    true; it is called again at once. When nothing is ready it does not wait: it calls
//    Idle(until) and returns true without writing. The answer is then parked — no thread, as an
//    idle keep-alive connection — until Wake() is called or `until` passes, and the provider is
//    called again on a worker. sink.done() ends the answer, a false return breaks it off.
//  - Wake() may be called from any thread at any time, as often as news comes; it must be cheap
//    and never blocks. A wake-up during a call is kept: the provider is called once more, so news
//    that came between its look and its Idle() is never lost.
//  - The client's hang-up and the server's stop wake the answer too (sink.is_writable() is then
//    false); a provider that goes idle after its client has gone ends the answer.
//  - HTTP/1.1 and HTTP/2 alike (over HTTP/2 the stream's flow control holds the bytes; the
//    provider is called again once there is room).
// A provider that blocks instead (a followed log) keeps working as before: it holds its worker.
class StreamWaker {
 public:
  virtual ~StreamWaker() = default;
  // News: call the provider again (soon, on a worker).
  virtual void Wake() = 0;
  // From the provider, during its call: nothing is ready now; call again on Wake() or at `until`.
  virtual void Idle(std::chrono::steady_clock::time_point until) = 0;
};

class Exchange {
 public:
  // What runs on a connection that left HTTP (Upgrade): on this worker thread, after the 101 head
  // was written. When it returns, the connection is closed.
  using UpgradeTaker = std::function<void(UpgradedStream& stream)>;

  httplib::Request request;  // request.ssl is the connection's TLS session (read-only use)
  httplib::Response response;

  Exchange(std::shared_ptr<Connection> conn, bool over_limit);
  // A request on an HTTP/2 stream of `conn`.
  Exchange(std::shared_ptr<Connection> conn, std::shared_ptr<http2::Stream> stream,
           bool over_limit);
  ~Exchange();
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

  // True when the request has a body to read (POST, PUT, PATCH or DELETE with a Content-Length
  // above 0 or a chunked body); body() then reads it, at most once. A Content-Length above the
  // server's max_body fails at once without reading; a chunked body fails once the receiver
  // says no. A 100 Continue is sent first when the client asked for it (Expect: 100-continue).
  // Without a body, body() reads nothing and succeeds.
  bool has_body() const { return has_body_; }
  const httplib::ContentReader& body() const;

  // The server serves --max-connections connections already: the handler should refuse (429).
  // The connection ends after the answer.
  bool over_limit() const { return over_limit_; }

  // True once the client has closed its side or reset the connection.
  bool hung_up() const;
  // `fn` runs once when the client goes away (at once, on this thread, if it has already gone),
  // on the event loop's thread otherwise: it must not block. Kept until the answer is written.
  void OnHangUp(std::function<void()> fn);

  // Ends the TCP connection now with a reset (RST: SO_LINGER 0, then close). Nothing more is
  // written; the answer is dropped.
  void Reset();
  // Ends the connection now with an end of stream (FIN). Nothing more is written.
  void Close();
  // Sends `bytes` inside the TLS session as they are (no HTTP framing); false when they could not
  // be written.
  bool WriteRaw(std::string_view bytes);
  // Waits until the answer's bytes written so far are on their way, so that what WriteRaw, Reset
  // or Close does next comes after them: HTTP/1.1 writes go out at once; an HTTP/2 stream's
  // DATA frames are sent by the event loop. False when the stream ended first.
  bool Flush();
  // True once Reset or Close was called: the answer is not written.
  bool ended() const;

  // Accepts an upgrade: the answer is `response`'s status (101 unless set otherwise) and headers
  // (Upgrade, Connection, Sec-WebSocket-Accept, ...), written with no body; then `taker` runs
  // with the connection's bytes, and the connection closes when it returns.
  void Upgrade(UpgradeTaker taker);
  bool upgraded() const { return static_cast<bool>(taker_); }

  // The answer's body is `body`, a text shared with others and never changed (a kept list
  // answer): the server writes it from there, with no copy of its own. It counts only while
  // response.body is empty and no content provider is set (either wins); Content-Length is its
  // size, and a client that asked for compression gets a compressed copy as it would of
  // response.body. HEAD: the head only.
  void ShareBody(std::shared_ptr<const std::string> body) { shared_body_ = std::move(body); }
  // Moves a shared body (ShareBody) into response.body, as a copy of its own: for code that
  // reshapes the answer's body (a fault). Nothing when there is none.
  void UnshareBody();

  // The answer's chunked content provider waits without a thread (see StreamWaker above); the
  // same waker every call.
  std::shared_ptr<StreamWaker> WakeableStream();

  // For the server (http_server.cpp).
  Connection& connection() { return *conn_; }
  UpgradeTaker& taker() { return taker_; }
  void SetBody(bool has_body, std::unique_ptr<httplib::ContentReader> reader);
  // The waker WakeableStream() gave out (null when the handler asked for none).
  const std::shared_ptr<StreamWaker>& waker() const { return waker_; }
  // The body ShareBody() gave (null: none); PrepareAnswer (src/answer.h) may drop it.
  std::shared_ptr<const std::string>& shared_body() { return shared_body_; }

 private:
  std::shared_ptr<Connection> conn_;
  std::shared_ptr<http2::Stream> stream_;  // null over HTTP/1.1
  bool over_limit_;
  bool has_body_ = false;
  std::unique_ptr<httplib::ContentReader> reader_;
  UpgradeTaker taker_;
  std::shared_ptr<StreamWaker> waker_;
  std::shared_ptr<const std::string> shared_body_;
};

}  // namespace kubedouble::net
