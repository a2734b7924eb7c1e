#include "tar_archive.h"

#include <memory>

#include "libarchive.h"

namespace kubedouble::fake {

namespace {

struct ArchiveFree {
  const LibArchive* la;
  void operator()(archive* a) const { la->free(a); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveFree>;

struct EntryFree {
  const LibArchive* la;
  void operator()(archive_entry* e) const { la->entry_free(e); }
};

// libarchive, or the outcome of a tar that could not open it (status 2, the loader's reason).
const LibArchive* Library(TarOutcome& result) {
  std::string why;
  const LibArchive* la = OpenLibArchive(&why);
  if (la == nullptr) {
    result.errors = "tar: " + why + "\n";
    result.status = 2;
  }
  return la;
}

// libarchive's write callbacks, appending to a string.
la_ssize_t Append(archive*, void* out, const void* data, size_t size) {
  static_cast<std::string*>(out)->append(static_cast<const char*>(data), size);
  return static_cast<la_ssize_t>(size);
}
int Nothing(archive*, void*) { return ARCHIVE_OK; }

std::string StripLeadingSlashes(std::string name) {
  size_t n = name.find_first_not_of('/');
  return n == std::string::npos ? std::string() : name.substr(n);
}

void AddEntry(const LibArchive* la, archive* out, const FileTree& tree, const std::string& path,
              const std::string& name, TarOutcome& result, bool verbose) {
  std::optional<FileNode> node = tree.Stat(path);
  if (!node) {
    result.errors += "tar: " + name + ": Cannot stat: No such file or directory\n";
    result.status = 2;
    return;
  }
  std::unique_ptr<archive_entry, EntryFree> entry(la->entry_new(), EntryFree{la});
  const std::string member = node->dir && name.back() != '/' ? name + "/" : name;
  la->entry_set_pathname(entry.get(), member.c_str());
  la->entry_set_filetype(entry.get(), node->dir ? AE_IFDIR : AE_IFREG);
  la->entry_set_perm(entry.get(), node->mode & 07777);
  la->entry_set_size(entry.get(), node->dir ? 0 : static_cast<la_int64_t>(node->data.size()));
  la->entry_set_mtime(entry.get(), std::chrono::system_clock::to_time_t(node->mtime), 0);
  la->entry_set_uname(entry.get(), "root");
  la->entry_set_gname(entry.get(), "root");
  la->write_header(out, entry.get());
  if (!node->dir) la->write_data(out, node->data.data(), node->data.size());
  if (verbose) result.archive += member + "\n";
  if (!node->dir) return;
  for (const std::string& child : tree.List(path).value_or(std::vector<std::string>{})) {
    AddEntry(la, out, tree, path == "/" ? "/" + child : path + "/" + child,
             (name.back() == '/' ? name : name + "/") + child, result, verbose);
  }
}

}  // namespace

TarOutcome TarCreate(const FileTree& tree, const std::string& cwd,
                     const std::vector<std::string>& paths, bool verbose) {
  TarOutcome result;
  const LibArchive* la = Library(result);
  if (la == nullptr) return result;
  std::string archive_bytes;
  TarOutcome listing;
  ArchivePtr out(la->write_new(), ArchiveFree{la});
  la->write_set_format_gnutar(out.get());
  la->write_set_bytes_in_last_block(out.get(), 1);
  la->write_open(out.get(), &archive_bytes, Nothing, Append, Nothing);
  bool said_leading = false;
  for (const std::string& path : paths) {
    std::string name = path;
    if (!name.empty() && name[0] == '/') {
      if (!said_leading) result.errors += "tar: Removing leading `/' from member names\n";
      said_leading = true;
      name = StripLeadingSlashes(name);
      if (name.empty()) name.push_back('/');
    }
    while (name.size() > 1 && name.back() == '/') name.pop_back();
    if (!tree.Stat(FileTree::Absolute(cwd, path))) {
      listing.errors += "tar: " + path + ": Cannot stat: No such file or directory\n";
      listing.status = 2;
      continue;
    }
    AddEntry(la, out.get(), tree, FileTree::Absolute(cwd, path), name, listing, verbose);
  }
  la->write_close(out.get());
  result.errors += listing.errors;  // the verbose listing goes to stderr when the archive is stdout
  if (verbose) result.errors = listing.archive + result.errors;
  result.status = listing.status;
  if (result.status != 0) {
    result.errors += "tar: Exiting with failure status due to previous errors\n";
  }
  result.archive = std::move(archive_bytes);
  return result;
}

TarOutcome TarExtract(FileTree& tree, const std::string& archive_bytes, const std::string& dir,
                      bool touch, bool list_only, bool verbose,
                      std::chrono::system_clock::time_point now) {
  TarOutcome result;
  std::optional<FileNode> target = tree.Stat(dir);
  if (!target || !target->dir) {
    result.errors = "tar: " + dir +
                    ": Cannot open: " + (target ? FileTree::kNotDir : FileTree::kNoEntry) + "\n" +
                    "tar: Error is not recoverable: exiting now\n";
    result.status = 2;
    return result;
  }
  const LibArchive* la = Library(result);
  if (la == nullptr) return result;
  ArchivePtr in(la->read_new(), ArchiveFree{la});
  la->read_support_format_tar(in.get());
  la->read_support_format_gnutar(in.get());
  if (archive_bytes.empty() ||
      la->read_open_memory(in.get(), archive_bytes.data(), archive_bytes.size()) != ARCHIVE_OK) {
    result.errors =
        "tar: This does not look like a tar archive\n"
        "tar: Exiting with failure status due to previous errors\n";
    result.status = 2;
    return result;
  }
  archive_entry* entry = nullptr;
  bool first = true;
  for (;;) {
    int rc = la->read_next_header(in.get(), &entry);
    if (rc == ARCHIVE_EOF) break;
    if (rc < ARCHIVE_WARN) {
      result.errors += first ? "tar: This does not look like a tar archive\n"
                             : "tar: Unexpected EOF in archive\n";
      result.status = 2;
      break;
    }
    first = false;
    std::string name = la->entry_pathname(entry) ? la->entry_pathname(entry) : "";
    if (list_only || verbose) result.archive += name + "\n";
    if (list_only) continue;
    if (name.find("..") != std::string::npos &&
        ("/" + name + "/").find("/../") != std::string::npos) {
      result.errors += "tar: " + name + ": Member name contains '..'\n";
      result.status = 2;
      continue;
    }
    const std::string path = FileTree::Absolute(dir, StripLeadingSlashes(name));
    const uint32_t mode = la->entry_perm(entry) & 07777;
    const auto mtime = touch ? now : std::chrono::system_clock::from_time_t(la->entry_mtime(entry));
    std::string err;
    switch (la->entry_filetype(entry)) {
      case AE_IFDIR:
        err = tree.MakeDir(path, true, mtime, mode);
        break;
      case AE_IFREG: {
        std::string data;
        char buf[65536];
        la_ssize_t got;
        while ((got = la->read_data(in.get(), buf, sizeof buf)) > 0) {
          data.append(buf, static_cast<size_t>(got));
        }
        tree.MakeDir(FileTree::Absolute(path, ".."), true, now);
        err = tree.WriteFile(path, data, false, mtime, mode);
        break;
      }
      default:  // links, devices: the tree has none
        result.errors += "tar: " + name + ": Cannot create: Operation not supported\n";
        result.status = 2;
        continue;
    }
    if (!err.empty()) {
      result.errors += "tar: " + name + ": Cannot open: " + err + "\n";
      result.status = 2;
    }
  }
  if (result.status != 0) {
    result.errors += "tar: Exiting with failure status due to previous errors\n";
  }
  return result;
}

}  // namespace kubedouble::fake
