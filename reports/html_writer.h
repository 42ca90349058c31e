// A self-contained HTML page from a generic document model: sections of paragraphs, figures and
// tables. The writer knows nothing about suites or claims; it only lays out what it is given.
// PNGs are embedded as base64 data: URIs and the CSS is inline, so the page works offline, from
// a mail attachment or a CI artifact (no network, no CDN).
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "core/error.h"

namespace ctv::reports {

// A table cell; `tone` colours it: "" (plain), "good", "warn", "bad", "muted".
struct Cell {
  Cell(std::string t = {}, std::string tn = {})
      : text(std::move(t)), tone(std::move(tn)) {}  // NOLINT
  Cell(const char* t) : text(t) {}                  // NOLINT
  std::string text;
  std::string tone;
};

struct Table {
  std::string caption;
  std::vector<std::string> header;
  std::vector<std::vector<Cell>> rows;
};

struct Figure {
  std::string png_path;  // read and embedded at render time
  std::string title;     // alt text and heading
  std::string caption;
};

struct Paragraph {
  std::string text;
  std::string tone;  // "" or "warn" (shown as a callout)
};

using Block = std::variant<Paragraph, Figure, Table>;

struct Section {
  std::string id;  // anchor
  std::string title;
  std::vector<Block> blocks;
};

struct Page {
  std::string title;
  std::string subtitle;
  std::vector<Section> sections;
};

// The whole document; fails when a figure's PNG cannot be read (the error names it).
Result<std::string> RenderHtml(const Page& page);

std::string Base64(const std::string& bytes);

}  // namespace ctv::reports
