// Mints a bundle with the installed kubedouble::certs and checks the pitfalls, printing "ok".
#include <kubedouble/certs/certs.h>

#include <cstdio>

int main() {
  namespace kc = kubedouble::certs;
  kc::Bundle pki = kc::MintBundle();
  bool good = kc::Verify(pki.server.cert, {pki.ca.cert}, {.host = "localhost"}).ok();
  bool rogue = kc::Verify(pki.rogue_server.cert, {pki.ca.cert}).status ==
               kc::VerifyStatus::kUnknownAuthority;
  if (!good || !rogue) {
    std::puts("consumer: unexpected verification result");
    return 1;
  }
  std::printf("ok %s\n", kc::Inspect(pki.admin.cert).subject.c_str());
  return 0;
}
