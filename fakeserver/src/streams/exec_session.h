// exec and attach on an upgraded connection: what runs between the 101 and the close.
//
// exec runs the command in the simulated container (container_shell.h) with the client's stdin
// and sends its stdout and stderr as they are written (with a terminal, stderr goes to stdout and
// line ends become "\r\n", as a pty writes them). When the command ends the error channel says
// how, then the WebSocket closes:
//   v4 and v5: a metav1.Status — {"metadata":{},"status":"Success"}, or Failure with reason
//     NonZeroExitCode, details.causes [{"reason":"ExitCode","message":"N"}] and the message
//     "command terminated with non-zero exit code: " followed by, on v5 (the apiserver ends the
//     stream), "command terminated with exit code N", and on v4 (the container runtime's
//     streaming server), "error executing command [ARGV], exit code N";
//   channel.k8s.io and base64.channel.k8s.io: that message as text, nothing on success.
// stdin ends with v5's close signal for channel 0 or when the client closes the connection
// (v4 has no other way).
//
// attach joins the container's main process: from the request on, what its log shows
// (container_log.h) goes to stdout as the server's clock reaches it; with stdin (asked for, and
// `stdin: true` in the container's spec) a container whose program is a shell (sh, bash, ash, dash
// without -c) runs the lines the client types, one whose program is `cat` echoes them, any other
// drops them. attach ends when the client closes the connection or the container's instance ends.
#pragma once

#include <kubedouble/fakeserver/clock.h>
#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "channel_stream.h"
#include "file_tree.h"

namespace kubedouble::fake {

// The query of pods/exec and pods/attach (core/v1 PodExecOptions, PodAttachOptions).
struct ExecOptions {
  std::vector<std::string> command;  // exec only
  std::string container;
  bool stdin = false;
  bool stdout = false;
  bool stderr = false;
  bool tty = false;
};

// Reads the options from query parameters (`get_all(name)`: every value of NAME). Booleans as
// the apiserver converts them: absent, "0", "f" and "false" (any case) are false, anything else
// true. A terminal drops stderr (it goes to the terminal), as the kubelet does. Throws
// StatusError 400 for an exec without a command ("you must specify at least one command for the
// container") and for no stream at all ("you must specify at least 1 of stdin, stdout, stderr").
ExecOptions ParseExecOptions(
    const std::string& subresource,
    const std::function<std::vector<std::string>(const char* name)>& get_all);

// What an exec or attach runs against.
struct StreamTarget {
  nlohmann::json pod;
  nlohmann::json container;  // the spec of the container
  std::shared_ptr<FileTree> files;
  const ServerClock* clock = nullptr;
  // When the request was accepted: attach shows the log lines written after it.
  std::chrono::system_clock::time_point accepted;
};

// The Status v4 and v5 send on the error channel for exit status `code` of `command` (see above).
nlohmann::ordered_json ExitStatus(int code, const std::vector<std::string>& command, int version);

// Runs the exec on `stream` (the 101 already sent) and closes it; the command's exit status.
int ServeExec(ChannelTransport& stream, const ExecOptions& options, const StreamTarget& target);

// Runs the attach on `stream` and closes it.
void ServeAttach(ChannelTransport& stream, const ExecOptions& options, const StreamTarget& target);

}  // namespace kubedouble::fake
