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

// One <testsuite timestamp=.. hostname=..> per suite, opening with <properties>
// (kubedouble.version, client.NAME.version, started, host), one <testcase name="scenario [client]"
// classname="suite.client" file="repo-relative path" line="N"> per run: <failure> for fail,
// <error> for error, <skipped message=...> for skip; the outcome in <system-out>.
std::string FormatJunit(const RunReport& report);

// {"clients":[..],"kubedouble_version":..,"client_versions":{..},"started":..,"host":..,
//  "seconds":..,"summary":{...},"results":[{suite,scenario,client,status,reason,file,line,
//  expected:{..},outcome:{.., evidence:{.., requests:[{method,path,status,user,auth}]}},seconds}]}
nlohmann::json ToJson(const RunReport& report);

// Writes `text` to `file`, throwing std::runtime_error naming the file when it cannot.
void WriteReport(const std::filesystem::path& file, const std::string& text);

}  // namespace kubedouble::scenarios
