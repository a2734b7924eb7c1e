// Server-side printing: the Table kubectl get asks for, with the columns of the real printers
// (schema::Printers) and cells filled as the printer columns say (table_cells.h).
#include <string>

#include "kubedouble/schema/printers.h"
#include "kubedouble/schema/resources.h"
#include "store_core.h"
#include "table_cells.h"

namespace kubedouble::fake {
namespace {

using schema::CellRule;
using schema::PrinterColumn;

// Custom resources without additionalPrinterColumns: Name, and the age as a date column (which
// the server sends humanized).
constexpr PrinterColumn kCustomResourceColumns[] = {
    {"Name", "string", "name", 0, "string", CellRule::kPath, "", "metadata.name", ""},
    {"Age", "date", "", 0, "string", CellRule::kAge, "", "metadata.creationTimestamp", "<unknown>"},
};
// A built-in resource without a printer (none in 1.32's tables): the default table.
constexpr PrinterColumn kDefaultColumns[] = {
    {"Name", "string", "name", 0, "string", CellRule::kPath, "", "metadata.name", ""},
    {"Created At", "date", "", 0, "string", CellRule::kPath, "", "metadata.creationTimestamp", ""},
};

// A CRD's additionalPrinterColumns as printer columns: Name, then each column's JSON path (its
// strings stay in `res`, which outlives the Table).
std::vector<PrinterColumn> CustomColumns(const ResourceInfo& res) {
  std::vector<PrinterColumn> out = {kCustomResourceColumns[0]};
  auto text = [](const json& c, const char* key) -> std::string_view {
    auto it = c.find(key);
    return it != c.end() && it->is_string() ? std::string_view(it->get_ref<const std::string&>())
                                            : std::string_view();
  };
  for (const json& c : res.printer_columns) {
    if (!c.is_object()) continue;
    std::string_view type = text(c, "type"), path = text(c, "jsonPath");
    if (path.starts_with(".")) path.remove_prefix(1);
    const json& priority = AtPath(c, "priority");
    out.push_back({text(c, "name"), type, text(c, "format"),
                   static_cast<uint8_t>(priority.is_number_integer() ? priority.get<int>() : 0),
                   type, type == "date" ? CellRule::kAge : CellRule::kPath, "", path, ""});
  }
  return out;
}

std::span<const PrinterColumn> ColumnsOf(const ResourceInfo& res) {
  if (const schema::Printer* p = schema::FindPrinter(res.group, res.plural)) return p->columns;
  if (schema::FindResource(res.group, res.version, res.plural)) return kDefaultColumns;
  return kCustomResourceColumns;
}

json ColumnDefinitions(std::span<const PrinterColumn> columns) {
  json out = json::array();
  for (const PrinterColumn& c : columns) {
    out.push_back({{"name", c.name},
                   {"type", c.type},
                   {"format", c.format},
                   {"description", ""},
                   {"priority", c.priority}});
  }
  return out;
}

// A value as a cell of the column's JSON type; `fallback` (or the type's zero value) for nothing.
json Typed(const json& v, const PrinterColumn& c) {
  const bool empty = v.is_null() || (v.is_string() && v.get_ref<const std::string&>().empty());
  if (c.cell_type == "integer") {
    if (v.is_number_integer()) return v;
    return empty && !c.fallback.empty() ? json(std::string(c.fallback)) : json(0);
  }
  if (c.cell_type == "boolean") {
    if (v.is_boolean()) return v;
    return c.fallback == "true";
  }
  if (empty) return std::string(c.fallback);
  if (c.cell_type == "string" && !v.is_string()) return v.dump();
  return v;
}

size_t CountAt(const json& obj, std::string_view paths) {
  size_t n = 0;
  while (!paths.empty()) {
    size_t plus = paths.find('+');
    const json& v = AtPath(obj, paths.substr(0, plus));
    if (v.is_object() || v.is_array()) n += v.size();
    paths = plus == std::string_view::npos ? std::string_view() : paths.substr(plus + 1);
  }
  return n;
}

json Cell(const PrinterColumn& c, const json& obj, TimePoint now) {
  switch (c.rule) {
    case CellRule::kPath:
      return Typed(AtPath(obj, c.path), c);
    case CellRule::kAge: {
      const json& t = AtPath(obj, c.path);
      return t.is_null() ? std::string(c.fallback) : AgeOf(t, now);
    }
    case CellRule::kCount:
      return CountAt(obj, c.path);
    case CellRule::kComputed:
      break;
  }
  if (auto cell = ComputedCell(c.function, obj, c.path, now)) {
    const bool empty = cell->is_string() && cell->get_ref<const std::string&>().empty();
    return empty && !c.fallback.empty() ? json(std::string(c.fallback)) : *cell;
  }
  return Typed(nullptr, c);  // a computation kubedouble does not do yet
}

json Row(std::span<const PrinterColumn> columns, const json& obj, TimePoint now) {
  json cells = json::array();
  for (const PrinterColumn& c : columns) cells.push_back(Cell(c, obj, now));
  json meta = obj.contains("metadata") ? obj["metadata"] : json::object();
  return {{"cells", std::move(cells)},
          {"object",
           {{"kind", "PartialObjectMetadata"},
            {"apiVersion", "meta.k8s.io/v1"},
            {"metadata", std::move(meta)}}}};
}

const json& MetadataOf(const json& v) { return AtPath(v, "metadata"); }

const json& Items(const json& v) {
  static const json kNone = json::array();
  return v.is_array() ? v : kNone;
}

}  // namespace

json ToTable(const ResourceInfo& res, const json& list_or_object, bool include_column_definitions,
             std::chrono::system_clock::time_point now) {
  const std::vector<PrinterColumn> custom =
      res.printer_columns.is_array() ? CustomColumns(res) : std::vector<PrinterColumn>();
  const std::span<const PrinterColumn> columns =
      custom.empty() ? ColumnsOf(res) : std::span<const PrinterColumn>(custom);
  json table = {{"kind", "Table"},
                {"apiVersion", "meta.k8s.io/v1"},
                {"metadata", json::object()},
                {"columnDefinitions",
                 include_column_definitions ? ColumnDefinitions(columns) : json::array()},
                {"rows", json::array()}};
  const bool is_list = list_or_object.is_object() && list_or_object.contains("items") &&
                       list_or_object["items"].is_array();
  if (is_list) {
    const json& lm = MetadataOf(list_or_object);
    for (const char* f : {"resourceVersion", "continue", "remainingItemCount"}) {
      if (lm.is_object() && lm.contains(f)) table["metadata"][f] = lm[f];
    }
    for (const auto& item : list_or_object["items"])
      table["rows"].push_back(Row(columns, item, now));
  } else if (list_or_object.is_object()) {
    const json& rv = AtPath(list_or_object, "metadata.resourceVersion");
    if (rv.is_string() && !rv.get_ref<const std::string&>().empty()) {
      table["metadata"]["resourceVersion"] = rv;
    }
    table["rows"].push_back(Row(columns, list_or_object, now));
  }
  return table;
}

json CrdPrinterColumns(const Store& store, const Registry& registry, const ResourceInfo& res) {
  if (res.group.empty() || schema::FindGroup(res.group)) return nullptr;  // a built-in group
  auto crds = registry.Find("apiextensions.k8s.io", "v1", "customresourcedefinitions");
  if (!crds) return nullptr;
  std::optional<json> crd = store.Find(*crds, "", res.plural + "." + res.group);
  if (!crd) return nullptr;  // a resource from --resources, without a CRD object
  for (const json& v : Items(AtPath(*crd, "spec.versions"))) {
    if (AtPath(v, "name") == res.version && AtPath(v, "additionalPrinterColumns").is_array()) {
      return AtPath(v, "additionalPrinterColumns");
    }
  }
  return nullptr;
}

}  // namespace kubedouble::fake
