// Escaping text for HTML and XML (the report's pages, libvirt's domain XML): one function, since
// the five characters that matter are the same in both. The apostrophe becomes &#39;, which both
// HTML and XML accept (&apos; is not an HTML 4 entity).
#pragma once

#include <string>
#include <string_view>

namespace ctv {

std::string EscapeMarkup(std::string_view text);

}  // namespace ctv
