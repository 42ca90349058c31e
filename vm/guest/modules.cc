#include "vm/guest/modules.h"

#include <cerrno>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "core/fd.h"

namespace ctv::vm {
namespace {

std::string NameOf(const std::string& path) {
  std::string base = path.substr(path.rfind('/') + 1);
  std::string n = base.substr(0, base.find('.'));
  for (char& c : n)
    if (c == '-') c = '_';
  return n;
}

}  // namespace

Result<ModuleSet> ResolveModules(const std::string& release_dir,
                                 const std::vector<std::string>& names) {
  std::string dep_path = release_dir + "/modules.dep";
  std::string dep = CTV_TRY(ReadFile(dep_path));
  std::map<std::string, std::string> by_name;
  std::map<std::string, std::string> line_of;
  std::map<std::string, std::vector<std::string>> deps_of;
  std::istringstream in(dep);
  std::string line;
  while (std::getline(in, line)) {
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string path = line.substr(0, colon);
    by_name[NameOf(path)] = path;
    line_of[path] = line;
    std::istringstream ds(line.substr(colon + 1));
    std::string d;
    while (ds >> d) deps_of[path].push_back(d);
  }
  ModuleSet out;
  std::set<std::string> seen;
  std::function<void(const std::string&)> add = [&](const std::string& path) {
    if (!seen.insert(path).second) return;
    for (const std::string& d : deps_of[path]) add(d);
    out.files.push_back(path);  // dependencies first
    out.modules_dep += line_of[path] + "\n";
  };
  for (const std::string& n : names) {
    std::string key = n;
    for (char& c : key)
      if (c == '-') c = '_';
    auto it = by_name.find(key);
    if (it == by_name.end()) {
      errno = ENOENT;
      return ErrnoError("find kernel module " + n + " in", dep_path,
                        "the guest kernel's modules package must be installed (same version)");
    }
    add(it->second);
  }
  return out;
}

}  // namespace ctv::vm
