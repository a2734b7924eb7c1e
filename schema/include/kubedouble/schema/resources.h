// kubedouble::schema — what the Kubernetes 1.32 API serves by default, as compact tables.
//
// The tables are generated at build time (schema/gen/gen_schema.py) from the facts in
// schema/data/ (see its ORIGIN.md): every API group with its versions in priority order, and every
// resource of the default-enabled group-versions with the facts discovery shows — kind, singular
// name, short names, categories, scope, verbs and subresources. Nothing here allocates or runs at
// start-up: the tables are constant data.
//
//   for (const schema::Resource& r : schema::Resources()) ...   // core first, then /apis order
//   const schema::Resource* d = schema::FindResource("apps", "v1", "deployments");
//   schema::VerbNames(d->verbs)  // {"create", "delete", ..., "watch"}, as discovery lists them
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kubedouble::schema {

// The verbs of a resource or subresource, as a bit set. Discovery lists them in this order
// (which is alphabetical).
enum Verb : uint16_t {
  kCreate = 1 << 0,
  kDelete = 1 << 1,
  kDeleteCollection = 1 << 2,
  kGet = 1 << 3,
  kList = 1 << 4,
  kPatch = 1 << 5,
  kUpdate = 1 << 6,
  kWatch = 1 << 7,
};

// "create" -> kCreate, ...; 0 for anything else.
uint16_t VerbBit(std::string_view verb);
// The names of the verbs in `verbs`, in discovery's order.
std::vector<std::string> VerbNames(uint16_t verbs);

// A subresource: pods/status, deployments/scale, serviceaccounts/token, ...
struct Subresource {
  std::string_view name;  // "status"
  // The kind it takes and returns; group and version are empty when they are the resource's
  // own (status), set when the kind lives elsewhere (scale: autoscaling/v1 Scale).
  std::string_view group;
  std::string_view version;
  std::string_view kind;
  uint16_t verbs;
};

// One resource of one group-version.
struct Resource {
  std::string_view group;     // "" for the core group
  std::string_view version;   // "v1"
  std::string_view plural;    // "deployments"
  std::string_view singular;  // "deployment"
  std::string_view kind;      // "Deployment"
  bool namespaced;
  std::span<const std::string_view> short_names;  // {"deploy"}
  std::span<const std::string_view> categories;   // {"all"}
  uint16_t verbs;
  std::span<const Subresource> subresources;  // by name
};

// An API group and the versions a default 1.32 server serves.
struct Group {
  std::string_view name;                       // "" for the core group ("/api")
  std::span<const std::string_view> versions;  // highest priority first: {"v2", "v1"}
  std::string_view preferred_version;          // versions[0]
};

// The groups, in the order discovery lists them: core first, then the order of `GET /apis`.
std::span<const Group> Groups();
// Every default-enabled resource, grouped as Groups() orders them, versions in priority order,
// resources by plural name.
std::span<const Resource> Resources();

// Look-ups; nullptr when not served.
const Group* FindGroup(std::string_view group);
const Resource* FindResource(std::string_view group, std::string_view version,
                             std::string_view plural);
// The position of `group` in Groups(), or -1 for a group the schema does not know (a CRD's).
int GroupPosition(std::string_view group);

}  // namespace kubedouble::schema
