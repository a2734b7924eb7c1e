#include "kubedouble/accesslib/error.h"

#include <fmt/format.h>

#include "kubedouble/base/status.h"

namespace kubedouble::access {

std::string ErrorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kConfig:
      return "config";
    case ErrorKind::kConnectRefused:
      return "connect.refused";
    case ErrorKind::kConnectTimeout:
      return "connect.timeout";
    case ErrorKind::kConnectDns:
      return "connect.dns";
    case ErrorKind::kConnectOther:
      return "connect.other";
    case ErrorKind::kTlsUnknownAuthority:
      return "tls.unknown_authority";
    case ErrorKind::kTlsHostnameMismatch:
      return "tls.hostname_mismatch";
    case ErrorKind::kTlsExpired:
      return "tls.expired";
    case ErrorKind::kTlsNotYetValid:
      return "tls.not_yet_valid";
    case ErrorKind::kTlsOther:
      return "tls.other";
    case ErrorKind::kHttp:
      return "http";
    case ErrorKind::kProtocol:
      return "protocol";
  }
  return "unknown";
}

std::string ErrorLayerName(ErrorKind kind) {
  std::string name = ErrorKindName(kind);
  return name.substr(0, name.find('.'));
}

Error::Error(ErrorKind kind, const std::string& message)
    : std::runtime_error(message), kind_(kind) {}

Error Error::Config(const std::string& message, ConfigLocation where) {
  std::string text = message;
  if (!where.file.empty() && message.find(where.file) == std::string::npos)
    text += fmt::format(" (in {})", where.file);
  Error e(ErrorKind::kConfig, text);
  e.config_ = std::move(where);
  return e;
}

Error Error::Http(HttpStatus status) {
  Error e(ErrorKind::kHttp, status.message);
  e.http_ = std::move(status);
  return e;
}

Error Error::Protocol(const std::string& message) { return Error(ErrorKind::kProtocol, message); }

bool Error::IsTls() const { return layer() == "tls"; }
bool Error::IsConnect() const { return layer() == "connect"; }

std::string Error::KubectlMessage() const {
  switch (kind_) {
    case ErrorKind::kConfig:
      return fmt::format("error: {}", what());
    case ErrorKind::kHttp:
      if (http_.code == 401)
        return fmt::format("error: You must be logged in to the server ({})", http_.message);
      return fmt::format("Error from server ({}): {}", http_.reason, http_.message);
    case ErrorKind::kConnectRefused:
      return fmt::format(
          "The connection to the server {} was refused - did you specify the right host or port?",
          server);
    case ErrorKind::kProtocol:
      return fmt::format("error: {}", what());
    default:
      return fmt::format("Unable to connect to the server: {}", what());
  }
}

HttpStatus DecodeStatus(int code, const std::string& body, int retry_after_seconds) {
  HttpStatus s;
  s.code = code;
  s.body = body;
  s.retry_after_seconds = retry_after_seconds;
  auto parsed = nlohmann::json::parse(body, nullptr, false);
  if (auto status = base::ParseStatus(parsed)) {
    s.status = std::move(parsed);
    s.reason = std::move(status->reason);
    s.message = std::move(status->message);
    if (status->code != 0) s.code = status->code;
  }
  base::GenericWords g = base::GenericFailure(code);
  if (s.reason.empty()) s.reason = g.reason;
  if (s.message.empty()) {
    s.message = g.message;
    if ((code == 500 || code == 503 || code == 429) && !body.empty() && s.status.is_null()) {
      std::string trimmed = body.substr(0, 200);
      while (!trimmed.empty() && (trimmed.back() == '\n' || trimmed.back() == '\r'))
        trimmed.pop_back();
      if (code == 500)
        s.message = fmt::format(
            "an error on the server (\"{}\") has prevented the request from succeeding", trimmed);
    }
  }
  return s;
}

}  // namespace kubedouble::access
