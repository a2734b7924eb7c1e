// Ages as kubectl prints them in its AGE column (k8s.io/apimachinery's HumanDuration): two
// significant units at most, coarser as the age grows.
#pragma once

#include <chrono>
#include <string>

namespace kubedouble::base {

// "45s", "2m5s", "15m", "5h30m", "20h", "3d4h", "30d", "2y100d", "10y". Up to a second in the
// future reads "0s" (clocks differ a little); further in the future "<invalid>".
std::string HumanAge(std::chrono::seconds age);

// The age at `now` of something made at `then`.
std::string HumanAge(std::chrono::system_clock::time_point then,
                     std::chrono::system_clock::time_point now);

}  // namespace kubedouble::base
