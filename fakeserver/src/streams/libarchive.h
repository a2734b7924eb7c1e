// libarchive, opened the first time a simulated container runs tar.
//
// Linking it would make every `kubedouble serve` load libarchive and what it pulls in (libxml2,
// ICU, the compressors): about 2.7 M more instructions in the dynamic linker before main, a fifth
// of its work, for a command few sessions run. So the library is opened with dlopen on first use
// and its functions are read into this table once; the prototypes still come from archive.h, so
// a call through the table is type-checked as a direct call would be.
#pragma once

#include <archive.h>
#include <archive_entry.h>

#include <string>

namespace kubedouble::fake {

struct LibArchive {
  decltype(&::archive_write_new) write_new;
  decltype(&::archive_write_set_format_gnutar) write_set_format_gnutar;
  decltype(&::archive_write_set_bytes_in_last_block) write_set_bytes_in_last_block;
  decltype(&::archive_write_open) write_open;
  decltype(&::archive_write_header) write_header;
  decltype(&::archive_write_data) write_data;
  decltype(&::archive_write_close) write_close;
  decltype(&::archive_read_new) read_new;
  decltype(&::archive_read_support_format_tar) read_support_format_tar;
  decltype(&::archive_read_support_format_gnutar) read_support_format_gnutar;
  decltype(&::archive_read_open_memory) read_open_memory;
  decltype(&::archive_read_next_header) read_next_header;
  decltype(&::archive_read_data) read_data;
  decltype(&::archive_free) free;
  decltype(&::archive_entry_new) entry_new;
  decltype(&::archive_entry_free) entry_free;
  decltype(&::archive_entry_pathname) entry_pathname;
  decltype(&::archive_entry_set_pathname) entry_set_pathname;
  decltype(&::archive_entry_filetype) entry_filetype;
  decltype(&::archive_entry_set_filetype) entry_set_filetype;
  decltype(&::archive_entry_perm) entry_perm;
  decltype(&::archive_entry_set_perm) entry_set_perm;
  decltype(&::archive_entry_set_size) entry_set_size;
  decltype(&::archive_entry_mtime) entry_mtime;
  decltype(&::archive_entry_set_mtime) entry_set_mtime;
  decltype(&::archive_entry_set_uname) entry_set_uname;
  decltype(&::archive_entry_set_gname) entry_set_gname;
};

// The table, opened on the first call (thread-safe; later calls return the same table), or
// nullptr when libarchive cannot be opened; then `error` says why, naming the library
// ("libarchive.so.13: cannot open shared object file: No such file or directory").
const LibArchive* OpenLibArchive(std::string* error);

}  // namespace kubedouble::fake
