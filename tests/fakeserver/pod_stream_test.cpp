// exec and attach on an upgraded stream (fakeserver/src/streams/): the WebSocket handshake and
// frames, the channel protocols, the simulated container's commands and file tree, and the
// checks before the upgrade. The client's side writes masked frames as kubectl, the Python
// client and client-node do (tests/common/upgraded_stream_pair.h). Over 600 lines: one test per
// command and protocol rule of the simulated container, each short and standing alone.
#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <kubedouble/base/rfc3339.h>
#include <kubedouble/fakeserver/store.h>

#include <atomic>
#include <functional>
#include <thread>

#include "common/upgraded_stream_pair.h"
#include "pod_streams.h"
#include "streams/channel_stream.h"
#include "streams/pod_stream.h"
#include "streams/spdy.h"
#include "streams/spdy_channels.h"
#include "streams/websocket.h"

namespace kubedouble::fake {
namespace {

using nlohmann::json;
using test::SocketPairStream;
using test::WebSocketClient;
using Query = std::map<std::string, std::vector<std::string>>;

json Pod(json container = json::object()) {
  json c = {{"name", "app"},
            {"image", "busybox"},
            {"env", json::array({{{"name", "GREETING"}, {"value", "hello there"}}})}};
  c.update(container);
  return {{"metadata", {{"name", "web"}, {"namespace", "default"}, {"uid", "u-1"}}},
          {"spec", {{"nodeName", "node-1"}, {"containers", json::array({c})}}},
          {"status",
           {{"phase", "Running"},
            {"containerStatuses",
             json::array({{{"name", c["name"]},
                           {"state", {{"running", {{"startedAt", "2026-01-01T00:00:00Z"}}}}}}})}}}};
}

std::function<std::vector<std::string>(const char*)> Get(const Query& q) {
  return [q](const char* name) {
    auto it = q.find(name);
    return it == q.end() ? std::vector<std::string>{} : it->second;
  };
}

Query ExecQuery(std::vector<std::string> command, bool stdin = false, bool tty = false) {
  Query q{{"command", std::move(command)}, {"stdout", {"true"}}};
  if (!tty) q["stderr"] = {"true"};
  if (stdin) q["stdin"] = {"true"};
  if (tty) q["tty"] = {"true"};
  return q;
}

UpgradeHeaders Headers(const std::string& protocols = "v5.channel.k8s.io") {
  return {"dGhlIHNhbXBsZSBub25jZQ==", "13", protocols, "websocket", ""};
}

class PodStreamTest : public ::testing::Test {
 protected:
  PodStreamTest() : clock_(true) {}

  PodStreamPlan Plan(const Query& q, const json& pod = Pod(),
                     const std::string& protocols = "v5.channel.k8s.io",
                     const std::string& sub = "exec") {
    return PlanPodStream(pod, sub, Headers(protocols), Get(q), trees_, clock_);
  }

  // Runs `plan` on a socketpair; `client` plays the client (after which the transcript is read).
  WebSocketClient::Transcript Run(const PodStreamPlan& plan,
                                  const std::function<void(WebSocketClient&)>& client = {}) {
    SocketPairStream stream;
    std::thread server([&] { RunPodStream(stream, plan); });
    WebSocketClient ws(stream.client_fd());
    if (client) client(ws);
    WebSocketClient::Transcript t = ws.ReadUntilClose();
    server.join();
    return t;
  }

  WebSocketClient::Transcript Exec(std::vector<std::string> command,
                                   const std::function<void(WebSocketClient&)>& client = {},
                                   bool stdin = false) {
    return Run(Plan(ExecQuery(std::move(command), stdin)), client);
  }

  ServerClock clock_;
  FileTrees trees_;
};

json ErrorStatus(const WebSocketClient::Transcript& t) {
  auto it = t.channels.find(kErrorChannel);
  return it == t.channels.end() ? json() : json::parse(it->second);
}

// ---- the handshake ----------------------------------------------------------------------------

TEST(WebSocketHandshake, AcceptKeyIsTheOneOfRfc6455sExample) {
  EXPECT_EQ(ws::AcceptKey("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(WebSocketHandshake, V5WinsWhereverTheClientListsIt) {
  HandshakeAnswer a = AnswerChannelHandshake(Headers("v4.channel.k8s.io, v5.channel.k8s.io"));
  ASSERT_EQ(a.status, 101);
  EXPECT_EQ(a.protocol->name, "v5.channel.k8s.io");
  EXPECT_EQ(a.protocol->version, 5);
  bool accept = false, protocol = false;
  for (const auto& [k, v] : a.headers) {
    if (k == "Sec-WebSocket-Accept") accept = v == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
    if (k == "Sec-WebSocket-Protocol") protocol = v == "v5.channel.k8s.io";
  }
  EXPECT_TRUE(accept);
  EXPECT_TRUE(protocol);
}

TEST(WebSocketHandshake, OtherwiseTheClientsFirstProtocolTheKubeletSpeaks) {
  // client-node's list: v4 first; v3 and v2 are not the kubelet's.
  auto a = NegotiateChannelProtocol(
      "v3.channel.k8s.io,v4.channel.k8s.io,v2.channel.k8s.io,channel.k8s.io");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->name, "v4.channel.k8s.io");
  a = NegotiateChannelProtocol("base64.channel.k8s.io, channel.k8s.io");
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->base64);
  EXPECT_EQ(a->version, 1);
  a = NegotiateChannelProtocol("");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->name, "");
}

TEST(WebSocketHandshake, UnknownProtocolsAre403AndABadVersion400) {
  HandshakeAnswer a = AnswerChannelHandshake(Headers("v3.channel.k8s.io, chat"));
  EXPECT_EQ(a.status, 403);
  EXPECT_TRUE(a.body.empty());
  a = AnswerChannelHandshake({"abc", "8", "v5.channel.k8s.io", "websocket", ""});
  EXPECT_EQ(a.status, 400);
  ASSERT_EQ(a.headers.size(), 1u);
  EXPECT_EQ(a.headers[0].second, "13");
}

// ---- frames -----------------------------------------------------------------------------------

TEST(WebSocketFrames, PingIsAnsweredFragmentsJoinedAndACloseEchoed) {
  SocketPairStream stream;
  std::vector<std::string> got;
  std::thread server([&] {
    ws::Connection conn(stream);
    while (auto m = conn.Receive()) got.push_back(m->payload);
  });
  WebSocketClient client(stream.client_fd());
  client.SendFrame(9, "are you there");
  auto pong = client.ReadFrame();
  ASSERT_TRUE(pong);
  EXPECT_EQ(pong->opcode, 10);
  EXPECT_EQ(pong->payload, "are you there");
  client.SendFrame(2, "hel", false);
  client.SendFrame(9, "");  // a control frame between fragments is allowed
  client.SendFrame(0, "lo ", false);
  client.SendFrame(0, std::string(70000, 'x'), true);
  EXPECT_EQ(client.ReadFrame()->opcode, 10);
  client.SendClose(4001);
  auto close = client.ReadFrame();
  ASSERT_TRUE(close);
  EXPECT_EQ(close->opcode, 8);
  EXPECT_EQ(close->payload.substr(0, 2), std::string("\x0f\xa1", 2));
  server.join();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], "hello " + std::string(70000, 'x'));
}

TEST(WebSocketFrames, AnUnmaskedClientFrameIsAProtocolError) {
  SocketPairStream stream;
  std::thread server([&] {
    ws::Connection conn(stream);
    EXPECT_FALSE(conn.Receive());
  });
  WebSocketClient client(stream.client_fd());
  client.WriteAll(std::string("\x82\x02\x01x", 4));
  auto close = client.ReadFrame();
  ASSERT_TRUE(close);
  EXPECT_EQ(close->opcode, 8);
  EXPECT_EQ(close->payload.substr(0, 2), std::string("\x03\xea", 2));  // 1002
  server.join();
}

// ---- exec -------------------------------------------------------------------------------------

TEST_F(PodStreamTest, EchoWritesStdoutAndTheErrorChannelSaysSuccess) {
  auto t = Exec({"echo", "hello", "world"});
  EXPECT_EQ(t.channels[kStdoutChannel], "hello world\n");
  EXPECT_EQ(t.channels[kErrorChannel], R"({"metadata":{},"status":"Success"})");
  EXPECT_EQ(t.close_code, 1000);
}

TEST_F(PodStreamTest, ANonZeroExitIsTheStatusKubectlReadsTheCodeFrom) {
  auto t = Exec({"sh", "-c", "echo out; echo err >&2; exit 3"});
  EXPECT_EQ(t.channels[kErrorChannel],
            R"({"metadata":{},"status":"Failure","message":"command terminated with non-zero )"
            R"(exit code: command terminated with exit code 3","reason":"NonZeroExitCode",)"
            R"("details":{"causes":[{"reason":"ExitCode","message":"3"}]}})");
}

TEST_F(PodStreamTest, V4WordsTheExitAsTheContainerRuntimeDoes) {
  auto t = Run(Plan(ExecQuery({"sh", "-c", "exit 7"}), Pod(), "v4.channel.k8s.io"));
  json status = ErrorStatus(t);
  EXPECT_EQ(status["message"],
            "command terminated with non-zero exit code: error executing command [sh -c exit 7], "
            "exit code 7");
  EXPECT_EQ(status["details"]["causes"][0]["message"], "7");
}

TEST_F(PodStreamTest, TheOldProtocolSendsTheMessageAsTextAndBase64EncodesData) {
  SocketPairStream stream;
  PodStreamPlan plan =
      Plan(ExecQuery({"sh", "-c", "echo hi; exit 1"}), Pod(), "base64.channel.k8s.io");
  std::thread server([&] { RunPodStream(stream, plan); });
  WebSocketClient ws(stream.client_fd());
  std::vector<std::string> texts;
  while (auto f = ws.ReadFrame()) {
    if (f->opcode == 8) break;
    EXPECT_EQ(f->opcode, 1);
    texts.push_back(f->payload);
  }
  server.join();
  ASSERT_EQ(texts.size(), 2u);
  EXPECT_EQ(texts[0], "1aGkK");  // channel '1', base64("hi\n")
  EXPECT_EQ(texts[1][0], '3');
}

TEST_F(PodStreamTest, CatCopiesStdinUntilV5sCloseSignal) {
  auto t = Exec(
      {"cat"},
      [](WebSocketClient& ws) {
        ws.SendChannel(kStdinChannel, "first ");
        ws.SendFrame(1, std::string("\0second", 7));  // a text frame, as the Python client sends
        ws.CloseChannel(kStdinChannel);
      },
      true);
  EXPECT_EQ(t.channels[kStdoutChannel], "first second");
  EXPECT_EQ(ErrorStatus(t)["status"], "Success");
}

TEST_F(PodStreamTest, ShellStatementsAndOperators) {
  auto t = Exec({"sh", "-c",
                 "false && echo no; false || echo yes; true && echo $?; A=1; echo \"a=$A\" 'q $A'; "
                 "echo $GREETING | cat"});
  EXPECT_EQ(t.channels[kStdoutChannel], "yes\n0\na=1 q $A\nhello there\n");
}

TEST_F(PodStreamTest, AnUnknownCommandIsNotFoundInAShellAndAnOciErrorDirectly) {
  auto t = Exec({"sh", "-c", "nosuch arg"});
  EXPECT_EQ(t.channels[kStderrChannel], "sh: nosuch: not found\n");
  EXPECT_EQ(ErrorStatus(t)["details"]["causes"][0]["message"], "127");
  t = Exec({"nosuch"});
  EXPECT_NE(t.channels[kStdoutChannel].find("exec: \"nosuch\": executable file not found in $PATH"),
            std::string::npos);
  EXPECT_EQ(ErrorStatus(t)["details"]["causes"][0]["message"], "126");
}

TEST_F(PodStreamTest, EnvIsTheContainersEnvironment) {
  auto t = Exec({"env"});
  EXPECT_EQ(t.channels[kStdoutChannel],
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nHOSTNAME=web\n"
            "GREETING=hello there\nHOME=/root\n");
}

TEST_F(PodStreamTest, FilesStayInThePodsTreeAcrossExecs) {
  Exec({"sh", "-c", "mkdir -p /data/sub && echo one > /data/sub/f && echo two >> /data/sub/f"});
  auto t = Exec({"sh", "-c", "cd /data; pwd; ls; cat sub/f; ls /nope"});
  EXPECT_EQ(t.channels[kStdoutChannel], "/data\nsub\none\ntwo\n");
  EXPECT_EQ(t.channels[kStderrChannel], "ls: /nope: No such file or directory\n");
  t = Exec({"test", "-d", "/data/sub"});
  EXPECT_EQ(ErrorStatus(t)["status"], "Success");
  t = Exec({"test", "-d", "/data/sub/f"});
  EXPECT_EQ(ErrorStatus(t)["details"]["causes"][0]["message"], "1");
  // Another pod (another uid) has its own tree.
  json other = Pod();
  other["metadata"]["uid"] = "u-2";
  t = Run(Plan(ExecQuery({"cat", "/data/sub/f"}), other));
  EXPECT_EQ(t.channels[kStderrChannel],
            "cat: can't open '/data/sub/f': No such file or directory\n");
}

TEST_F(PodStreamTest, AScriptThatRunsItselfStopsInsteadOfExhaustingTheServersStack) {
  Exec({"sh", "-c", "echo '#!/bin/sh' > /tmp/loop.sh; echo /tmp/loop.sh >> /tmp/loop.sh"});
  auto t = Exec({"/tmp/loop.sh"});
  EXPECT_EQ(t.channels[kStderrChannel], "sh: too deeply nested\n");
  EXPECT_EQ(ErrorStatus(t)["details"]["causes"][0]["message"], "2");
}

TEST_F(PodStreamTest, TextToolsReadFilesAndStdin) {
  Exec({"sh", "-c", "printf 'alpha\\nbeta\\ngamma\\ndelta\\n' > /tmp/l"});
  auto t = Exec({"sh", "-c",
                 "head -n 2 /tmp/l; tail -1 /tmp/l; tail -n +3 /tmp/l | wc -l; wc -c < /tmp/l; "
                 "grep -n a /tmp/l | grep -v alpha; grep -c ^[bg] /tmp/l; grep -q zeta /tmp/l; "
                 "echo $?; grep '(' /tmp/l"});
  EXPECT_EQ(t.channels[kStdoutChannel],
            "alpha\nbeta\ndelta\n2\n23\n2:beta\n3:gamma\n4:delta\n2\n1\n");
  EXPECT_EQ(t.channels[kStderrChannel].rfind("grep: bad regex '(': ", 0), 0u)
      << t.channels[kStderrChannel];
  EXPECT_EQ(ErrorStatus(t)["details"]["causes"][0]["message"], "2");
}

TEST_F(PodStreamTest, MvCpAndChmodWorkOnTheTree) {
  auto t =
      Exec({"sh", "-c",
            "mkdir -p /a/b && echo x > /a/b/f && cp -r /a /c && mv /c/b/f /c/g && "
            "chmod 700 /c/g && ls -l /c/g | cut; ls /c /c/b; cat /c/g; cp /a /d; mv /nope /e"});
  EXPECT_EQ(t.channels[kStdoutChannel], "/c:\nb\ng\n\n/c/b:\nx\n");
  EXPECT_EQ(t.channels[kStderrChannel],
            "sh: cut: not found\ncp: omitting directory '/a'\n"
            "mv: can't rename '/nope': No such file or directory\n");
  t = Exec({"ls", "-l", "/c/g"});
  EXPECT_EQ(t.channels[kStdoutChannel].substr(0, 10), "-rwx------");
}

TEST_F(PodStreamTest, KubectlCpWithRetriesReadsTheArchiveThroughTail) {
  Exec({"sh", "-c", "mkdir /srv && echo hi > /srv/f"});
  const std::string whole = Exec({"tar", "cf", "-", "/srv"}).channels[kStdoutChannel];
  auto t = Exec({"sh", "-c", "tar cf - /srv | tail -c+513"});
  EXPECT_EQ(t.channels[kStdoutChannel], whole.substr(512));
}

TEST_F(PodStreamTest, RedirectionIntoAMissingDirectoryFails) {
  auto t = Exec({"sh", "-c", "echo x > /nope/f; echo $?"});
  EXPECT_EQ(t.channels[kStderrChannel], "sh: can't create /nope/f: nonexistent directory\n");
  EXPECT_EQ(t.channels[kStdoutChannel], "1\n");
}

TEST_F(PodStreamTest, ATerminalMergesStderrAndWritesCrLf) {
  auto t = Run(Plan(ExecQuery({"sh", "-c", "echo a; echo b >&2"}, false, true)));
  EXPECT_EQ(t.channels[kStdoutChannel], "a\r\nb\r\n");
  EXPECT_FALSE(t.channels.count(kStderrChannel));
}

// ---- kubectl cp --------------------------------------------------------------------------------

// A tar archive of `files` (name → content) as kubectl makes one (directories first).
std::string MakeTar(const std::vector<std::pair<std::string, std::string>>& files) {
  std::string out;
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  archive_write_open(
      a, &out, [](archive*, void*) { return ARCHIVE_OK; },
      [](archive*, void* o, const void* d, size_t n) -> la_ssize_t {
        static_cast<std::string*>(o)->append(static_cast<const char*>(d), n);
        return static_cast<la_ssize_t>(n);
      },
      [](archive*, void*) { return ARCHIVE_OK; });
  for (const auto& [name, data] : files) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    const bool dir = name.back() == '/';
    archive_entry_set_filetype(e, dir ? AE_IFDIR : AE_IFREG);
    archive_entry_set_perm(e, dir ? 0755 : 0644);
    archive_entry_set_size(e, dir ? 0 : static_cast<la_int64_t>(data.size()));
    archive_write_header(a, e);
    if (!dir) archive_write_data(a, data.data(), data.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

// The members of a tar archive: name → content ("/" suffix for directories).
std::map<std::string, std::string> ReadTar(const std::string& bytes) {
  std::map<std::string, std::string> out;
  archive* a = archive_read_new();
  archive_read_support_format_all(a);
  if (archive_read_open_memory(a, bytes.data(), bytes.size()) == ARCHIVE_OK) {
    archive_entry* e;
    while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
      std::string data;
      char buf[4096];
      la_ssize_t n;
      while ((n = archive_read_data(a, buf, sizeof buf)) > 0)
        data.append(buf, static_cast<size_t>(n));
      out[archive_entry_pathname(e)] = data;
    }
  }
  archive_read_free(a);
  return out;
}

TEST_F(PodStreamTest, KubectlCpToThePodThenFromIt) {
  // kubectl cp ./site web:/srv/site — test -d, then tar -xmf - -C /srv
  Exec({"mkdir", "/srv"});
  auto t = Exec({"test", "-d", "/srv/site"});
  EXPECT_EQ(ErrorStatus(t)["status"], "Failure");
  const std::string archive =
      MakeTar({{"site/", ""}, {"site/index.html", "<h1>hi</h1>\n"}, {"site/a/b.txt", "b"}});
  t = Exec(
      {"tar", "-xmf", "-", "-C", "/srv"},
      [&](WebSocketClient& ws) {
        for (size_t i = 0; i < archive.size(); i += 4096) {
          ws.SendChannel(kStdinChannel, archive.substr(i, 4096));
        }
        ws.CloseChannel(kStdinChannel);
      },
      true);
  EXPECT_EQ(ErrorStatus(t)["status"], "Success") << t.channels[kStderrChannel];
  t = Exec({"cat", "/srv/site/index.html", "/srv/site/a/b.txt"});
  EXPECT_EQ(t.channels[kStdoutChannel], "<h1>hi</h1>\nb");

  // kubectl cp web:/srv/site ./copy — tar cf - /srv/site
  t = Exec({"tar", "cf", "-", "/srv/site"});
  EXPECT_EQ(t.channels[kStderrChannel], "tar: Removing leading `/' from member names\n");
  auto members = ReadTar(t.channels[kStdoutChannel]);
  EXPECT_EQ(members["srv/site/index.html"], "<h1>hi</h1>\n");
  EXPECT_EQ(members["srv/site/a/b.txt"], "b");
  EXPECT_TRUE(members.count("srv/site/a/"));
  EXPECT_EQ(ErrorStatus(t)["status"], "Success");
}

TEST_F(PodStreamTest, TarOfAMissingPathFailsAsGnuTar) {
  auto t = Exec({"tar", "cf", "-", "/nope"});
  EXPECT_EQ(t.channels[kStderrChannel],
            "tar: Removing leading `/' from member names\n"
            "tar: /nope: Cannot stat: No such file or directory\n"
            "tar: Exiting with failure status due to previous errors\n");
  EXPECT_EQ(ErrorStatus(t)["details"]["causes"][0]["message"], "2");
  t = Exec(
      {"tar", "xf", "-"}, [](WebSocketClient& ws) { ws.CloseChannel(kStdinChannel); }, true);
  EXPECT_EQ(t.channels[kStderrChannel],
            "tar: This does not look like a tar archive\n"
            "tar: Exiting with failure status due to previous errors\n");
}

// ---- the clock and the client going away --------------------------------------------------------

TEST_F(PodStreamTest, SleepWaitsForTheFakeClock) {
  PodStreamPlan plan = Plan(ExecQuery({"sh", "-c", "echo before; sleep 30; echo after"}));
  SocketPairStream stream;
  std::thread server([&] { RunPodStream(stream, plan); });
  WebSocketClient ws(stream.client_fd());
  auto first = ws.ReadFrame();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->payload.substr(1), "before\n");
  std::atomic<bool> done{false};
  std::thread mover([&] {
    while (!done) {
      clock_.Advance(std::chrono::seconds(10));
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  auto t = ws.ReadUntilClose();
  done = true;
  mover.join();
  server.join();
  EXPECT_EQ(t.channels[kStdoutChannel], "after\n");
}

TEST_F(PodStreamTest, AClientThatGoesEndsASleepingExec) {
  PodStreamPlan plan = Plan(ExecQuery({"sleep", "3600"}));
  SocketPairStream stream;
  std::thread server([&] { RunPodStream(stream, plan); });
  WebSocketClient ws(stream.client_fd());
  ws.SendClose();
  auto close = ws.ReadFrame();
  ASSERT_TRUE(close);
  EXPECT_EQ(close->opcode, 8);
  server.join();  // returns: the exec ended with the client
}

// ---- attach -----------------------------------------------------------------------------------

TEST_F(PodStreamTest, AttachWithStdinToACatContainerEchoes) {
  json pod = Pod({{"command", json::array({"cat"})}, {"stdin", true}});
  Query q{{"stdin", {"true"}}, {"stdout", {"true"}}};
  auto t = Run(Plan(q, pod, "v5.channel.k8s.io", "attach"), [](WebSocketClient& ws) {
    ws.SendChannel(kStdinChannel, "ping\n");
    ws.CloseChannel(kStdinChannel);
  });
  EXPECT_EQ(t.channels[kStdoutChannel], "ping\n");
}

TEST_F(PodStreamTest, AttachToAShellRunsTheLinesTyped) {
  json pod = Pod({{"command", json::array({"/bin/sh"})}, {"stdin", true}});
  Query q{{"stdin", {"true"}}, {"stdout", {"true"}}, {"stderr", {"true"}}};
  auto t = Run(Plan(q, pod, "v5.channel.k8s.io", "attach"), [](WebSocketClient& ws) {
    ws.SendChannel(kStdinChannel, "echo $HOSTNAME\nexit 0\n");
  });
  EXPECT_EQ(t.channels[kStdoutChannel], "web\n");
}

TEST_F(PodStreamTest, AttachShowsTheLogLinesWrittenFromThenOn) {
  json pod = Pod();
  pod["metadata"]["annotations"] = {{"kubedouble.io/log", "+1s first\n+2s second"}};
  pod["status"]["containerStatuses"][0]["state"]["running"]["startedAt"] =
      base::FormatRfc3339(std::chrono::time_point_cast<std::chrono::seconds>(clock_.Now()));
  Query q{{"stdout", {"true"}}};
  PodStreamPlan plan = Plan(q, pod, "v5.channel.k8s.io", "attach");
  SocketPairStream stream;
  std::thread server([&] { RunPodStream(stream, plan); });
  WebSocketClient ws(stream.client_fd());
  std::atomic<bool> done{false};
  std::thread mover([&] {
    while (!done) {
      clock_.Advance(std::chrono::milliseconds(500));
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  std::string seen;
  while (seen.find("second") == std::string::npos) {
    auto f = ws.ReadFrame();
    ASSERT_TRUE(f);
    seen += f->payload.substr(1);
  }
  done = true;
  mover.join();
  ws.SendClose();
  ws.ReadUntilClose();
  server.join();
  EXPECT_EQ(seen, "first\nsecond\n");
}

TEST_F(PodStreamTest, AnInteractiveShellOnATerminalPromptsAndEchoes) {
  Query q = ExecQuery({"sh"}, true, true);
  auto t = Run(Plan(q), [](WebSocketClient& ws) {
    ws.SendChannel(kResizeChannel, R"({"Width":80,"Height":24})");
    ws.SendChannel(kStdinChannel, "echo hi\r");
    ws.SendChannel(kStdinChannel, "exit 4\r");
  });
  EXPECT_EQ(t.channels[kStdoutChannel], "/ # echo hi\r\nhi\r\n/ # exit 4\r\n");
  EXPECT_EQ(ErrorStatus(t)["details"]["causes"][0]["message"], "4");
}

TEST_F(PodStreamTest, TheHandlersPlanReadsTheRequestsHeadersAndRepeatedQuery) {
  httplib::Request req;
  req.set_header("Upgrade", "WebSocket");
  req.set_header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==");
  req.set_header("Sec-WebSocket-Version", "13");
  req.set_header("Sec-WebSocket-Protocol", "v4.channel.k8s.io");
  req.set_header("Sec-WebSocket-Protocol", "v5.channel.k8s.io");
  req.params.emplace("command", "echo");
  req.params.emplace("command", "a b");
  req.params.emplace("stdout", "true");
  ASSERT_TRUE(IsWebSocketUpgrade(req));
  ASSERT_TRUE(IsStreamUpgrade(req));
  httplib::Request spdy;
  spdy.set_header("Upgrade", "SPDY/3.1");
  EXPECT_TRUE(IsStreamUpgrade(spdy));
  EXPECT_FALSE(IsWebSocketUpgrade(spdy));
  EXPECT_FALSE(IsStreamUpgrade(httplib::Request()));
  PodStreamPlan plan = PlanUpgradePodStream(req, Pod(), "exec", trees_, clock_);
  EXPECT_EQ(plan.answer.status, 101);
  EXPECT_EQ(plan.answer.protocol->version, 5);
  auto t = Run(plan);
  EXPECT_EQ(t.channels[kStdoutChannel], "a b\n");
}

// ---- SPDY/3.1 ----------------------------------------------------------------------------------

// ---- the file trees follow the store ---------------------------------------------------------

class FileTreesFollowTest : public ::testing::Test {
 protected:
  FileTreesFollowTest() : registry_(std::make_shared<Registry>()), store_(registry_) {
    pods_ = *registry_->Find("", "v1", "pods");
    store_.Put(*registry_->Find("", "v1", "namespaces"),
               {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "default"}}}});
    trees_.Follow(store_);
  }

  // Creates pod default/web (not bound: a delete removes it at once); its uid.
  std::string CreateWeb() {
    json pod = {{"apiVersion", "v1"},
                {"kind", "Pod"},
                {"metadata", {{"name", "web"}}},
                {"spec", {{"containers", json::array({{{"name", "app"}, {"image", "busybox"}}})}}}};
    return store_.Create(pods_, "default", pod)["metadata"]["uid"];
  }

  // Whether the container app of the pod with `uid` has /tmp/note (its tree is made afresh when
  // the pod's is gone).
  bool HasNote(const std::string& uid) {
    return trees_.For(uid, "app", "web", "", now_)->Stat("/tmp/note").has_value();
  }

  void WriteNote(const std::string& uid) {
    ASSERT_EQ(trees_.For(uid, "app", "web", "", now_)->WriteFile("/tmp/note", "hi", false, now_),
              "");
  }

  std::shared_ptr<Registry> registry_;
  Store store_;
  ResourceInfo pods_;
  FileTrees trees_;
  FileTree::TimePoint now_ = std::chrono::system_clock::now();
};

TEST_F(FileTreesFollowTest, APodsFilesLastAsLongAsThePod) {
  std::string uid = CreateWeb();
  WriteNote(uid);
  EXPECT_TRUE(HasNote(uid));  // the next exec sees what the last one wrote
  store_.Patch(pods_, "default", "web", PatchType::kMerge, R"({"metadata":{"labels":{"a":"b"}}})");
  EXPECT_TRUE(HasNote(uid));
}

TEST_F(FileTreesFollowTest, ADeletedPodsFilesAreForgotten) {
  std::string uid = CreateWeb();
  WriteNote(uid);
  store_.Delete(pods_, "default", "web");
  EXPECT_FALSE(HasNote(uid));
  // Its namesake has a new uid and a tree of its own.
  std::string again = CreateWeb();
  EXPECT_NE(again, uid);
  EXPECT_FALSE(HasNote(again));
}

TEST_F(FileTreesFollowTest, APodReplacedUnderANewUidStartsAfresh) {
  std::string uid = CreateWeb();
  WriteNote(uid);
  json replaced = store_.Get(pods_, "default", "web");
  replaced["metadata"]["uid"] = "replaced-uid";
  store_.Put(pods_, replaced);
  EXPECT_FALSE(HasNote(uid));
}

TEST_F(FileTreesFollowTest, AClearedStoreForgetsEveryTree) {
  std::string uid = CreateWeb();
  WriteNote(uid);
  store_.Clear();
  EXPECT_FALSE(HasNote(uid));
}

TEST(SpdyHandshake, TheKubeletsProtocolsInTheClientsOrder) {
  HandshakeAnswer a =
      AnswerSpdyHandshake("v5.channel.k8s.io, v3.channel.k8s.io, v4.channel.k8s.io");
  ASSERT_EQ(a.status, 101);
  EXPECT_TRUE(a.spdy);
  EXPECT_EQ(a.protocol->version, 3);
  a = AnswerSpdyHandshake("v9.channel.k8s.io");
  EXPECT_EQ(a.status, 403);
  EXPECT_EQ(a.body,
            "unable to upgrade: unable to negotiate protocol: client supports "
            "[v9.channel.k8s.io], server accepts [v4.channel.k8s.io v3.channel.k8s.io "
            "v2.channel.k8s.io channel.k8s.io]\n");
  EXPECT_EQ(spdy::HeaderDictionary().size(), 1423u);
}

TEST_F(PodStreamTest, ExecOverSpdyAsKubectlsFallback) {
  Query q = ExecQuery({"sh", "-c", "cat; echo done >&2; exit 2"}, true);
  PodStreamPlan plan =
      PlanPodStream(Pod(), "exec", {"", "", "", "SPDY/3.1", "v4.channel.k8s.io,v3.channel.k8s.io"},
                    Get(q), trees_, clock_);
  ASSERT_TRUE(plan.answer.spdy);
  ASSERT_EQ(plan.answer.protocol->name, "v4.channel.k8s.io");
  SocketPairStream stream;
  std::thread server([&] { RunPodStream(stream, plan); });
  test::FdStream client_end(::dup(stream.client_fd()));
  spdy::Connection client(client_end);
  spdy::HeaderCodec compress;
  auto open = [&](uint32_t id, const char* type) {
    std::string payload;
    for (uint32_t word : {id, 0u}) {
      for (int shift = 24; shift >= 0; shift -= 8) payload += static_cast<char>(word >> shift);
    }
    payload += std::string(2, '\0');
    payload += compress.Compress({{"streamtype", type}});
    std::string frame = spdy::EncodeControl(spdy::FrameType::kSynStream, 0, payload);
    client_end.Write(frame.data(), frame.size());
  };
  open(1, "error");
  open(3, "stdin");
  open(5, "stdout");
  open(7, "stderr");
  std::map<uint32_t, std::string> data;
  int replies = 0, fins = 0;
  bool goaway = false;
  while (replies < 4) {
    auto f = client.Read();
    ASSERT_TRUE(f);
    if (f->type == spdy::FrameType::kSynReply) ++replies;
  }
  std::string input = spdy::EncodeData(3, "over spdy\n", false) + spdy::EncodeData(3, "", true);
  client_end.Write(input.data(), input.size());
  while (auto f = client.Read()) {
    if (f->type == spdy::FrameType::kData) {
      data[f->stream_id] += f->data;
      fins += f->fin();
    }
    goaway = goaway || f->type == spdy::FrameType::kGoAway;
  }
  server.join();
  EXPECT_EQ(data[5], "over spdy\n");
  EXPECT_EQ(data[7], "done\n");
  EXPECT_EQ(json::parse(data[1])["details"]["causes"][0]["message"], "2");
  EXPECT_EQ(fins, 3);
  EXPECT_TRUE(goaway);
}

// ---- before the upgrade -----------------------------------------------------------------------

TEST_F(PodStreamTest, ChecksBeforeTheUpgradeAnswerAs400) {
  auto status_of = [&](const Query& q, const json& pod) {
    try {
      Plan(q, pod);
    } catch (const StatusError& e) {
      return std::to_string(e.code()) + " " + e.what();
    }
    return std::string("no error");
  };
  json waiting = Pod();
  waiting["status"]["containerStatuses"][0]["state"] = {
      {"waiting", {{"reason", "ContainerCreating"}}}};
  EXPECT_EQ(status_of(ExecQuery({"ls"}), waiting), "400 container not found (\"app\")");
  json unscheduled = Pod();
  unscheduled["spec"].erase("nodeName");
  EXPECT_EQ(status_of(ExecQuery({"ls"}), unscheduled), "400 pod web does not have a host assigned");
  Query other = ExecQuery({"ls"});
  other["container"] = {"db"};
  EXPECT_EQ(status_of(other, Pod()), "400 container db is not valid for pod web");
  EXPECT_EQ(status_of(Query{{"command", {"ls"}}}, Pod()),
            "400 you must specify at least 1 of stdin, stdout, stderr");
  EXPECT_EQ(status_of(Query{{"stdout", {"true"}}}, Pod()),
            "400 you must specify at least one command for the container");
}

}  // namespace
}  // namespace kubedouble::fake
