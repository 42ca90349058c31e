// fmt's non-template definitions, for a static executable (cmake/static_executable.cmake):
// Debian ships fmt only as a shared library. Only the non-template part is needed (the project
// formats through fmt::vformat).
#include <fmt/format-inl.h>

FMT_BEGIN_NAMESPACE
namespace detail {
template FMT_API auto thousands_sep_impl(locale_ref) -> thousands_sep_result<char>;
template FMT_API auto decimal_point_impl(locale_ref) -> char;
}  // namespace detail
FMT_END_NAMESPACE
