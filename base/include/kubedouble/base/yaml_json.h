// The one way kubedouble reads YAML: request bodies, fixtures, fault rules, policies, resource
// files, kubeconfigs and scenario suites all load through here.
//
// yaml-cpp shares an anchored node between its aliases, so a few hundred bytes can describe a
// graph that is gigabytes once expanded ("billion laughs"), and an alias inside its own anchor
// (`a: &a [*a]`) makes a graph with a cycle that any walk follows until the stack overflows.
// These loaders read the events first and refuse such documents before a node is built, as
// kube-apiserver's YAML decoder (go-yaml) does, with its wording:
//
//   - an alias inside the value of its own anchor: "anchor 'a' value contains itself";
//   - more than 100 nodes from aliases in a document of more than 1,000 nodes, where aliases make
//     more than the allowed share of the nodes: 99% up to 400,000 nodes, then falling evenly to
//     10% at 4,000,000 nodes and beyond: "document contains excessive aliasing";
//   - and two caps of kubedouble's own, because an expanded document is copied into JSON here
//     (go-yaml shares strings): more than YamlLimits::max_nodes nodes after expansion, or aliases
//     repeating more than YamlLimits::max_alias_bytes bytes of scalar text.
//
// The text must be UTF-8 without NUL bytes ("invalid leading UTF-8 octet", "control characters
// are not allowed"), so that every scalar is valid UTF-8 as JSON needs; UTF-16 and UTF-32
// documents are refused.
//
// Nodes are counted as go-yaml counts them: every scalar (map keys too), null, sequence and
// mapping, with an alias counting as the nodes of the value it repeats.
//
// Errors are YAML::ParserException (a YAML::Exception): `mark` is where (0-based line and
// column, as yaml-cpp reports them), `msg` what is wrong. yaml-cpp's own syntax errors come the
// same way, so one catch serves both; the caller names the input (the request body, a file).
#pragma once

#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace kubedouble::base {

struct YamlLimits {
  // Nodes in one document once every alias is expanded. A 3 MiB request body (kube-apiserver's
  // limit) of the densest YAML, `[0,0,...]`, has 1.5 million.
  size_t max_nodes = 4'000'000;
  // Bytes of scalar text that aliases add to one document by repeating anchored values.
  size_t max_alias_bytes = 16u << 20;
};

// The first document of `text` (a null node when there is none), checked as above.
YAML::Node LoadYaml(const std::string& text, const YamlLimits& limits = {});
// Every document of `text`, each checked as above.
std::vector<YAML::Node> LoadAllYaml(const std::string& text, const YamlLimits& limits = {});

// A node from LoadYaml/LoadAllYaml (or built in code, without cycles) as JSON. Plain scalars
// follow YAML 1.2's core schema: null (``, `~`, `null`, `Null`, `NULL`), booleans (`true`,
// `True`, `TRUE` and the same for false; `yes`, `on` and `y` are text), integers (`12`, `-4`,
// `0o17`, `0x1F`), floats (`1.5`, `.5`, `1e3`); everything else is text, as are quoted and
// `!!str` scalars. `.inf` and `.nan` are floats JSON cannot hold: a YAML::ParserException. Merge
// keys (`<<: *base`, or a list of them) copy the keys the mapping does not set itself, as go-yaml
// does. Map keys must be scalars (YAML::Exception otherwise).
nlohmann::json YamlToJson(const YAML::Node& node);
// LoadYaml, then YamlToJson.
nlohmann::json LoadYamlAsJson(const std::string& text, const YamlLimits& limits = {});

}  // namespace kubedouble::base
