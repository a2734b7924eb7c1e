#include "libarchive.h"

#include <dlfcn.h>

namespace kubedouble::fake {

namespace {

// The soname of Debian's libarchive13, the version archive.h describes.
constexpr const char* kSoname = "libarchive.so.13";

struct Opened {
  LibArchive table{};
  std::string error;  // empty when every function was found
};

// Reads `name` from `lib` into `fn`; the first miss is kept in `error`.
template <typename Fn>
void Find(void* lib, const char* name, Fn& fn, std::string& error) {
  fn = reinterpret_cast<Fn>(dlsym(lib, name));
  if (fn == nullptr && error.empty()) error = std::string(kSoname) + ": no symbol " + name;
}

Opened Open() {
  Opened o;
  void* lib = dlopen(kSoname, RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    const char* why = dlerror();
    o.error = why != nullptr ? why : kSoname;
    return o;
  }
  LibArchive& t = o.table;
  std::string& e = o.error;
  Find(lib, "archive_write_new", t.write_new, e);
  Find(lib, "archive_write_set_format_gnutar", t.write_set_format_gnutar, e);
  Find(lib, "archive_write_set_bytes_in_last_block", t.write_set_bytes_in_last_block, e);
  Find(lib, "archive_write_open", t.write_open, e);
  Find(lib, "archive_write_header", t.write_header, e);
  Find(lib, "archive_write_data", t.write_data, e);
  Find(lib, "archive_write_close", t.write_close, e);
  Find(lib, "archive_read_new", t.read_new, e);
  Find(lib, "archive_read_support_format_tar", t.read_support_format_tar, e);
  Find(lib, "archive_read_support_format_gnutar", t.read_support_format_gnutar, e);
  Find(lib, "archive_read_open_memory", t.read_open_memory, e);
  Find(lib, "archive_read_next_header", t.read_next_header, e);
  Find(lib, "archive_read_data", t.read_data, e);
  Find(lib, "archive_free", t.free, e);
  Find(lib, "archive_entry_new", t.entry_new, e);
  Find(lib, "archive_entry_free", t.entry_free, e);
  Find(lib, "archive_entry_pathname", t.entry_pathname, e);
  Find(lib, "archive_entry_set_pathname", t.entry_set_pathname, e);
  Find(lib, "archive_entry_filetype", t.entry_filetype, e);
  Find(lib, "archive_entry_set_filetype", t.entry_set_filetype, e);
  Find(lib, "archive_entry_perm", t.entry_perm, e);
  Find(lib, "archive_entry_set_perm", t.entry_set_perm, e);
  Find(lib, "archive_entry_set_size", t.entry_set_size, e);
  Find(lib, "archive_entry_mtime", t.entry_mtime, e);
  Find(lib, "archive_entry_set_mtime", t.entry_set_mtime, e);
  Find(lib, "archive_entry_set_uname", t.entry_set_uname, e);
  Find(lib, "archive_entry_set_gname", t.entry_set_gname, e);
  return o;  // the library stays open for the life of the process
}

}  // namespace

const LibArchive* OpenLibArchive(std::string* error) {
  static const Opened opened = Open();
  if (!opened.error.empty()) {
    if (error != nullptr) *error = opened.error;
    return nullptr;
  }
  return &opened.table;
}

}  // namespace kubedouble::fake
