# Third-party libraries, shared or static per executable.
#
# ctvrt is a static executable: no dynamic loader, no shared library mapped and relocated at each
# start. Its start-up is on the measured launch path (issue 17): linking it statically took
# `ctvrt run --rm --net none` from 13.9 to 12.3 ms here (hyperfine n=60; the namespace floor,
# `unshare -pfmuinc --mount-proc /bin/true`, 8.3 ms). Every other executable (ctvbench, the
# tests) keeps the shared libraries.
#
# The project's libraries name a third-party library through a ctv_dep_<name> target. Its link
# line is chosen per executable: `$<TARGET_PROPERTY:prop>` in a usage requirement reads the
# property of the target being linked, so an executable with CTV_STATIC_EXECUTABLE ON gets the
# static archives and every other one the shared library.
set(CTV_STATIC_EXE "$<BOOL:$<TARGET_PROPERTY:CTV_STATIC_EXECUTABLE>>")
# Whether every archive was found: a global property, as ctv_dependency is called from several
# directories.
set_property(GLOBAL PROPERTY CTV_STATIC_ARCHIVES_FOUND ON)

# ctv_dependency(NAME SHARED_TARGET ARCHIVE... [TARGETS static-only targets...])
function(ctv_dependency name shared)
  cmake_parse_arguments(PARSE_ARGV 2 arg "" "" "TARGETS")
  add_library(ctv_dep_${name} INTERFACE)
  target_link_libraries(ctv_dep_${name} INTERFACE "$<$<NOT:${CTV_STATIC_EXE}>:${shared}>")
  foreach(archive IN LISTS arg_UNPARSED_ARGUMENTS)
    find_library(CTV_${name}_${archive} NAMES ${archive})
    if(NOT CTV_${name}_${archive})
      set_property(GLOBAL PROPERTY CTV_STATIC_ARCHIVES_FOUND OFF)
    endif()
    target_link_libraries(ctv_dep_${name} INTERFACE "$<${CTV_STATIC_EXE}:${CTV_${name}_${archive}}>")
  endforeach()
  foreach(t IN LISTS arg_TARGETS)
    target_link_libraries(ctv_dep_${name} INTERFACE "$<${CTV_STATIC_EXE}:${t}>")
  endforeach()
endfunction()

# fmt ships no static archive: a static executable compiles fmt's definitions itself.
add_library(ctv_fmt_definitions STATIC ${CMAKE_SOURCE_DIR}/core/static_link/fmt_definitions.cc)
target_include_directories(ctv_fmt_definitions PRIVATE
                           $<TARGET_PROPERTY:fmt::fmt,INTERFACE_INCLUDE_DIRECTORIES>)
# Debian ships libacl only as a shared library; libarchive's archive refers to it (see the file).
add_library(ctv_acl_absent STATIC ${CMAKE_SOURCE_DIR}/core/static_link/acl_absent.c)

ctv_dependency(fmt fmt::fmt TARGETS ctv_fmt_definitions)
ctv_dependency(crypto OpenSSL::Crypto libcrypto.a)
ctv_dependency(archive PkgConfig::LIBARCHIVE libarchive.a libz.a TARGETS ctv_acl_absent)
find_library(CTV_LIBC_STATIC NAMES libc.a)
if(NOT CTV_LIBC_STATIC)
  set_property(GLOBAL PROPERTY CTV_STATIC_ARCHIVES_FOUND OFF)
endif()

# ctv_static_executable(TARGET): link TARGET statically when every archive exists (Debian's -dev
# packages ship them); otherwise it stays a dynamic executable, with a note at configure time.
function(ctv_static_executable target)
  get_property(found GLOBAL PROPERTY CTV_STATIC_ARCHIVES_FOUND)
  if(found AND NOT CTV_FUZZ)
    set_target_properties(${target} PROPERTIES CTV_STATIC_EXECUTABLE ON)
    target_link_options(${target} PRIVATE -static)
  else()
    message(STATUS "${target}: linked dynamically (a static archive is missing, or a fuzz build)")
  endif()
endfunction()
