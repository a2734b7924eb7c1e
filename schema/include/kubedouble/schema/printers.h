// kubedouble::schema — the server-side Table columns (kubectl get) of every built-in resource.
//
// Generated from schema/data/printer-columns.json (the columns of kube-apiserver's printers): per
// resource, each column's name, declared type and format, priority (1: shown by kubectl only with
// -o wide; the server always sends the cell) and the JSON type of its cell, and how the cell is
// filled — a JSON path, the age of a timestamp, a count, or a named computation that the server
// implements (fakeserver/src/store/table_cells.cpp).
//
//   const schema::Printer* p = schema::FindPrinter("apps", "deployments");
//   p->columns[1]  // {"Ready", "string", "", 0, "string", kComputed, "readyOfDesired", "", ""}
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace kubedouble::schema {

// How a cell is filled from the object.
enum class CellRule : uint8_t {
  kPath,      // the value at `path` ("spec.type", "spec.clusterIPs[0]"), else `fallback`
  kAge,       // the time since the timestamp at `path`, humanized ("3m20s"), else `fallback`
  kCount,     // the number of entries of the array or map at `path` ("data+binaryData": summed)
  kComputed,  // the computation named `function`, reading `path` where it takes one; an empty
              // name: not computed by kubedouble, the cell holds its type's zero value
};

struct PrinterColumn {
  std::string_view name;       // "Up-to-date"
  std::string_view type;       // declared: "string", "integer", "date", ...
  std::string_view format;     // "name" for the Name column, else ""
  uint8_t priority;            // 0, or 1 for the -o wide columns
  std::string_view cell_type;  // the JSON type of the cell: "string", "integer", "boolean"
  CellRule rule;
  std::string_view function;  // kComputed: "readyOfDesired", "labelSelector", ...
  std::string_view path;
  std::string_view fallback;  // when the path holds nothing: "<none>", "<unset>", ...
};

struct Printer {
  std::string_view group;     // "" for core
  std::string_view resource;  // "deployments"
  bool default_table;         // no printer of its own: Name, Created At (RFC 3339)
  std::span<const PrinterColumn> columns;
};

std::span<const Printer> Printers();  // by group, then resource
// The printer of a resource; nullptr for one without (custom resources).
const Printer* FindPrinter(std::string_view group, std::string_view resource);

}  // namespace kubedouble::schema
