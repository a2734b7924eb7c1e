// The protobuf request-body decoder (fakeserver/src/protobuf.cpp): kubectl's "k8s\0" envelope
// and the objects in it. Input: the body (the envelope prefix is added when byte 0 is odd, so
// that most inputs reach the object decoders). A 400 or 415 Status is the answer to a bad
// body; any other exception (a 500), a crash, or JSON that cannot be written is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "kubedouble/fakeserver/store.h"
#include "protobuf.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  std::string body(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1) body.insert(0, std::string("k8s\0", 4));
  try {
    nlohmann::json out = kubedouble::fake::DecodeProtobufBody(body);
    out.dump();  // strict: throws on invalid UTF-8
  } catch (const kubedouble::fake::StatusError& e) {
    if (e.code() != 400 && e.code() != 415) std::abort();
  }
  return 0;
}
