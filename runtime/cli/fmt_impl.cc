// fmt's non-template definitions compiled into ctvrt, so the binary needs neither libfmt.so nor
// (through it) libstdc++.so at run time: each shared library costs start-up time on the measured
// launch path. Only the non-template part is needed (ctvrt formats through fmt::vformat).
#include <fmt/format-inl.h>

FMT_BEGIN_NAMESPACE
namespace detail {
template FMT_API auto thousands_sep_impl(locale_ref) -> thousands_sep_result<char>;
template FMT_API auto decimal_point_impl(locale_ref) -> char;
}  // namespace detail
FMT_END_NAMESPACE
