#include "runtime/state.h"

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <random>

#include "core/atomic_file.h"
#include "core/fd.h"
#include "core/fs_tree.h"

namespace ctv::runtime {

using nlohmann::json;

std::string StateDir(const std::string& root, const std::string& id) { return root + "/" + id; }

Status SaveState(const std::string& root, const State& s) {
  json j = {{"id", s.id},
            {"name", s.name},
            {"bundle", s.bundle},
            {"image", s.image},
            {"command", s.command},
            {"pid", s.pid},
            {"pid_start", s.pid_start},
            {"monitor_pid", s.monitor_pid},
            {"monitor_start", s.monitor_start},
            {"created", s.created},
            {"started", s.started},
            {"finished", s.finished},
            {"log_path", s.log_path},
            {"detached", s.detached},
            {"oom_killed", s.oom_killed},
            {"annotations", s.annotations}};
  if (s.exit) j["exit"] = {{"signaled", s.exit->signaled}, {"code", s.exit->code}};
  std::string dir = StateDir(root, s.id);
  // No MakeDirs: a monitor recording an exit after `delete` removed the dir must not revive it.
  return WriteRuntimeStateFile(dir + "/state.json", j.dump(2) + "\n", 0600);
}

Result<State> LoadState(const std::string& root, const std::string& id) {
  std::string path = StateDir(root, id) + "/state.json";
  std::string text = CTV_TRY(ReadFile(path));
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return MakeError("parse container state", path);
  State s;
  s.id = j.value("id", id);
  s.name = j.value("name", s.id);
  s.bundle = j.value("bundle", "");
  s.image = j.value("image", "");
  s.command = j.value("command", std::vector<std::string>{});
  s.pid = j.value("pid", 0);
  s.pid_start = j.value("pid_start", int64_t{0});
  s.monitor_pid = j.value("monitor_pid", 0);
  s.monitor_start = j.value("monitor_start", int64_t{0});
  s.created = j.value("created", "");
  s.started = j.value("started", "");
  s.finished = j.value("finished", "");
  s.log_path = j.value("log_path", "");
  s.detached = j.value("detached", false);
  s.oom_killed = j.value("oom_killed", false);
  s.annotations = j.value("annotations", std::map<std::string, std::string>{});
  if (j.contains("exit"))
    s.exit = ExitStatus{j["exit"].value("signaled", false), j["exit"].value("code", 0)};
  return s;
}

Result<std::vector<std::string>> ListContainers(const std::string& root) {
  std::vector<std::string> out;
  DIR* d = ::opendir(root.c_str());
  if (!d) {
    if (errno == ENOENT) return out;
    return ErrnoError("opendir", root);
  }
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != ".." && e->d_type == DT_DIR) out.push_back(n);
  }
  ::closedir(d);
  return out;
}

int64_t ProcessStartTime(pid_t pid) {
  if (pid <= 0) return 0;
  auto text = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  if (!text) return 0;
  // The command name (field 2) may contain spaces and parentheses: count from the last ')'.
  size_t p = text->rfind(')');
  if (p == std::string::npos) return 0;
  int field = 2;
  size_t i = p + 1;
  while (i < text->size() && field < 22) {
    if ((*text)[i] == ' ') ++field;
    ++i;
  }
  return std::strtoll(text->c_str() + i, nullptr, 10);
}

bool ProcessAlive(pid_t pid, int64_t start_time) {
  if (pid <= 0) return false;
  int64_t st = ProcessStartTime(pid);
  if (st == 0 || (start_time != 0 && st != start_time)) return false;
  // A zombie is not alive.
  auto text = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  if (text) {
    size_t p = text->rfind(')');
    if (p != std::string::npos && p + 2 < text->size() && (*text)[p + 2] == 'Z') return false;
  }
  return true;
}

std::string StatusOf(const std::string& root, const State& s) {
  if (s.exit) return "stopped";
  if (s.pid == 0) return "creating";
  if (!ProcessAlive(s.pid, s.pid_start)) return "stopped";
  if (fs::Exists(StateDir(root, s.id) + "/exec.fifo")) return "created";
  return "running";
}

std::string OciStateJson(const std::string& root, const State& s) {
  std::string status = StatusOf(root, s);
  json j = {{"ociVersion", "1.0.2"},
            {"id", s.id},
            {"status", status},
            {"bundle", s.bundle},
            {"annotations", s.annotations}};
  if (status == "created" || status == "running") j["pid"] = s.pid;
  if (s.exit) {
    j["annotations"]["org.ctvbench.exit"] = s.exit->ToString();
    if (s.oom_killed) j["annotations"]["org.ctvbench.oom_killed"] = "true";
  }
  return j.dump(2);
}

std::string NewContainerId() {
  std::random_device rd;
  static const char* kHex = "0123456789abcdef";
  std::string id = "ctv";
  for (int i = 0; i < 12; ++i) id += kHex[rd() % 16];
  return id;
}

Status ValidateId(const std::string& id) {
  bool ok = !id.empty() && id.size() <= 64 && std::isalnum(static_cast<unsigned char>(id[0]));
  for (char c : id)
    ok &= std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  if (!ok)
    return MakeError(
        "invalid container id", id,
        "use letters, digits, '_', '.', '-' (starting with a letter or digit), at most 64");
  return Ok();
}

}  // namespace ctv::runtime
