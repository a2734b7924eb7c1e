// The drivers' factories and the helpers they share (internal).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "kubedouble/scenarios/driver.h"
#include "kubedouble/scenarios/process.h"

namespace kubedouble::scenarios {

std::unique_ptr<Driver> MakeCurlDriver();
std::unique_ptr<Driver> MakeKubectlDriver();
std::unique_ptr<Driver> MakePythonDriver(const std::filesystem::path& clients_dir);
std::unique_ptr<Driver> MakeNodeDriver(const std::filesystem::path& clients_dir);
std::unique_ptr<Driver> MakeAccesslibDriver();

// What `argv` prints on stdout (a version line), "" when it fails or takes over 10 seconds.
std::string ProgramOutput(const std::vector<std::string>& argv);
// Keeps what a client run was, in its run folder: client.sh (the command, environment, folder
// and input, to run again by hand) and client.log (its stdout and stderr).
void RecordClientRun(const ProcessOptions& run, const std::string& out, const std::string& err);
// The first non-empty line, shortened for a report.
std::string FirstLine(const std::string& text);
// From a response body: items, the whoami user and a TokenReview's answer (ok), or the Status
// reason and message (errors).
void FillFromBody(const std::string& body, Outcome& outcome);
std::string PatchContentType(const std::string& patch_type);
// A server-side apply's query ("?fieldManager=m&force=true"); "" for any other request.
std::string ApplyQuery(const Request& request);

}  // namespace kubedouble::scenarios
