// Look-up over the generated Table columns (printer_table.cpp).
#include "kubedouble/schema/printers.h"

namespace kubedouble::schema {

const Printer* FindPrinter(std::string_view group, std::string_view resource) {
  for (const Printer& p : Printers()) {
    if (p.group == group && p.resource == resource) return &p;
  }
  return nullptr;
}

}  // namespace kubedouble::schema
