// An answer's body as it leaves, with the Content-Type that names its encoding (JSON, YAML,
// protobuf): what the store keeps of a list answered before (Store::ListJson, Store::ListAnswer)
// and the server sends again, shared, while the store is unchanged.
#pragma once

#include <string>

namespace kubedouble::fake {

struct EncodedAnswer {
  std::string content_type;  // "application/yaml", "application/vnd.kubernetes.protobuf", ...
  std::string body;
};

}  // namespace kubedouble::fake
