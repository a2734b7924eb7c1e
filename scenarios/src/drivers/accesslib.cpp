// accesslib, in-process: the project's own access library, judged first.
#include "drivers/drivers.h"

namespace kubedouble::scenarios {
namespace {

class AccesslibUnavailable : public Driver {
 public:
  std::string name() const override { return "accesslib"; }
  std::string Unavailable() const override { return "accesslib is not built into this kubedouble"; }
  std::string Unsupported(const Scenario&) const override { return ""; }
  Outcome Run(const Job&) override { throw SkipRun{Unavailable()}; }
};

}  // namespace

std::unique_ptr<Driver> MakeAccesslibDriver() { return std::make_unique<AccesslibUnavailable>(); }

}  // namespace kubedouble::scenarios
