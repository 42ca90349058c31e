#include "runtime/hooks.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <nlohmann/json.hpp>

#include "core/fd.h"
#include "core/process.h"

namespace ctv::runtime {
namespace {

using nlohmann::json;

Error FieldError(const std::string& field, const std::string& what) {
  return MakeError("parse config.json", field, what);
}

// A memfd holding `text`, rewound: the hook's stdin (no pipe to fill up, nothing to pump).
Result<Fd> MemFile(const char* name, const std::string& text) {
  Fd fd(::memfd_create(name, MFD_CLOEXEC));
  if (!fd.Valid()) return ErrnoError("memfd_create", name);
  CTV_CHECK(WriteAll(fd.Get(), text, name));
  if (::lseek(fd.Get(), 0, SEEK_SET) != 0) return ErrnoError("lseek", name);
  return fd;
}

std::string FirstLine(int fd) {
  char buf[512];
  ssize_t n = ::pread(fd, buf, sizeof buf, 0);
  if (n <= 0) return "";
  std::string s(buf, static_cast<size_t>(n));
  size_t nl = s.find('\n');
  return nl == std::string::npos ? s : s.substr(0, nl);
}

}  // namespace

Status RunHook(const Hook& h, const std::string& field, const std::string& state_json) {
  const std::string what = "run hook `" + field + "` (" + h.path + ")";
  Fd in = CTV_TRY(MemFile("ctv-hook-state", state_json));
  Fd out = CTV_TRY(MemFile("ctv-hook-output", ""));
  std::vector<std::string> args = h.args.empty() ? std::vector<std::string>{h.path} : h.args;
  std::vector<char*> argv, envp;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const std::string& e : h.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) return ErrnoError(what);
  if (pid == 0) {
    // A new process group: a timeout kills whatever the hook started too.
    ::setpgid(0, 0);
    ::dup2(in.Get(), 0);
    ::dup2(out.Get(), 1);
    ::dup2(out.Get(), 2);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execve(h.path.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also here: the guard below may signal the group before the child ran
  Child child(pid, true);
  ExitStatus st;
  if (h.timeout_s > 0) {
    auto r = CTV_TRY(child.WaitFor(std::chrono::seconds(h.timeout_s)));
    if (!r) {
      child.KillAndReap();
      return MakeError(what, "", "timed out after " + std::to_string(h.timeout_s) + " s");
    }
    st = *r;
  } else {
    st = CTV_TRY(child.Wait());
  }
  if (st.Success()) return Ok();
  std::string line = FirstLine(out.Get());
  if (!st.signaled && st.code == 127 && line.empty()) line = "could not be executed";
  return MakeError(what, "", st.ToString() + (line.empty() ? "" : ": " + line));
}

namespace {

json HookJson(const Hook& h) {
  json j = {{"path", h.path}};
  if (!h.args.empty()) j["args"] = h.args;
  if (!h.env.empty()) j["env"] = h.env;
  if (h.timeout_s > 0) j["timeout"] = h.timeout_s;
  return j;
}

}  // namespace

std::string HookState(const std::string& id, const std::string& status, pid_t pid,
                      const std::string& bundle,
                      const std::map<std::string, std::string>& annotations) {
  // The config's annotations only: ctvrt's own bookkeeping (ctvbench.*) is not the user's.
  json a = json::object();
  for (const auto& [k, v] : annotations)
    if (k.rfind("ctvbench.", 0) != 0 && k.rfind("org.ctvbench.", 0) != 0) a[k] = v;
  json j = {{"ociVersion", "1.0.2"},
            {"id", id},
            {"status", status},
            {"bundle", bundle},
            {"annotations", a}};
  if (pid > 0) j["pid"] = pid;
  return j.dump();
}

Status RunHooks(const std::vector<Hook>& list, const std::string& field,
                const std::string& state_json) {
  for (size_t i = 0; i < list.size(); ++i)
    CTV_CHECK(RunHook(list[i], field + "[" + std::to_string(i) + "]", state_json));
  return Ok();
}

std::string HooksToJson(const Hooks& h) {
  json j = json::object();
  auto put = [&](const char* key, const std::vector<Hook>& list) {
    if (list.empty()) return;
    json a = json::array();
    for (const Hook& x : list) a.push_back(HookJson(x));
    j[key] = a;
  };
  put("prestart", h.prestart);
  put("createRuntime", h.create_runtime);
  put("poststart", h.poststart);
  put("poststop", h.poststop);
  return j.dump();
}

Result<Hooks> HooksFromJson(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return FieldError("hooks", "not an object");
  Hooks h;
  try {
    for (auto& [kind, list] : j.items()) {
      std::vector<Hook>* out = nullptr;
      if (kind == "prestart") out = &h.prestart;
      if (kind == "createRuntime") out = &h.create_runtime;
      if (kind == "poststart") out = &h.poststart;
      if (kind == "poststop") out = &h.poststop;
      if (!out) {
        if (list.empty()) continue;
        if (kind == "createContainer" || kind == "startContainer")
          return FieldError("hooks." + kind,
                            "not supported by ctvrt (it would run inside the container); "
                            "prestart, createRuntime, poststart and poststop are");
        return FieldError("hooks." + kind, "unknown hook kind");
      }
      int i = 0;
      for (const json& e : list) {
        std::string field = "hooks." + kind + "[" + std::to_string(i++) + "]";
        Hook x;
        x.path = e.value("path", "");
        if (x.path.empty() || x.path[0] != '/')
          return FieldError(field + ".path", "must be an absolute path: `" + x.path + "`");
        x.args = e.value("args", std::vector<std::string>{});
        x.env = e.value("env", std::vector<std::string>{});
        x.timeout_s = e.value("timeout", 0);
        if (e.contains("timeout") && x.timeout_s <= 0)
          return FieldError(field + ".timeout", "must be a positive number of seconds");
        out->push_back(std::move(x));
      }
    }
  } catch (const json::exception& e) {
    return FieldError("hooks", e.what());
  }
  return h;
}

}  // namespace ctv::runtime
