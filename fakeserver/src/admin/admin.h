// The admin API's handler (admin.cpp; README.md, "Admin API"), built from exactly what it reads
// and changes rather than from the whole server.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "../call.h"
#include "kubedouble/fakeserver/clock.h"
#include "kubedouble/fakeserver/faults.h"
#include "kubedouble/fakeserver/journal.h"
#include "kubedouble/fakeserver/store.h"

namespace kubedouble::fake {

class TokenRotation;

struct AdminApi {
  const std::string& admin_token;                   // --admin-token; "" for none
  const std::filesystem::path& serviceaccount_dir;  // where a rotation writes the token
  Journal& journal;                                 // /__kubedouble/requests
  FaultSet& faults;                                 // /__kubedouble/faults
  const Registry& registry;                         // the kinds of /__kubedouble/objects
  Store& store;                                     // objects, snapshot, reset
  ServerClock& clock;                               // /__kubedouble/clock
  // serviceaccount/token's rotation; null while the server does not run.
  const std::unique_ptr<TokenRotation>& rotation;
  // Puts the fixtures back (POST /__kubedouble/reset, after the store is cleared).
  std::function<void()> load_world;

  // A request under /__kubedouble/ (IsAdminPath): its own authorization, never faulted.
  void Serve(Call& call, JournalEntry& entry) const;
};

// True for /__kubedouble/... (admin.cpp).
bool IsAdminPath(const std::string& path);

}  // namespace kubedouble::fake
