// Writing an API answer in the negotiated form (negotiate.h): the object, list, Table or Status
// encoded as JSON (compact, or indented when pretty), YAML or protobuf, and watch events framed
// for their stream. The one place a body's encoding is chosen.
#pragma once

#include <httplib.h>

#include <nlohmann/json.hpp>

#include <string>

#include "negotiate.h"

namespace kubedouble::fake {

// Sends `body` (an object, a list, a Table, a Status) with `status`, encoded as `format` says.
void SendEncoded(httplib::Response& res, int status, const nlohmann::json& body,
                 const OutputFormat& format);
// The same from the body's compact JSON text (the store's read path, made once per object
// state): sent as it is when the format is compact JSON, else parsed and encoded.
void SendEncodedText(httplib::Response& res, int status, std::string json_text,
                     const OutputFormat& format);

// One watch event as its stream carries it: for JSON the line {"object":…,"type":"…"}\n, where
// `object_json` is the object's compact JSON text.
std::string WatchFrame(const OutputFormat& format, const std::string& type,
                       const std::string& object_json);

// An error answer already in `res` as a JSON Status, re-encoded as the request asked (YAML,
// protobuf, indented): kube-apiserver negotiates errors as it negotiates objects. Other answers
// are left alone.
void EncodeErrorAnswer(const httplib::Request& req, httplib::Response& res);

// The request's headers and query as negotiation reads them (negotiate.h).
NegotiationInput NegotiationInputOf(const httplib::Request& req);

}  // namespace kubedouble::fake
