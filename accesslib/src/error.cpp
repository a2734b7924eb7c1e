#include "kubedouble/accesslib/error.h"

#include <fmt/format.h>

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

namespace {

struct Generic {
  const char* reason;
  const char* message;
};

Generic GenericFor(int code) {
  switch (code) {
    case 400:
      return {"BadRequest", "the server rejected our request for an unknown reason"};
    case 401:
      return {"Unauthorized", "the server has asked for the client to provide credentials"};
    case 403:
      return {"Forbidden", "forbidden"};
    case 404:
      return {"NotFound", "the server could not find the requested resource"};
    case 405:
      return {"MethodNotAllowed",
              "the server does not allow this method on the requested resource"};
    case 406:
      return {"NotAcceptable",
              "the server was unable to respond with a content type that the client supports"};
    case 409:
      return {"Conflict", "the server reported a conflict"};
    case 410:
      return {"Gone", "the resource requested is no longer available"};
    case 413:
      return {"RequestEntityTooLarge",
              "the server has rejected the request because it is too large"};
    case 415:
      return {"UnsupportedMediaType",
              "the server responded with the status code 415 but did not return more information"};
    case 422:
      return {"Invalid", "the server rejected our request due to an error in our request"};
    case 429:
      return {"TooManyRequests",
              "the server has received too many requests and has asked us to try again later"};
    case 500:
      return {"InternalError", "an error on the server has prevented the request from succeeding"};
    case 503:
      return {"ServiceUnavailable", "the server is currently unable to handle the request"};
    case 504:
      return {"Timeout",
              "the server was unable to return a response in the time allotted, but may still be "
              "processing the request"};
    default:
      return {"Unknown", "an error on the server has prevented the request from succeeding"};
  }
}

}  // namespace

HttpStatus DecodeStatus(int code, const std::string& body, int retry_after_seconds) {
  HttpStatus s;
  s.code = code;
  s.body = body;
  s.retry_after_seconds = retry_after_seconds;
  auto parsed = nlohmann::json::parse(body, nullptr, false);
  if (parsed.is_object() && parsed.value("kind", "") == "Status" &&
      parsed.value("status", "") == "Failure") {
    s.status = parsed;
    s.reason = parsed.value("reason", "");
    s.message = parsed.value("message", "");
    if (parsed.contains("code") && parsed["code"].is_number_integer()) {
      s.code = parsed["code"].get<int>();
    }
  }
  Generic g = GenericFor(code);
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
