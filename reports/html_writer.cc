#include "core/markup.h"
#include "reports/html_writer.h"

#include "core/fd.h"

namespace ctv::reports {

std::string Base64(const std::string& in) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (static_cast<uint8_t>(in[i]) << 16) | (static_cast<uint8_t>(in[i + 1]) << 8) |
                 static_cast<uint8_t>(in[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < in.size()) {
    uint32_t v = static_cast<uint8_t>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<uint8_t>(in[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

namespace {

constexpr const char* kCss = R"(
body{font-family:"DejaVu Sans",Arial,sans-serif;margin:0;color:#222;background:#fafafa}
header{background:#1f3b57;color:#fff;padding:1.2em 2em}
header h1{margin:0 0 .3em 0;font-size:1.7em}
header p{margin:0;opacity:.85}
nav{padding:.6em 2em;background:#e8eef4;border-bottom:1px solid #cdd}
nav a{margin-right:1.2em;color:#1f3b57}
main{padding:0 2em 3em 2em;max-width:1700px}
section{margin-top:1.8em}
h2{border-bottom:2px solid #1f3b57;padding-bottom:.2em}
figure{margin:1em 0;background:#fff;border:1px solid #ddd;padding:.6em}
figure img{width:100%;max-width:1600px;height:auto;display:block}
figcaption{font-size:.95em;color:#444;margin-top:.4em}
table{border-collapse:collapse;margin:1em 0;background:#fff;font-size:.92em}
caption{text-align:left;font-weight:bold;padding:.3em 0}
th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#e8eef4}
td.good{background:#dff0d8}
td.warn{background:#fcf3cf}
td.bad{background:#f8d7da}
td.muted{color:#777;background:#f2f2f2}
p.warn{background:#fcf3cf;border-left:4px solid #e0b000;padding:.5em .8em}
)";

void RenderTable(const Table& t, std::string& h) {
  h += "<table>";
  if (!t.caption.empty()) h += "<caption>" + EscapeMarkup(t.caption) + "</caption>";
  h += "<thead><tr>";
  for (const auto& c : t.header) h += "<th>" + EscapeMarkup(c) + "</th>";
  h += "</tr></thead><tbody>\n";
  for (const auto& row : t.rows) {
    h += "<tr>";
    for (const auto& c : row)
      h += (c.tone.empty() ? std::string("<td>") : "<td class=\"" + EscapeMarkup(c.tone) + "\">") +
           EscapeMarkup(c.text) + "</td>";
    h += "</tr>\n";
  }
  h += "</tbody></table>\n";
}

}  // namespace

Result<std::string> RenderHtml(const Page& page) {
  std::string h = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>" +
                  EscapeMarkup(page.title) + "</title>\n<style>" + kCss + "</style></head><body>\n";
  h += "<header><h1>" + EscapeMarkup(page.title) + "</h1>";
  if (!page.subtitle.empty()) h += "<p>" + EscapeMarkup(page.subtitle) + "</p>";
  h += "</header>\n<nav>";
  for (const auto& s : page.sections)
    h += "<a href=\"#" + EscapeMarkup(s.id) + "\">" + EscapeMarkup(s.title) + "</a>";
  h += "</nav>\n<main>\n";
  for (const auto& s : page.sections) {
    h += "<section id=\"" + EscapeMarkup(s.id) + "\"><h2>" + EscapeMarkup(s.title) + "</h2>\n";
    for (const auto& b : s.blocks) {
      if (const auto* p = std::get_if<Paragraph>(&b)) {
        h += (p->tone.empty() ? std::string("<p>") : "<p class=\"" + EscapeMarkup(p->tone) + "\">") +
             EscapeMarkup(p->text) + "</p>\n";
      } else if (const auto* f = std::get_if<Figure>(&b)) {
        std::string png = CTV_TRY(ReadFile(f->png_path));
        h += "<figure class=\"chart\"><img alt=\"" + EscapeMarkup(f->title) +
             "\" src=\"data:image/png;base64," + Base64(png) + "\"><figcaption><b>" +
             EscapeMarkup(f->title) + "</b>";
        if (!f->caption.empty()) h += " " + EscapeMarkup(f->caption);
        h += "</figcaption></figure>\n";
      } else if (const auto* t = std::get_if<Table>(&b)) {
        RenderTable(*t, h);
      }
    }
    h += "</section>\n";
  }
  h += "</main></body></html>\n";
  return h;
}

}  // namespace ctv::reports
