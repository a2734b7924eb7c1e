// The store's write-ahead log (kubedouble/fakeserver/persist.h): replay, compaction, appends.
#include "kubedouble/fakeserver/persist.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#include "store_core.h"

namespace kubedouble::fake {

namespace {

constexpr size_t kMinCompactBytes = 64u << 20;

struct Record {
  int64_t rv = 0;
  json object;
};
// The last state of each object, by (bucket, key).
using State = std::map<std::pair<std::string, std::string>, Record>;

std::runtime_error Failure(const std::string& file, const std::string& what) {
  return std::runtime_error(fmt::format("the store log {}: {}", file, what));
}

std::string Errno() { return std::strerror(errno); }

// Reads `file` into `state`; returns the highest resourceVersion it names (0 when none).
int64_t ReadLog(const std::string& file, State& state) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return 0;
    throw Failure(file, "cannot be read: " + Errno());
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  int64_t max_rv = 0;
  size_t line_no = 0;
  for (size_t at = 0; at < text.size();) {
    size_t end = text.find('\n', at);
    if (end == std::string::npos) break;  // a torn last line: never acknowledged
    ++line_no;
    json r = json::parse(text.begin() + static_cast<std::ptrdiff_t>(at),
                         text.begin() + static_cast<std::ptrdiff_t>(end), nullptr, false);
    at = end + 1;
    if (r.is_discarded() || !r.is_object() || !r.contains("rv") || !r["rv"].is_number_integer()) {
      throw Failure(file, fmt::format("line {} is not a store record (move the file away to start "
                                      "with an empty store)",
                                      line_no));
    }
    const int64_t rv = r["rv"].get<int64_t>();
    max_rv = std::max(max_rv, rv);
    auto text_of = [&](const char* field) {
      return r.contains(field) && r[field].is_string() ? r[field].get<std::string>() : "";
    };
    if (r.contains("put")) {
      if (!r.contains("object") || !r["object"].is_object()) {
        throw Failure(file, fmt::format("line {}: a put without an object", line_no));
      }
      state[{text_of("put"), text_of("key")}] = Record{rv, std::move(r["object"])};
    } else if (r.contains("delete")) {
      state.erase({text_of("delete"), text_of("key")});
    } else if (r.contains("clear")) {
      state.clear();
    }  // else a mark: only its rv counts
  }
  return max_rv;
}

int Rank(const json& object) {
  const std::string api = object.value("apiVersion", "");
  const std::string kind = object.value("kind", "");
  if (kind == "CustomResourceDefinition" && api.rfind("apiextensions.k8s.io/", 0) == 0) return 0;
  if (kind == "Namespace" && api == "v1") return 1;
  return 2;
}

// Definitions, namespaces, then the rest by resourceVersion.
void SortForLoading(std::vector<Record>& records) {
  std::stable_sort(records.begin(), records.end(), [](const Record& a, const Record& b) {
    int ra = Rank(a.object), rb = Rank(b.object);
    return ra != rb ? ra < rb : a.rv < b.rv;
  });
}

std::string Quoted(const std::string& s) { return json(s).dump(); }

std::string PutLine(int64_t rv, const std::string& bucket, const std::string& key,
                    const std::string& object_text) {
  return fmt::format("{{\"rv\":{},\"put\":{},\"key\":{},\"object\":{}}}\n", rv, Quoted(bucket),
                     Quoted(key), object_text);
}

void WriteAll(int fd, const std::string& data, const std::string& file) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw Failure(file, "cannot be written: " + Errno());
    done += static_cast<size_t>(n);
  }
}

// Replaces `file` with `content`: a temporary file, fsync, rename, fsync of the folder.
void ReplaceFile(const std::string& file, const std::string& content) {
  const std::string tmp = file + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw Failure(file, "cannot create " + tmp + ": " + Errno());
  try {
    WriteAll(fd, content, tmp);
    if (::fsync(fd) != 0) throw Failure(file, "cannot sync " + tmp + ": " + Errno());
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), file.c_str()) != 0) {
    throw Failure(file, "cannot replace it with " + tmp + ": " + Errno());
  }
  std::string dir = std::filesystem::path(file).parent_path().string();
  int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

// The appending end of the log, owned by the store's hooks; used under the store's unique lock.
class LogWriter {
 public:
  LogWriter(std::string file, Core* core, int64_t last_rv)
      : file_(std::move(file)), core_(core), last_rv_(last_rv) {}
  ~LogWriter() {
    if (fd_ >= 0) ::close(fd_);
  }

  // Rewrites the log from the store's objects, then appends from there.
  void Compact() {
    std::vector<std::tuple<int64_t, std::string, std::string, const ObjectPtr*>> all;
    for (const auto& [bucket, objects] : core_->buckets) {
      for (const auto& [key, obj] : objects) {
        int64_t rv = std::stoll(MetaString(*obj, "resourceVersion").empty()
                                    ? "0"
                                    : MetaString(*obj, "resourceVersion"));
        all.emplace_back(rv, bucket, key, &obj);
      }
    }
    std::sort(all.begin(), all.end(),
              [](const auto& a, const auto& b) { return std::get<0>(a) < std::get<0>(b); });
    std::string content;
    for (const auto& [rv, bucket, key, obj] : all) content += PutLine(rv, bucket, key, obj->Text());
    content += fmt::format("{{\"rv\":{},\"mark\":true}}\n", last_rv_);  // the counter's place
    ReplaceFile(file_, content);
    if (fd_ >= 0) ::close(fd_);
    fd_ = ::open(file_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd_ < 0) throw Failure(file_, "cannot be opened: " + Errno());
    bytes_ = content.size();
    compact_at_ = std::max(kMinCompactBytes, 2 * bytes_);
  }

  void Append(int64_t rv, const std::string& line) {
    if (bytes_ > compact_at_) Compact();  // the store holds every change before this one
    WriteAll(fd_, line, file_);
    if (::fdatasync(fd_) != 0) throw Failure(file_, "cannot be synced: " + Errno());
    bytes_ += line.size();
    last_rv_ = std::max(last_rv_, rv);
  }

 private:
  std::string file_;
  Core* core_;
  int64_t last_rv_;
  int fd_ = -1;
  size_t bytes_ = 0;
  size_t compact_at_ = kMinCompactBytes;
};

std::optional<ResourceInfo> ResourceOf(const Registry& registry, const json& object) {
  return registry.FindByKind(object.value("apiVersion", ""), object.value("kind", ""));
}

}  // namespace

std::filesystem::path StoreLogPath(const std::filesystem::path& dir) { return dir / "store.wal"; }

std::vector<json> ReadStoreLog(const std::filesystem::path& file) {
  State state;
  ReadLog(file.string(), state);
  std::vector<Record> records;
  for (auto& [where, record] : state) records.push_back(std::move(record));
  SortForLoading(records);
  std::vector<json> out;
  for (auto& r : records) out.push_back(std::move(r.object));
  return out;
}

void WriteStoreLog(const std::filesystem::path& file, const std::vector<json>& objects) {
  std::string content;
  int64_t rv = 1;
  for (const auto& o : objects) {
    if (!o.is_object() || !o.contains("kind") || !o.contains("apiVersion") ||
        !o.contains("metadata") || !o["metadata"].is_object() || !o["metadata"].contains("name")) {
      throw std::runtime_error("every object needs apiVersion, kind and metadata.name: " +
                               o.dump().substr(0, 200));
    }
    int64_t next = rv + 1;
    const json& m = o["metadata"];
    if (m.contains("resourceVersion") && m["resourceVersion"].is_string()) {
      try {
        next = std::max(next,
                        static_cast<int64_t>(std::stoll(m["resourceVersion"].get<std::string>())));
      } catch (const std::exception&) {
      }
    }
    rv = next;
    json copy = o;
    copy["metadata"]["resourceVersion"] = std::to_string(rv);
    // The bucket is rewritten by the server's first compaction; any unique name serves here.
    std::string bucket =
        "restored:" + o["apiVersion"].get<std::string>() + "/" + o["kind"].get<std::string>();
    std::string key = m.value("namespace", "") + "/" + m["name"].get<std::string>();
    content += PutLine(rv, bucket, key, copy.dump());
  }
  ReplaceFile(file.string(), content);
}

bool Store::Persist(const std::string& file) {
  auto& c = *impl_->core;
  State state;
  const int64_t max_rv = ReadLog(file, state);
  std::vector<Record> records;
  for (auto& [where, record] : state) records.push_back(std::move(record));
  SortForLoading(records);
  for (auto& r : records) {
    auto res = ResourceOf(*c.registry, r.object);
    if (!res) {
      throw Failure(file, fmt::format("no served resource for apiVersion \"{}\", kind \"{}\" "
                                      "(object \"{}\")",
                                      r.object.value("apiVersion", ""), r.object.value("kind", ""),
                                      MetaString(r.object, "name")));
    }
    {
      WriteLock lock(c);
      c.rv = r.rv - 1;  // Commit gives it the resourceVersion it had
    }
    Put(*res, std::move(r.object));
  }
  {
    WriteLock lock(c);
    int64_t highest = max_rv;
    for (const auto& r : records) highest = std::max(highest, r.rv);
    c.rv = std::max<int64_t>(highest, 1);
    c.log.clear();  // no history from before the restart: older watches start over (410)
    c.log_bytes = 0;
    c.compacted = c.rv;
    auto writer = std::make_shared<LogWriter>(file, &c, c.rv);
    writer->Compact();
    c.on_commit = [writer](const Event& e) {
      if (e.type == EventType::kDeleted) {
        writer->Append(e.rv, fmt::format("{{\"rv\":{},\"delete\":{},\"key\":{}}}\n", e.rv,
                                         Quoted(e.bucket), Quoted(e.key)));
      } else {
        writer->Append(e.rv, PutLine(e.rv, e.bucket, e.key, e.after.Text()));
      }
    };
    c.on_clear = [writer, core = &c] {
      writer->Append(core->rv, fmt::format("{{\"rv\":{},\"clear\":true}}\n", core->rv));
    };
  }
  return !records.empty();
}

std::vector<json> Store::Snapshot() const {
  auto& c = *impl_->core;
  std::vector<Record> records;
  {
    std::shared_lock lock(c.mu);
    for (const auto& [bucket, objects] : c.buckets) {
      for (const auto& [key, obj] : objects) {
        const std::string& rv = MetaString(*obj, "resourceVersion");
        records.push_back({rv.empty() ? 0 : std::stoll(rv), *obj});
      }
    }
  }
  SortForLoading(records);
  std::vector<json> out;
  for (auto& r : records) out.push_back(std::move(r.object));
  return out;
}

}  // namespace kubedouble::fake
