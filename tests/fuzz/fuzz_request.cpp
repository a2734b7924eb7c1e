// The fake server's request handling, in process: the steps every request goes through before
// the store (path -> RequestInfo, Accept and Content-Type negotiation, query booleans) and the
// store write a request body becomes (create or update of a JSON object). Input: byte 0 picks
// the resource and verb, then "METHOD PATH\nAccept\nContent-Type\nbody". Client mistakes are
// 4xx Status errors; any other exception (a 500) or crash is a bug.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "kubedouble/fakeserver/store.h"
#include "negotiate.h"
#include "request_info.h"

using kubedouble::fake::json;

namespace {
struct World {
  std::shared_ptr<kubedouble::fake::Registry> registry =
      std::make_shared<kubedouble::fake::Registry>();
  kubedouble::fake::Store store{registry, nullptr, 16};
  World() {
    store.Put(registry->Find("", "v1", "namespaces").value(),
              {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "default"}}}});
    store.Put(registry->Find("", "v1", "configmaps").value(),
              {{"apiVersion", "v1"},
               {"kind", "ConfigMap"},
               {"metadata", {{"name", "cm"}, {"namespace", "default"}}}});
  }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  static World w;
  static const char* kPlurals[] = {"configmaps", "pods",     "secrets", "serviceaccounts",
                                   "namespaces", "services", "events",  "nodes"};
  std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::istringstream in(text);
  std::string request_line, accept, content_type, body;
  std::getline(in, request_line);
  std::getline(in, accept);
  std::getline(in, content_type);
  body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  auto space = request_line.find(' ');
  std::string method = request_line.substr(0, space);
  std::string path = space == std::string::npos ? "/" : request_line.substr(space + 1);

  kubedouble::fake::ParseRequestInfo(method, path, data[0] & 0x80);
  kubedouble::fake::NegotiateDiscovery(accept);
  kubedouble::fake::NegotiateErrorOutput({accept, accept, nullptr});
  kubedouble::fake::ParsePatchType(content_type);
  kubedouble::fake::QueryBool(accept);

  json object = json::parse(body, nullptr, false);
  if (object.is_discarded() || !object.is_object()) return 0;  // the server's 400
  auto res = *w.registry->Find("", "v1", kPlurals[data[0] & 7]);
  std::string ns = res.namespaced ? "default" : "";
  try {
    if (data[0] & 0x40) {
      w.store.Update(res, ns, "cm", object, {.dry_run = true});
    } else {
      w.store.Create(res, ns, object, {.dry_run = true});
    }
  } catch (const kubedouble::fake::StatusError& e) {
    if (e.code() >= 500) __builtin_trap();
  }
  return 0;
}
