// The protobuf request-body decoder (fakeserver/src/protobuf.cpp) and the answer encoder
// (protobuf_encode.cpp): kubectl's "k8s\0" envelope and the objects in it. Input: the body (the
// envelope prefix is added when byte 0 is odd, so that most inputs reach the object decoders).
// A 400 or 415 Status is the answer to a bad body; any other exception (a 500), a crash, JSON
// that cannot be written, or a decoded object that does not decode the same once encoded again
// is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "kubedouble/fakeserver/store.h"
#include "protobuf.h"
#include "protobuf_encode.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  std::string body(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1) body.insert(0, std::string("k8s\0", 4));
  nlohmann::json out;
  try {
    out = kubedouble::fake::DecodeProtobufBody(body);
    out.dump();  // strict: throws on invalid UTF-8
  } catch (const kubedouble::fake::StatusError& e) {
    if (e.code() != 400 && e.code() != 415) std::abort();
    return 0;
  }
  // Encoded again (as an answer), it decodes to the same JSON.
  std::optional<std::string> again = kubedouble::fake::EncodeProtobuf(out);
  if (!again) std::abort();
  if (kubedouble::fake::DecodeProtobufBody(*again).dump() != out.dump()) std::abort();
  return 0;
}
