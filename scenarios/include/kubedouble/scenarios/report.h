// kubedouble::scenarios — reports of a run: the terminal matrix, JUnit XML, JSON.
#pragma once

#include <cstdio>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "kubedouble/scenarios/runner.h"

namespace kubedouble::scenarios {

// scenario × client: pass, FAIL, skip, ERROR; then every failure and error with its reason and
// file:line, the skip reasons (grouped), and a summary line.
std::string FormatMatrix(const RunReport& report, bool color = false);

// One <testsuite> per suite, one <testcase name="scenario [client]" classname="suite.client">
// per run: <failure> for fail, <error> for error, <skipped message=...> for skip; the outcome in
// <system-out>.
std::string FormatJunit(const RunReport& report);

// {"clients":[..],"seconds":..,"summary":{...},"results":[{suite,scenario,client,status,reason,
//  expected:{..},outcome:{.., evidence:{..}},seconds}]}
nlohmann::json ToJson(const RunReport& report);

// Writes `text` to `file`, throwing std::runtime_error naming the file when it cannot.
void WriteReport(const std::filesystem::path& file, const std::string& text);

}  // namespace kubedouble::scenarios
