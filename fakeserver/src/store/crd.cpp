// CustomResourceDefinitions: creating one registers the resource it defines.
#include <algorithm>

#include <kubedouble/schema/fields.h>
#include <kubedouble/schema/resources.h>

#include "crd_schema.h"
#include "kubedouble/base/strings.h"
#include "store_core.h"
#include "validation.h"

namespace kubedouble::fake {
namespace {

std::string Str(const json& o, const char* k) {
  if (!o.is_object()) return "";
  auto it = o.find(k);
  return it != o.end() && it->is_string() ? it->get<std::string>() : "";
}

std::vector<std::string> Strings(const json& o, const char* k) {
  std::vector<std::string> out;
  if (o.is_object() && o.contains(k) && o[k].is_array()) {
    for (const auto& v : o[k]) {
      if (v.is_string()) out.push_back(v.get<std::string>());
    }
  }
  return out;
}

}  // namespace

bool IsCrdResource(const ResourceInfo& res) {
  return res.group == "apiextensions.k8s.io" && res.plural == "customresourcedefinitions";
}

std::vector<ResourceInfo> PrepareCrd(json& crd, const std::string& now) {
  json causes = json::array();
  const std::string name = MetaString(crd, "name");
  const json spec = crd.contains("spec") ? crd["spec"] : json::object();
  const json names = spec.contains("names") ? spec["names"] : json::object();
  std::string group = Str(spec, "group");
  std::string plural = Str(names, "plural");
  std::string kind = Str(names, "kind");
  std::string singular = Str(names, "singular");
  std::string list_kind = Str(names, "listKind");
  std::string scope = Str(spec, "scope");
  if (group.empty()) {
    causes.push_back(RequiredCause("spec.group", ""));
  } else if (group.find('.') == std::string::npos || !IsDns1123Subdomain(group)) {
    causes.push_back(InvalidCause("spec.group", group, "should be a domain with at least one dot"));
  }
  if (plural.empty()) {
    causes.push_back(RequiredCause("spec.names.plural", ""));
  } else if (!IsDns1123Label(plural)) {
    for (auto& e : Dns1123LabelErrors(plural)) {
      causes.push_back(InvalidCause("spec.names.plural", plural, e));
    }
  }
  if (kind.empty()) causes.push_back(RequiredCause("spec.names.kind", ""));
  if (scope != "Namespaced" && scope != "Cluster") {
    causes.push_back(NotSupportedCause("spec.scope", scope, {"Cluster", "Namespaced"}));
  }
  if (!group.empty() && !plural.empty() && name != plural + "." + group) {
    causes.push_back(
        InvalidCause("metadata.name", name, "must be spec.names.plural+\".\"+spec.group"));
  }
  std::vector<json> served;  // the served entries of spec.versions
  std::string storage;
  int storage_count = 0;
  if (!spec.contains("versions") || !spec["versions"].is_array() || spec["versions"].empty()) {
    causes.push_back(RequiredCause("spec.versions",
                                   "must have exactly one version marked as "
                                   "storage version"));
  } else {
    for (size_t i = 0; i < spec["versions"].size(); ++i) {
      const json& v = spec["versions"][i];
      std::string vn = Str(v, "name");
      if (vn.empty() || !IsDns1123Label(vn)) {
        causes.push_back(InvalidCause("spec.versions[" + std::to_string(i) + "].name", vn,
                                      "must be a DNS-1035 label"));
        continue;
      }
      if (v.value("served", true)) served.push_back(v);
      if (v.value("storage", false)) {
        storage = vn;
        ++storage_count;
      }
    }
    if (storage_count != 1) {
      causes.push_back(InvalidCause("spec.versions", std::to_string(storage_count),
                                    "must have exactly one version marked as storage version"));
    }
  }
  if (spec.contains("versions") && spec["versions"].is_array()) {
    for (auto& cause : StructuralCauses(crd)) causes.push_back(std::move(cause));
  }
  if (!causes.empty()) {
    throw StatusError::Invalid("CustomResourceDefinition.apiextensions.k8s.io", name, causes);
  }
  if (singular.empty()) singular = base::Lower(kind);
  if (list_kind.empty()) list_kind = kind + "List";
  json accepted = {
      {"plural", plural}, {"singular", singular}, {"kind", kind}, {"listKind", list_kind}};
  auto short_names = Strings(names, "shortNames");
  auto categories = Strings(names, "categories");
  if (!short_names.empty()) accepted["shortNames"] = short_names;
  if (!categories.empty()) accepted["categories"] = categories;
  // Keep the transition times an update carries over, so a no-op update stays a no-op.
  auto since = [&](const char* type) {
    if (crd.contains("status") && crd["status"].is_object() &&
        crd["status"].contains("conditions") && crd["status"]["conditions"].is_array()) {
      for (const auto& c : crd["status"]["conditions"]) {
        if (c.is_object() && Str(c, "type") == type && !Str(c, "lastTransitionTime").empty()) {
          return Str(c, "lastTransitionTime");
        }
      }
    }
    return now;
  };
  crd["status"] = {{"conditions",
                    {{{"type", "NamesAccepted"},
                      {"status", "True"},
                      {"reason", "NoConflicts"},
                      {"message", "no conflicts found"},
                      {"lastTransitionTime", since("NamesAccepted")}},
                     {{"type", "Established"},
                      {"status", "True"},
                      {"reason", "InitialNamesAccepted"},
                      {"message", "the initial names have been accepted"},
                      {"lastTransitionTime", since("Established")}}}},
                   {"acceptedNames", accepted},
                   {"storedVersions", {storage}}};
  std::vector<ResourceInfo> out;
  for (const auto& v : served) {
    ResourceInfo r;
    r.group = group;
    r.version = Str(v, "name");
    r.kind = kind;
    r.plural = plural;
    r.singular = singular;
    r.namespaced = scope == "Namespaced";
    r.short_names = short_names;
    r.categories = categories;
    // The subresources a version enables, as discovery lists them.
    const json subs = v.contains("subresources") ? v["subresources"] : json::object();
    if (subs.is_object() && subs.contains("scale")) {
      r.subresources.push_back({"scale", "autoscaling", "v1", "Scale", {"get", "patch", "update"}});
    }
    if (subs.is_object() && subs.contains("status")) {
      r.subresources.push_back({"status", "", "", kind, {"get", "patch", "update"}});
    }
    out.push_back(std::move(r));
  }
  return out;
}

const json* CustomResourceSchema(const Core& c, const ResourceInfo& res) {
  if (!c.crd_resources.count({res.group, res.plural})) return nullptr;
  auto bucket = c.buckets.find("apiextensions.k8s.io/customresourcedefinitions");
  if (bucket == c.buckets.end()) return nullptr;
  auto it = bucket->second.find(res.plural + "." + res.group);
  return it == bucket->second.end() ? nullptr : CrdVersionSchema(*it->second, res.version);
}

void PrepareCustomResource(const Core& c, const ResourceInfo& res, json& object) {
  const json* schema = CustomResourceSchema(c, res);
  if (!schema) return;
  PruneBySchema(*schema, object);
  ApplySchemaDefaults(*schema, object);
  json causes = SchemaCauses(*schema, object);
  if (!causes.empty()) {
    throw StatusError::Invalid(QualifiedKind(res), MetaString(object, "name"), causes);
  }
}

void RedefaultCustomResources(Core& c, const json& crd) {
  const json spec = crd.value("spec", json::object());
  const std::string group = Str(spec, "group");
  const std::string plural = Str(spec.value("names", json::object()), "plural");
  const json* schema = nullptr;
  for (const auto& v : spec.value("versions", json::array())) {
    if (v.is_object() && v.value("storage", false)) schema = CrdVersionSchema(crd, Str(v, "name"));
  }
  auto bucket = c.buckets.find(group + "/" + plural);
  if (!schema || bucket == c.buckets.end()) return;
  for (auto& [key, object] : bucket->second) {
    json value = *object;
    ApplySchemaDefaults(*schema, value);
    if (value != *object) object = ObjectPtr::Make(std::move(value));
  }
}

std::vector<std::string> PruneUnknownFields(const Store& store, const ResourceInfo& res,
                                            json& body) {
  if (res.group.empty() || schema::FindGroup(res.group)) {
    return schema::PruneUnknownFields(res.group, res.version, res.kind, body);
  }
  auto crds = store.registry()->Find("apiextensions.k8s.io", "v1", "customresourcedefinitions");
  if (!crds) return {};
  std::optional<json> crd = store.Find(*crds, "", res.plural + "." + res.group);
  if (!crd) return {};  // a resource from --resources, without a CRD object
  if (const json* schema = CrdVersionSchema(*crd, res.version)) return PruneBySchema(*schema, body);
  return {};
}

}  // namespace kubedouble::fake
