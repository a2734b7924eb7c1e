#include "answer.h"

#include <kubedouble/base/json_yaml.h>

#include "call.h"
#include "headers.h"
#include "protobuf_encode.h"
#include "status.h"

namespace kubedouble::fake {

namespace {
using json = nlohmann::json;

std::string Compact(const json& body) {
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}
}  // namespace

void SendBody(httplib::Response& res, int status, std::string body, const char* content_type) {
  res.status = status;
  res.body = std::move(body);  // set_content would copy it
  static const std::string kContentType = "Content-Type";
  ReplaceHeader(res.headers, kContentType, content_type);
}

void SendShared(Call& call, int status, std::shared_ptr<const std::string> body,
                const char* content_type) {
  if (call.exchange == nullptr) return SendBody(call.res, status, *body, content_type);
  SendBody(call.res, status, std::string(), content_type);
  call.exchange->ShareBody(std::move(body));
}

void SendShared(Call& call, int status, const std::shared_ptr<const EncodedAnswer>& answer) {
  SendShared(call, status, {answer, &answer->body}, answer->content_type.c_str());
}

void SendJson(httplib::Response& res, int status, const json& body) {
  // Replace invalid UTF-8 (echoed from a path, selector or name) rather than throw.
  SendBody(res, status, body.dump(-1, ' ', false, json::error_handler_t::replace),
           "application/json");
}

void SendError(httplib::Response& res, const StatusError& error) {
  // A Status that asks the client to wait says it in Retry-After too, as kube-apiserver does.
  const json& details = error.details();
  if (details.is_object()) {
    auto retry = details.find("retryAfterSeconds");
    if (retry != details.end() && retry->is_number_integer() && retry->get<int>() >= 0)
      res.set_header("Retry-After", std::to_string(retry->get<int>()));
  }
  SendJson(res, error.code(), error.ToStatus());
}

void SendText(httplib::Response& res, int status, const std::string& text) {
  SendBody(res, status, text, "text/plain; charset=utf-8");
}

void SendEncoded(httplib::Response& res, int status, const json& body, const OutputFormat& format) {
  switch (format.encoding) {
    case Encoding::kYaml:
      return SendBody(res, status, base::JsonToYaml(body), kMediaYaml);
    case Encoding::kProtobuf:
      // Negotiation offers protobuf only for kinds with a message; anything else (never
      // expected) goes out as JSON, which client-go reads by its Content-Type.
      if (auto bytes = EncodeProtobuf(body)) {
        return SendBody(res, status, std::move(*bytes), kMediaProtobuf);
      }
      break;
    case Encoding::kJson:
      break;
  }
  if (format.pretty) {
    // Go's json.MarshalIndent: two spaces, `"key": value`, no line end after the last brace.
    return SendBody(res, status, body.dump(2, ' ', false, json::error_handler_t::replace),
                    kMediaJson);
  }
  SendBody(res, status, Compact(body), kMediaJson);
}

void SendEncodedText(httplib::Response& res, int status, std::string json_text,
                     const OutputFormat& format) {
  if (format.encoding == Encoding::kJson && !format.pretty) {
    return SendBody(res, status, std::move(json_text), kMediaJson);
  }
  SendEncoded(res, status, json::parse(json_text), format);
}

std::string WatchFrame(const OutputFormat& format, const std::string& type,
                       const std::string& object_json) {
  if (format.encoding == Encoding::kProtobuf) {
    json object = json::parse(object_json, nullptr, false);
    if (auto frame = EncodeProtobufWatchFrame(type, object)) return std::move(*frame);
  }
  std::string line;
  line.reserve(object_json.size() + type.size() + 24);
  line += R"({"object":)";
  line += object_json;
  line += R"(,"type":)";
  line += json(type).dump();
  line += "}\n";
  return line;
}

void EncodeErrorAnswer(const httplib::Request& req, httplib::Response& res) {
  if (res.status < 400 || res.body.empty() || res.get_header_value("Content-Type") != kMediaJson) {
    return;
  }
  const OutputFormat format = NegotiateErrorOutput(NegotiationInputOf(req));
  if (format.encoding == Encoding::kJson && !format.pretty) return;
  json status = json::parse(res.body, nullptr, false);
  if (!status.is_object() || status.value("kind", "") != "Status") return;
  SendEncoded(res, res.status, status, format);
}

NegotiationInput NegotiationInputOf(const httplib::Request& req) {
  NegotiationInput in;
  static const std::string kAccept = "Accept", kUserAgent = "User-Agent";
  in.accept = FirstHeader(req.headers, kAccept);
  in.user_agent = FirstHeader(req.headers, kUserAgent);
  if (auto it = req.params.find("pretty"); it != req.params.end()) in.pretty_param = &it->second;
  return in;
}

}  // namespace kubedouble::fake
